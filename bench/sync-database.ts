/**
 * What an unchanged sync pass costs from MLflow's database (SQLite) with the runs' state tokens
 * (src/backends/mlflow-sqlite/run-state.ts), against the same pass when every copy has to be
 * compared in full, in one run:
 *
 *   npm run build && node --import tsx bench/sync-database.ts [--runs 2000] [--workers 8]
 *
 * 1. `--runs` small runs (10 params, 5 tags, 5 metrics x 10 points) are written into a SQLite
 *    mlflow.db by a copy from a stand-in, then copied from that database into an mlruns folder:
 *    the first full copy.
 * 2. The copy again, nothing changed: tokens match, no copy is opened.
 * 3. The `runs_migrator.source_state` tag files are removed from the mlruns copies, then the copy
 *    again: every copy is opened and compared in full - what every pass cost before the database
 *    had tokens (the pass writes the tokens back and changes nothing else).
 */
import { mkdirSync, readdirSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Api, SMALL_RUN_T0 as T0, arg, engineSeconds, runCli, smallRunBatch, startStandinProcess } from './support.js';
import { createMlflowDatabase } from '../test/support/mlflow-sqlite-schema.js';

const RUNS = arg('runs', 2_000);
const WORKERS = arg('workers', 8);
const DIR = `/tmp/runs-migrator-bench-sync-db-${process.pid}`;
const REPORT = join(DIR, 'report.json');

async function copy(sourceUri: string, targetUri: string): Promise<{ seconds: number; engine: number; summary: Record<string, number> }> {
  const run = await runCli([
    'copy', '--source-uri', sourceUri, '--source-project', 'bench', '--target-uri', targetUri, '--target-project', 'bench',
    '--workers', String(WORKERS), '--no-progress', '--quiet', '--log-file', join(DIR, 'copy.log'), '--report', REPORT,
  ]);
  if (run.exitCode !== 0) throw new Error(`copy failed (${run.exitCode}): ${run.stderr.slice(-2000)}`);
  return { seconds: run.seconds, engine: engineSeconds(REPORT), summary: JSON.parse(readFileSync(REPORT, 'utf8')).summary };
}

function line(name: string, pass: { seconds: number; engine: number; summary: Record<string, number> }, first?: { engine: number }): string {
  const s = pass.summary;
  const ratio = first ? ` (${((100 * pass.engine) / first.engine).toFixed(1)} % of the first copy's engine time)` : '';
  return `${name}: ${pass.seconds.toFixed(1)} s wall, ${pass.engine.toFixed(1)} s engine${ratio}; copied ${s.copied}, updated ${s.updated}, skipped ${s.skipped}, failed ${s.failed}`;
}

async function main(): Promise<void> {
  mkdirSync(join(DIR, 'db'), { recursive: true });
  const db = join(DIR, 'db', 'mlflow.db');
  createMlflowDatabase(db);
  const server = await startStandinProcess();
  const api = new Api(server.url, 16);
  try {
    const experimentId = await api.createExperiment('bench');
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < RUNS) {
        const index = next++;
        const runId = await api.createRun(experimentId, `run-${index}`, T0 + index);
        await api.post('runs/log-batch', smallRunBatch(runId, index));
        await api.post('runs/update', { run_id: runId, status: 'FINISHED', end_time: T0 + index + 60_000 });
      }
    }));
    await copy(server.url, `sqlite:///${db}`);
  } finally {
    await api.close();
    await server.stop();
  }
  const source = `sqlite:///${db}`;
  const mlruns = join(DIR, 'mlruns');
  console.log(`${RUNS} runs in ${db}; workers ${WORKERS}`);
  const first = await copy(source, mlruns);
  console.log(line('1. first full copy into mlruns', first));
  const unchanged = await copy(source, mlruns);
  console.log(line('2. nothing changed, tokens match', unchanged, first));
  let removed = 0;
  for (const experiment of readdirSync(mlruns).filter((name) => !name.startsWith('.'))) {
    for (const run of readdirSync(join(mlruns, experiment), { withFileTypes: true })) {
      const tag = join(mlruns, experiment, run.name, 'tags', 'runs_migrator.source_state');
      if (run.isDirectory() && existsSync(tag)) {
        rmSync(tag);
        removed++;
      }
    }
  }
  const full = await copy(source, mlruns);
  console.log(line(`3. nothing changed, ${removed} copies without a token (compared in full)`, full, first));
  if (!process.env.KEEP_BENCH_DIR) rmSync(DIR, { recursive: true, force: true });
}

await main();
