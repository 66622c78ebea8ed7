/**
 * Issue 20's benchmark: what a sync pass costs against the first full copy, MLflow server ->
 * MLflow server through the CLI (two stand-in servers, each in its own process), in one run:
 *
 *   npm run build && node --import tsx bench/sync.ts [--runs 10000] [--grow-percent 1] [--workers 8]
 *
 * 1. `--runs` finished runs (10 params, 5 tags, 5 metrics x 10 points each) are copied: the first
 *    full copy, its wall time and the requests each server answered.
 * 2. The same copy again with nothing changed: every run must be skipped, no write may reach the
 *    target. Goal (issue 20): at most 5 % of the first copy's time and requests.
 * 3. `--grow-percent` of the runs get 10 more points on one metric, then the copy again: those
 *    runs must be `updated`, the rest skipped.
 *
 * Each pass also prints the CPU seconds each stand-in spent on it (serving the listings is part of
 * a server's cost). `--cpu-prof DIR` writes V8 CPU profiles of the CLI for passes 2 and 3 into DIR;
 * `--bin PATH` runs another build's launcher (a copy of an older bin/ + dist/) for a before/after.
 */
import { Api, SMALL_RUN_T0 as T0, arg, engineSeconds, runCli, smallRunBatch as workloadBatch, startStandinProcess, type ServerProcess } from './support.js';
import { readFileSync } from 'node:fs';

const RUNS = arg('runs', 10_000);
const GROW_PERCENT = arg('grow-percent', 1);
const WORKERS = arg('workers', 8);
// Per bench process: two benches at once (a before/after with --bin) must not share a report.
const REPORT = `/tmp/runs-migrator-bench-sync-${process.pid}.report.json`;
function textArg(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}
const PROFILE_DIR = textArg('cpu-prof');
/** Another build's launcher (e.g. a copy of an older dist/), to compare builds in the same conditions. */
const BIN = textArg('bin') ?? 'bin/runs-migrator.js';

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, n] of Object.entries(after)) if (n - (before[route] ?? 0) > 0) out[route] = n - (before[route] ?? 0);
  return out;
}

interface Pass {
  seconds: number;
  engineSeconds: number;
  source: Record<string, number>;
  target: Record<string, number>;
  /** CPU seconds each stand-in process spent during the pass. */
  sourceCpu: number;
  targetCpu: number;
  summary: Record<string, unknown>;
}

async function pass(source: ServerProcess, target: ServerProcess, profile = false): Promise<Pass> {
  const sourceBefore = await source.requestsByRoute();
  const targetBefore = await target.requestsByRoute();
  const [sourceCpuBefore, targetCpuBefore] = [source.cpuSeconds(), target.cpuSeconds()];
  const nodeArgs = profile && PROFILE_DIR !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const run = await runCli([
    'copy', '--source-uri', source.url, '--source-project', 'bench', '--target-uri', target.url, '--target-project', 'bench-copy',
    '--workers', String(WORKERS), '--no-progress', '--quiet', '--log-file', `/tmp/runs-migrator-bench-sync-${process.pid}.log`, '--report', REPORT,
  ], {}, BIN, nodeArgs);
  if (run.exitCode !== 0) throw new Error(`copy failed (${run.exitCode}): ${run.stderr.slice(-2000)}`);
  return {
    seconds: run.seconds,
    engineSeconds: engineSeconds(REPORT),
    sourceCpu: source.cpuSeconds() - sourceCpuBefore,
    targetCpu: target.cpuSeconds() - targetCpuBefore,
    source: delta(await source.requestsByRoute(), sourceBefore),
    target: delta(await target.requestsByRoute(), targetBefore),
    summary: (JSON.parse(readFileSync(REPORT, 'utf8')) as { summary: Record<string, unknown> }).summary,
  };
}

function describePass(name: string, result: Pass, first?: Pass): string {
  const requests = total(result.source) + total(result.target);
  const lines = [
    `${name}: ${result.seconds.toFixed(1)} s wall (${result.engineSeconds.toFixed(1)} s in the engine), ` +
      `${requests} requests (source ${total(result.source)}, target ${total(result.target)})`,
    `  stand-in CPU: source ${result.sourceCpu.toFixed(1)} s, target ${result.targetCpu.toFixed(1)} s`,
    `  summary: copied ${String(result.summary.copied)}, updated ${String(result.summary.updated)}, skipped ${String(result.summary.skipped)}, failed ${String(result.summary.failed)}`,
    `  source routes: ${JSON.stringify(result.source)}`,
    `  target routes: ${JSON.stringify(result.target)}`,
  ];
  if (first) {
    const firstRequests = total(first.source) + total(first.target);
    lines.push(
      `  against the first copy: wall time ${((100 * result.seconds) / first.seconds).toFixed(1)} %, engine time ` +
        `${((100 * result.engineSeconds) / first.engineSeconds).toFixed(1)} %, requests ${((100 * requests) / firstRequests).toFixed(2)} %`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const source = await startStandinProcess();
  const target = await startStandinProcess();
  const api = new Api(source.url, 16);
  try {
    const experimentId = await api.createExperiment('bench');
    const runIds: string[] = new Array(RUNS);
    const seeding = performance.now();
    await inParallel(Array.from({ length: RUNS }, (_, i) => i), 16, async (index) => {
      const runId = await api.createRun(experimentId, `run-${index}`, T0 + index);
      await api.post('runs/log-batch', workloadBatch(runId, index));
      await api.post('runs/update', { run_id: runId, status: 'FINISHED', end_time: T0 + index + 60_000 });
      runIds[index] = runId;
    });
    console.log(`seeded ${RUNS} runs in ${((performance.now() - seeding) / 1000).toFixed(1)} s; workers ${WORKERS}`);

    const first = await pass(source, target);
    console.log(describePass('1. first full copy', first));
    const unchanged = await pass(source, target, true);
    console.log(describePass('2. second pass, nothing changed', unchanged, first));

    const grown = runIds.filter((_, index) => index % Math.round(100 / GROW_PERCENT) === 0);
    await inParallel(grown, 16, async (runId) => {
      const metrics = Array.from({ length: 10 }, (_, i) => `{"key":"metric_0","value":${i},"timestamp":${T0 + 100 + i},"step":${10 + i}}`);
      await api.post('runs/log-batch', `{"run_id":"${runId}","metrics":[${metrics.join(',')}]}`);
    });
    const afterGrowth = await pass(source, target, true);
    console.log(describePass(`3. third pass, ${grown.length} runs (${GROW_PERCENT} %) got 10 more points`, afterGrowth, first));
  } finally {
    await api.close();
    await source.stop();
    await target.stop();
  }
}

await main();
