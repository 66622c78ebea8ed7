/**
 * Issue 9's benchmark: many small runs, and one very long run, MLflow server -> MLflow server
 * through the CLI (two stand-in servers, each in its own process). Everything is printed by one run:
 *
 *   npm run build && node --import tsx bench/small-runs.ts [--runs 500] [--many 10000] [--points 10000000] [--baseline DIR] [--many-only]
 *
 * `--many-only`: sections 1, 2 and 4 only (the `--runs` copy, then the `--many` copy; no sweep, no
 * long run, one baseline copy of each size): the peak-RSS ratio of many runs to few in minutes.
 *
 * `--baseline DIR`: a built checkout of an earlier version (e.g. `git archive <commit> | tar -x -C DIR`,
 * node_modules linked, `npx tsc -p tsconfig.build.json`), copied the same way in the same run for
 * sections 1, 2 and 5 (the shorter long run only), so before and after are measured on the same
 * servers under the same load.
 *
 * 1. Requests per run for the issue's workload (10 params, 5 tags, 5 metrics x 10 points, one 1 KB
 *    artifact), counted by each server: the source and the target separately.
 * 2. `--runs` such runs with --workers 8, against the target's raw write ceiling for the same runs
 *    (bare runs/create + log-batch + PUT + runs/update, 4 runs in flight, nothing read).
 * 3. The same copy with 1, 2, 4, 8, 16 and 32 workers, and with a worker count that follows run
 *    latency (engine option adaptiveWorkers, at most 32 and at most 8): does following latency help?
 * 4. `--many` small runs: runs/s and peak RSS, against the `--runs` copy.
 * 5. One run of `--points` points (10 keys) and one of a tenth of that: points/s against the
 *    target's raw log-batch ceiling (1000-point bodies, 4 in flight), and peak RSS of both.
 */
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Api, ROOT, SMALL_RUN_T0 as T0, arg, buildBatches, engineSeconds, postAll, runCli, smallRunBatch as workloadBatch, startStandinProcess, type CliRun, type ServerProcess } from './support.js';

const RUNS = arg('runs', 500);
const MANY = arg('many', 10_000);
const POINTS = arg('points', 10_000_000);
const KEYS = 10;
const ARTIFACT = Buffer.alloc(1024, 97);
const REPORT = '/tmp/runs-migrator-bench-small.report.json';
const MANY_ONLY = process.argv.includes('--many-only');
const BASELINE = process.argv.includes('--baseline') ? join(process.argv[process.argv.indexOf('--baseline') + 1]!, 'bin/runs-migrator.js') : undefined;

/** Writes `count` workload runs: runs/create, log-batch, the artifact, runs/update - `concurrency` runs at once. */
async function writeRuns(api: Api, experimentId: string, count: number, concurrency: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        const runId = await api.createRun(experimentId, `small-${index}`, T0 + index);
        await api.post('runs/log-batch', workloadBatch(runId, index));
        await api.put(`/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/model.txt`, ARTIFACT);
        await api.post('runs/update', { run_id: runId, status: 'FINISHED', end_time: T0 + index + 60_000 });
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, n] of Object.entries(after)) if (n - (before[route] ?? 0) > 0) out[route] = n - (before[route] ?? 0);
  return out;
}

function perRun(counts: Record<string, number>, runs: number): string {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const routes = Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([route, n]) => `${route} ${(n / runs).toFixed(2)}`)
    .join(', ');
  return `${(total / runs).toFixed(2)} (${routes})`;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');

