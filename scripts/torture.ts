/**
 * The long variants of the crash and fault tests (issue 5), with figures for the README:
 *
 *   node --import tsx scripts/torture.ts [--runs 200] [--kills 20] [--fault-rate 0.05] [--seed 1]
 *
 * 1. Crash and resume: a migration of --runs runs (mixed sizes, nested runs, artifacts) between
 *    two stand-in servers is killed with SIGKILL at seeded random moments, --kills times, and the
 *    same command run again after each kill; then once more to the end, and verify must be clean
 *    with every run exactly once.
 * 2. Faults: the same project copied into a target that fails --fault-rate of its requests
 *    (503, 429 with Retry-After, connection resets, slow and truncated responses); verify must be
 *    clean and the report counts the retries.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStandin } from '../test/support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../test/support/mlflow-seed.js';
import { mixedRuns } from '../test/support/mixed-project.js';
import { prng } from '../test/support/prng.js';
import { runCli, startCli, tempDir } from '../test/support/cli-process.js';

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

const RUNS = arg('runs', 200);
const KILLS = arg('kills', 20);
const FAULT_RATE = arg('fault-rate', 0.05);
const SEED = arg('seed', 1);

const source = await startStandin();
const target = await startStandin();
const faulty = await startStandin({ faults: { rate: FAULT_RATE, seed: SEED, retryAfterSeconds: 0, slowMs: 1500 } });
let failed = false;
try {
  await seedProject(new MlflowApi(source.url), 'mixed', mixedRuns(RUNS, SEED));
  const cwd = tempDir('torture');
  const copyArgs = (targetUrl: string) => ['copy', '--source-uri', source.url, '--source-project', 'mixed', '--target-uri', targetUrl, '--target-project', 'mixed-copy', '--workers', '4', '--no-progress'];

  const random = prng(SEED);
  let kills = 0;
  let attempts = 0;
  const started = performance.now();
  while (kills < KILLS) {
    attempts++;
    // Kill 0.4 to 1.0 s after start (the CLI starts in about 0.6 s): during start-up, listing,
    // and during and between runs; each attempt gets a little further, so many kills land before
    // the migration finishes.
    const delay = 400 + Math.floor(random() * 600);
    const { child, done } = startCli(copyArgs(target.url), { cwd });
    const timer = setTimeout(() => child.kill('SIGKILL'), delay);
    const result = await done;
    clearTimeout(timer);
    if (result.signal === 'SIGKILL') kills++;
    else if (result.code === 0) break; // finished before the kill: nothing left to interrupt
    else throw new Error(`copy failed without a kill: ${result.stderr}`);
  }
  const final = await runCli([...copyArgs(target.url), '--verify', '--report', join(cwd, 'final.json')], { cwd });
  const report = JSON.parse(readFileSync(join(cwd, 'final.json'), 'utf8'));
  const verified = /Verify clean: (\d+) run/.exec(final.stdout);
  console.log(`crash and resume: ${RUNS} runs, ${kills} SIGKILLs survived in ${attempts} attempts (${((performance.now() - started) / 1000).toFixed(0)} s); final run copied ${report.summary.copied}, skipped ${report.summary.skipped}; ${verified ? `verify clean, ${verified[1]} runs verified` : 'VERIFY FAILED'}`);
  if (!verified || final.code !== 0) {
    failed = true;
    console.log(final.stdout, final.stderr);
  }

  const faultCwd = tempDir('torture-faults');
  const env = { MLFLOW_HTTP_REQUEST_TIMEOUT: '1', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.05', MLFLOW_HTTP_REQUEST_MAX_RETRIES: '10' };
  const faultRun = await runCli([...copyArgs(faulty.url), '--report', join(faultCwd, 'faults.json')], { cwd: faultCwd, env });
  faulty.setFaults(undefined);
  const faultVerify = await runCli(['verify', '--source-uri', source.url, '--source-project', 'mixed', '--target-uri', faulty.url, '--target-project', 'mixed-copy'], { cwd: faultCwd });
  const faultReport = JSON.parse(readFileSync(join(faultCwd, 'faults.json'), 'utf8'));
  const stats = faulty.stats();
  const injected = Object.values(stats.faults).reduce((a, b) => a + b, 0);
  console.log(`faults: ${stats.requests} requests to the target, ${injected} faults injected (${JSON.stringify(stats.faults)}), ${faultReport.summary.retries} retries counted; copy exit ${faultRun.code}; ${faultVerify.stdout.trim().split('\n').pop()}`);
  if (faultRun.code !== 0 || faultVerify.code !== 0) failed = true;
} finally {
  await source.close();
  await target.close();
  await faulty.close();
}
process.exitCode = failed ? 1 : 0;
