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
 * After pass 2 it also times the two listings alone (every runs/search page of both sides at once,
 * one page asked ahead, bodies read and dropped): what the servers need to answer them, which no
 * client can go under.
 * `--also-bin PATH --repeat N`: after pass 2, the unchanged pass N more times with each of the two
 * builds in turn (BIN, then PATH, ...), over the same data at the same moment: a before/after of
 * the unchanged pass that the machine's load moves least. Each pass prints the CLI's own CPU
 * seconds (start-up included) beside its times.
 */
import { Api, SMALL_RUN_T0 as T0, arg, engineSeconds, runCli, smallRunBatch as workloadBatch, startStandinProcess, type ServerProcess } from './support.js';
import { readFileSync } from 'node:fs';
import { request } from 'undici';

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
/** A second build whose unchanged passes alternate with BIN's (`--repeat` times each). */
const ALSO_BIN = textArg('also-bin');
const REPEAT = arg('repeat', 3);

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
  /** CPU seconds of the CLI process (start-up included). */
  cliCpu: number;
  source: Record<string, number>;
  target: Record<string, number>;
  /** CPU seconds each stand-in process spent during the pass. */
  sourceCpu: number;
  targetCpu: number;
  summary: Record<string, unknown>;
}

async function pass(source: ServerProcess, target: ServerProcess, profile = false, bin = BIN): Promise<Pass> {
  const sourceBefore = await source.requestsByRoute();
  const targetBefore = await target.requestsByRoute();
  const [sourceCpuBefore, targetCpuBefore] = [source.cpuSeconds(), target.cpuSeconds()];
  const nodeArgs = profile && PROFILE_DIR !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const run = await runCli([
    'copy', '--source-uri', source.url, '--source-project', 'bench', '--target-uri', target.url, '--target-project', 'bench-copy',
    '--workers', String(WORKERS), '--no-progress', '--quiet', '--log-file', `/tmp/runs-migrator-bench-sync-${process.pid}.log`, '--report', REPORT,
  ], {}, bin, nodeArgs);
  if (run.exitCode !== 0) throw new Error(`copy failed (${run.exitCode}): ${run.stderr.slice(-2000)}`);
  return {
    seconds: run.seconds,
    engineSeconds: engineSeconds(REPORT),
    cliCpu: run.cpuSeconds,
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
    `  CPU: CLI ${result.cliCpu.toFixed(2)} s, stand-ins: source ${result.sourceCpu.toFixed(1)} s, target ${result.targetCpu.toFixed(1)} s`,
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

/** Every page of one runs/search listing, the next asked for as soon as a page is in; bodies are dropped. */
async function listAlone(url: string, body: Record<string, unknown>): Promise<number> {
  const fetchPage = async (token: string | undefined): Promise<{ next: string | undefined; bytes: number }> => {
    const answer = await request(`${url}/api/2.0/mlflow/runs/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(token === undefined ? body : { ...body, page_token: token }),
    });
    const bytes = Buffer.from(await answer.body.arrayBuffer());
    // The token is the last member of the answer: found without parsing the page.
    const match = /"next_page_token"\s*:\s*"([^"]*)"\s*}\s*$/.exec(bytes.subarray(Math.max(0, bytes.length - 512)).toString('latin1'));
    return { next: match?.[1] || undefined, bytes: bytes.length };
  };
  let total = 0;
  let pending: Promise<{ next: string | undefined; bytes: number }> | undefined = fetchPage(undefined);
  while (pending) {
    const page: { next: string | undefined; bytes: number } = await pending;
    total += page.bytes;
    pending = page.next === undefined ? undefined : fetchPage(page.next);
  }
  return total;
}

/** The two listings of a sync pass alone, at the same time (what the servers need to answer them). */
async function listingsAlone(source: ServerProcess, target: ServerProcess): Promise<string> {
  const experimentId = async (url: string, name: string) =>
    ((await (await request(`${url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${name}`)).body.json()) as { experiment: { experiment_id: string } }).experiment.experiment_id;
  const search = (id: string, filter?: string) => ({
    experiment_ids: [id], run_view_type: 'ALL', max_results: 1000, order_by: ['attributes.start_time ASC'], ...(filter ? { filter } : {}),
  });
  const [sourceId, targetId] = [await experimentId(source.url, 'bench'), await experimentId(target.url, 'bench-copy')];
  const started = performance.now();
  const [sourceBytes, targetBytes] = await Promise.all([
    listAlone(source.url, search(sourceId)),
    listAlone(target.url, search(targetId, "tags.`old_sys/run_id` LIKE '%'")),
  ]);
  const seconds = (performance.now() - started) / 1000;
  return `${seconds.toFixed(2)} s for the two listings alone (${(sourceBytes / 1e6).toFixed(1)} + ${(targetBytes / 1e6).toFixed(1)} MB)`;
}

/** The unchanged pass, REPEAT times with each build in turn; a line per pass and the medians. */
async function alternateUnchanged(source: ServerProcess, target: ServerProcess, first: Pass): Promise<void> {
  const builds = [BIN, ALSO_BIN!];
  const passes = new Map<string, Pass[]>(builds.map((bin) => [bin, []]));
  for (let round = 0; round < REPEAT; round++) {
    for (const bin of builds) {
      const result = await pass(source, target, false, bin);
      if (result.summary.skipped !== RUNS) throw new Error(`${bin}: the unchanged pass did not skip every run`);
      passes.get(bin)!.push(result);
      console.log(`  unchanged, ${bin}: ${result.engineSeconds.toFixed(2)} s engine (${((100 * result.engineSeconds) / first.engineSeconds).toFixed(1)} %), ` +
        `${result.seconds.toFixed(2)} s wall, CLI CPU ${result.cliCpu.toFixed(2)} s, stand-in CPU ${result.sourceCpu.toFixed(1)} + ${result.targetCpu.toFixed(1)} s`);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  for (const bin of builds) {
    const list = passes.get(bin)!;
    const engine = median(list.map((p) => p.engineSeconds));
    console.log(`  median of ${list.length}, ${bin}: ${engine.toFixed(2)} s engine (${((100 * engine) / first.engineSeconds).toFixed(1)} % of the first copy), ` +
      `CLI CPU ${median(list.map((p) => p.cliCpu)).toFixed(2)} s`);
  }
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
    console.log(`  ${await listingsAlone(source, target)}`);
    if (ALSO_BIN !== undefined) await alternateUnchanged(source, target, first);

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