async function main(): Promise<void> {
  const source = await startStandinProcess();
  const target = await startStandinProcess();
  const sourceApi = new Api(source.url);
  const targetApi = new Api(target.url);
  const copy = (project: string, to: string, workers = 8, bin?: string): Promise<CliRun> =>
    runCli(['copy', '--source-uri', source.url, '--source-project', `default/${project}`, '--target-uri', target.url, '--target-project', `default/${to}`, '--workers', String(workers), '--no-progress', '--quiet', '--log-file', '/tmp/runs-migrator-bench-small.log', '--report', REPORT], {}, bin);
  const checked = (run: CliRun): CliRun => {
    if (run.exitCode !== 0) throw new Error(`copy failed (exit ${run.exitCode}): ${run.stderr.slice(0, 2000)}`);
    return run;
  };
  try {
    // 1 + 2: the workload, its requests per run, and the target's raw ceiling for the same runs.
    await writeRuns(sourceApi, await sourceApi.createExperiment('small'), RUNS, 8);
    const ceilingSeconds = await writeRuns(targetApi, await targetApi.createExperiment('ceiling'), RUNS, 4);
    const cpuBefore = [source.cpuSeconds(), target.cpuSeconds()];
    const [sourceBefore, targetBefore] = await Promise.all([source.requestsByRoute(), target.requestsByRoute()]);
    const small = checked(await copy('small', 'small-copy'));
    const smallEngine = engineSeconds(REPORT);
    const [sourceAfter, targetAfter] = await Promise.all([source.requestsByRoute(), target.requestsByRoute()]);
    const serverMs = (before: number[]) => `source ${((source.cpuSeconds() - before[0]!) * 1000 / RUNS).toFixed(2)} ms, target ${((target.cpuSeconds() - before[1]!) * 1000 / RUNS).toFixed(2)} ms`;
    const ourServerMs = serverMs(cpuBefore);
    console.log(`workload: 10 params, 5 tags, 5 metrics x 10 points, one 1 KB artifact per run; ${RUNS} runs`);
    console.log(`  requests per run, source: ${perRun(delta(sourceAfter, sourceBefore), RUNS)}`);
    console.log(`  requests per run, target: ${perRun(delta(targetAfter, targetBefore), RUNS)}`);
    const ceiling = RUNS / ceilingSeconds;
    console.log(`  target's raw write ceiling (create + log-batch + PUT + update, 4 runs in flight, nothing read): ${ceiling.toFixed(1)} runs/s`);
    console.log(`  runs-migrator --workers 8: ${(RUNS / small.seconds).toFixed(1)} runs/s whole CLI run (${small.seconds.toFixed(1)} s), ${(RUNS / smallEngine).toFixed(1)} runs/s engine only; ratio to ceiling ${(RUNS / small.seconds / ceiling).toFixed(2)} / ${(RUNS / smallEngine / ceiling).toFixed(2)}; peak RSS ${small.maxRssMb.toFixed(0)} MB`);
    console.log(`  server CPU per run: ${ourServerMs}`);
    let base: CliRun | undefined;
    if (BASELINE) {
      const [sb, tb] = await Promise.all([source.requestsByRoute(), target.requestsByRoute()]);
      const baseCpu = [source.cpuSeconds(), target.cpuSeconds()];
      base = checked(await copy('small', 'small-baseline', 8, BASELINE));
      const baseServerMs = serverMs(baseCpu);
      const [sa, ta] = await Promise.all([source.requestsByRoute(), target.requestsByRoute()]);
      console.log(`  baseline (${BASELINE}): source ${perRun(delta(sa, sb), RUNS)}`);
      console.log(`  baseline: target ${perRun(delta(ta, tb), RUNS)}`);
      console.log(`  baseline server CPU per run: ${baseServerMs}`);
      // One copy each is mostly noise on a shared machine: three more of each, interleaved.
      const rounds: string[] = [];
      for (let round = 1; round <= (MANY_ONLY ? 0 : 3); round++) {
        const ours = checked(await copy('small', `small-r${round}`));
        const theirs = checked(await copy('small', `small-baseline-r${round}`, 8, BASELINE));
        rounds.push(`${(RUNS / ours.seconds).toFixed(1)} vs ${(RUNS / theirs.seconds).toFixed(1)}`);
      }
      console.log(`  this version vs baseline, --workers 8, whole CLI runs/s (first copy above, then 3 interleaved): ${(RUNS / small.seconds).toFixed(1)} vs ${(RUNS / base.seconds).toFixed(1)}, ${rounds.join(', ')}`);
    }

    // 3: worker counts, fixed and following latency (through the library: the CLI has no adaptive mode).
    // Two interleaved rounds (the machine is shared: a single pass is mostly noise); both printed.
    if (!MANY_ONLY) console.log(`workers (the same ${RUNS} runs into a new project each time, library in a child process, 2 rounds): runs/s, mean seconds per run`);
    const settings: Array<[number, 'fixed' | 'adaptive']> = MANY_ONLY ? [] : [[1, 'fixed'], [2, 'fixed'], [4, 'fixed'], [8, 'fixed'], [16, 'fixed'], [32, 'fixed'], [8, 'adaptive'], [32, 'adaptive']];
    const results = new Map<string, string[]>();
    for (const round of [1, 2]) {
      for (const [workers, mode] of settings) {
        const out = await libraryCopy([source.url, 'default/small', target.url, `default/small-${mode}-${workers}-${round}`, String(workers), mode]);
        if (out.failed !== 0 || out.copied !== RUNS) throw new Error(`sweep copy: ${JSON.stringify(out)}`);
        const label = mode === 'fixed' ? `${String(workers).padStart(2)} workers` : `adaptive, at most ${workers}`;
        results.set(label, [...(results.get(label) ?? []), `${(RUNS / out.seconds).toFixed(1)} runs/s (${out.meanRunSeconds.toFixed(3)} s per run)`]);
      }
    }
    for (const [label, rounds] of results) console.log(`  ${label}: ${rounds.join(', ')}`);

    // 4: many small runs.
    await writeRuns(sourceApi, await sourceApi.createExperiment('many'), MANY, 8);
    const many = checked(await copy('many', 'many-copy'));
    console.log(`${fmt(MANY)} small runs, --workers 8: ${(MANY / many.seconds).toFixed(1)} runs/s whole CLI run (${many.seconds.toFixed(1)} s), ${(MANY / engineSeconds(REPORT)).toFixed(1)} runs/s engine only; peak RSS ${many.maxRssMb.toFixed(0)} MB (${RUNS} runs: ${small.maxRssMb.toFixed(0)} MB; ratio ${(many.maxRssMb / small.maxRssMb).toFixed(2)})`);
    if (BASELINE && base) {
      const baseMany = checked(await copy('many', 'many-baseline', 8, BASELINE));
      console.log(`  baseline: ${(MANY / baseMany.seconds).toFixed(1)} runs/s whole CLI run, ${(MANY / engineSeconds(REPORT)).toFixed(1)} engine only; peak RSS ${baseMany.maxRssMb.toFixed(0)} MB (${RUNS} runs: ${base.maxRssMb.toFixed(0)} MB; ratio ${(baseMany.maxRssMb / base.maxRssMb).toFixed(2)})`);
    }

    if (MANY_ONLY) return;
    // 5: one long run, and one a tenth as long.
    const tenth = Math.round(POINTS / 10 / KEYS) * KEYS;
    for (const [name, points] of [['long-tenth', tenth], ['long', POINTS]] as const) {
      const runId = await sourceApi.createRun(await sourceApi.createExperiment(name), name);
      for (let k = 0; k < KEYS; k++) await postAll(sourceApi, buildBatches(runId, 1, points / KEYS).map((b) => b.replaceAll('"metric_0"', `"metric_${k}"`)), 4);
      await sourceApi.post('runs/update', { run_id: runId, status: 'FINISHED', end_time: T0 + 100_000 });
    }
    const scratch = await targetApi.createRun(await targetApi.createExperiment('ceiling-long'), 'ceiling');
    const bodies = buildBatches(scratch, KEYS, tenth / KEYS);
    const rawPointsPerSecond = tenth / (await postAll(targetApi, bodies, 4));
    const shortRun = checked(await copy('long-tenth', 'long-tenth-copy'));
    const shortEngine = tenth / engineSeconds(REPORT);
    const longRun = checked(await copy('long', 'long-copy'));
    const longEngine = POINTS / engineSeconds(REPORT);
    const baseShort = BASELINE ? checked(await copy('long-tenth', 'long-tenth-baseline', 8, BASELINE)) : undefined;
    const baseShortEngine = tenth / engineSeconds(REPORT);
    // The baseline copies only the shorter run: enough for its ratio to the same ceiling, and half the time.
    console.log(`one run of ${fmt(POINTS)} points (${KEYS} keys) and one of ${fmt(tenth)}`);
    console.log(`  target's raw log-batch ceiling: ${fmt(rawPointsPerSecond)} points/s (1000-point bodies prepared in advance, 4 in flight)`);
    console.log(`  ${fmt(tenth)} points: ${fmt(tenth / shortRun.seconds)} points/s whole CLI run (${shortRun.seconds.toFixed(1)} s), ${fmt(shortEngine)} engine only; ratio to ceiling ${(tenth / shortRun.seconds / rawPointsPerSecond).toFixed(2)} / ${(shortEngine / rawPointsPerSecond).toFixed(2)}; peak RSS ${shortRun.maxRssMb.toFixed(0)} MB`);
    console.log(`  ${fmt(POINTS)} points: ${fmt(POINTS / longRun.seconds)} points/s whole CLI run (${longRun.seconds.toFixed(1)} s), ${fmt(longEngine)} engine only; ratio to ceiling ${(POINTS / longRun.seconds / rawPointsPerSecond).toFixed(2)} / ${(longEngine / rawPointsPerSecond).toFixed(2)}; peak RSS ${longRun.maxRssMb.toFixed(0)} MB (ratio to ${fmt(tenth)} points: ${(longRun.maxRssMb / shortRun.maxRssMb).toFixed(2)}; target <= 1.2 and < 200 MB)`);
    if (baseShort) {
      console.log(`  baseline, ${fmt(tenth)} points: ${fmt(tenth / baseShort.seconds)} points/s whole CLI run, ${fmt(baseShortEngine)} engine only; ratio to ceiling ${(tenth / baseShort.seconds / rawPointsPerSecond).toFixed(2)} / ${(baseShortEngine / rawPointsPerSecond).toFixed(2)}; peak RSS ${baseShort.maxRssMb.toFixed(0)} MB`);
    }
  } finally {
    await sourceApi.close();
    await targetApi.close();
    await stopAll([source, target]);
  }
}

async function libraryCopy(args: string[]): Promise<{ seconds: number; copied: number; failed: number; meanRunSeconds: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/library-copy.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`library copy exited ${code}`);
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

async function stopAll(servers: ServerProcess[]): Promise<void> {
  await Promise.all(servers.map((server) => server.stop()));
}

await main();
