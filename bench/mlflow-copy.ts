/**
 * Issue 2's benchmark: MLflow server -> MLflow server through the CLI, against the target
 * server's raw log-batch ceiling measured in the same run.
 *
 *   npm run build && node --import tsx bench/mlflow-copy.ts [--points 1000000] [--small-runs 500]
 *
 * Prints, for one run of 10 keys x (points/10) steps: our points/s, the raw ceiling (prepared
 * log-batch bodies of 1000 points posted with the same concurrency, nothing read), their ratio,
 * and the CLI's peak RSS at 1/10 of the points and at all of them; then runs/s for many small
 * runs with --workers 8.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api, arg, buildBatches, engineSeconds, postAll, runCli, startStandinProcess } from './support.js';

const BENCH_LOG = join(tmpdir(), 'runs-migrator-bench.log');
const BENCH_REPORT = join(tmpdir(), 'runs-migrator-bench.report.json');

const POINTS = arg('points', 1_000_000);
const SMALL_RUNS = arg('small-runs', 500);
const KEYS = 10;
const WRITE_CONCURRENCY = 4; // the mlflow backend's capabilities.writeConcurrency

async function seedLongRun(api: Api, experiment: string, points: number): Promise<void> {
  const experimentId = await api.createExperiment(experiment);
  const runId = await api.createRun(experimentId, `long-${points}`);
  await postAll(api, buildBatches(runId, KEYS, points / KEYS), 4);
  await api.post('runs/update', { run_id: runId, status: 'FINISHED', end_time: 1_700_000_100_000 });
}

async function main(): Promise<void> {
  const source = await startStandinProcess();
  const target = await startStandinProcess();
  const sourceApi = new Api(source.url);
  const targetApi = new Api(target.url);
  try {
    const small = Math.max(KEYS, Math.round(POINTS / 10 / KEYS) * KEYS);
    await seedLongRun(sourceApi, 'bench-small', small);
    await seedLongRun(sourceApi, 'bench-large', POINTS);

    // The ceiling: the target server alone, the same bodies our copy sends, no reading.
    const scratch = await targetApi.createRun(await targetApi.createExperiment('ceiling'), 'ceiling');
    const bodies = buildBatches(scratch, KEYS, POINTS / KEYS);
    const ceilingSeconds = await postAll(targetApi, bodies, WRITE_CONCURRENCY);
    const ceiling = POINTS / ceilingSeconds;

    const copy = (project: string) =>
      runCli(['copy', '--source-uri', source.url, '--source-project', `default/${project}`, '--target-uri', target.url, '--target-project', `default/${project}-copy`, '--no-progress', '--quiet', '--log-file', BENCH_LOG, '--report', BENCH_REPORT]);
    const smallRun = await copy('bench-small');
    const largeRun = await copy('bench-large');
    for (const run of [smallRun, largeRun]) if (run.exitCode !== 0) throw new Error(`copy failed: ${run.stderr}`);
    const ours = POINTS / largeRun.seconds;
    const oursEngine = POINTS / engineSeconds(BENCH_REPORT);

    console.log(`one run, ${POINTS.toLocaleString('en')} points (${KEYS} keys), MLflow stand-in -> MLflow stand-in`);
    console.log(`  raw log-batch ceiling of the target: ${Math.round(ceiling).toLocaleString('en')} points/s (${bodies.length} bodies, concurrency ${WRITE_CONCURRENCY})`);
    console.log(`  runs-migrator copy (whole CLI run):  ${Math.round(ours).toLocaleString('en')} points/s in ${largeRun.seconds.toFixed(1)} s`);
    console.log(`  runs-migrator copy (engine only, from the report): ${Math.round(oursEngine).toLocaleString('en')} points/s`);
    console.log(`  ratio to ceiling: ${(ours / ceiling).toFixed(2)} whole CLI run, ${(oursEngine / ceiling).toFixed(2)} engine only (target >= 0.9)`);
    console.log(`  peak RSS: ${smallRun.maxRssMb.toFixed(0)} MB at ${small.toLocaleString('en')} points, ${largeRun.maxRssMb.toFixed(0)} MB at ${POINTS.toLocaleString('en')} points; ratio ${(largeRun.maxRssMb / smallRun.maxRssMb).toFixed(2)} (target <= 1.2, < 200 MB)`);

    // Many small runs: 3 params, 3 tags, 2 metrics x 50 points each.
    const experimentId = await sourceApi.createExperiment('bench-many');
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < SMALL_RUNS) {
          const index = next++;
          const runId = await sourceApi.createRun(experimentId, `small-${index}`, 1_700_000_000_000 + index);
          const metrics = [];
          for (let step = 0; step < 50; step++) {
            metrics.push({ key: 'loss', value: 1 / (step + 1), timestamp: 1_700_000_000_000 + step, step });
            metrics.push({ key: 'acc', value: step / 50, timestamp: 1_700_000_000_000 + step, step });
          }
          await sourceApi.post('runs/log-batch', {
            run_id: runId,
            params: [0, 1, 2].map((i) => ({ key: `p${i}`, value: String(i * index) })),
            tags: [0, 1, 2].map((i) => ({ key: `t${i}`, value: `v${i}` })),
            metrics,
          });
          await sourceApi.post('runs/update', { run_id: runId, status: 'FINISHED', end_time: 1_700_000_001_000 + index });
        }
      }),
    );
    const many = await runCli(['copy', '--source-uri', source.url, '--source-project', 'default/bench-many', '--target-uri', target.url, '--target-project', 'default/bench-many-copy', '--workers', '8', '--no-progress', '--quiet', '--log-file', BENCH_LOG, '--report', BENCH_REPORT]);
    if (many.exitCode !== 0) throw new Error(`copy failed: ${many.stderr}`);
    console.log(`${SMALL_RUNS} small runs (3 params, 3 tags, 100 points each), --workers 8: ${(SMALL_RUNS / many.seconds).toFixed(1)} runs/s (${many.seconds.toFixed(1)} s, peak RSS ${many.maxRssMb.toFixed(0)} MB)`);
  } finally {
    await sourceApi.close();
    await targetApi.close();
    await source.stop();
    await target.stop();
  }
}

await main();
