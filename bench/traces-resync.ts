/**
 * What following an mlruns source costs a re-run (docs/traces.md "Re-runs follow changes"):
 * --traces traces of 20 spans and 2 assessments (bench/trace-workload.ts) written into an mlruns
 * folder (left to age past the racy window: a store written a while ago), copied once into MLflow's SQLite
 * database, then re-run with nothing changed: by this checkout (the listing stats each trace's
 * assessment files for its state token) and by another checkout (BENCH_BEFORE_ROOT, e.g. a
 * checkout from before mlruns tokens, where nothing is compared; default this one), interleaved --rounds times.
 * Then a copy made by the earlier checkout, re-run twice by this one (the first compares every
 * trace once). Last, --changed traces get a tag and a rewritten assessment, and this checkout's
 * re-run follows them.
 *
 *   node --import tsx bench/traces-resync.ts [--traces 10000] [--rounds 3] [--changed 100]
 *
 * Prints per re-run the engine's seconds and the CLI's CPU time (start-up included) per trace.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { RACY_WINDOW_MS } from '../src/backends/mlruns/trace-state-token.js';
import { copyTraces, EXPERIMENT, makeTrace, writeMlrunsTraceSource as writeSource } from './trace-workload.js';
import { arg, ROOT } from './support.js';

const TRACES = arg('traces', 10_000);
const ROUNDS = arg('rounds', 3);
const CHANGED = arg('changed', 100);
const BEFORE = process.env.BENCH_BEFORE_ROOT ?? ROOT;
const GOLDEN = join(ROOT, 'test/golden/stores');

/** Until the files just written are older than the racy window (trace-state-token.ts): a store written a while before the copy. */
const settle = () => new Promise((resolve) => setTimeout(resolve, RACY_WINDOW_MS + 300));

/** Rows of the trace tables and their highest rowids: a row written (again) moves it. */
function writeStamp(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    const table = (name: string) => `(SELECT COUNT(*) + COALESCE(MAX(rowid), 0) FROM ${name})`;
    return (db.prepare(`SELECT ${table('trace_tags')} + ${table('assessments')} + ${table('trace_info')} AS n`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

interface Pass {
  seconds: number;
  cpuMsPerTrace: number;
  summary: Record<string, number>;
}

async function pass(cli: string, locations: string[], cwd: string): Promise<Pass> {
  const previous = process.env.BENCH_CLI_ROOT;
  process.env.BENCH_CLI_ROOT = cli;
  try {
    const run = await copyTraces(locations, cwd);
    const report = JSON.parse(readFileSync(join(cwd, 'report.json'), 'utf8')) as { traces: { summary: Record<string, number> } };
    return { seconds: run.seconds, cpuMsPerTrace: (run.cpuSeconds * 1000) / TRACES, summary: report.traces.summary };
  } finally {
    if (previous === undefined) delete process.env.BENCH_CLI_ROOT;
    else process.env.BENCH_CLI_ROOT = previous;
  }
}

const line = (label: string, p: Pass) =>
  `${label}: ${p.seconds.toFixed(2)} s engine, ${p.cpuMsPerTrace.toFixed(3)} ms CLI CPU per trace; updated ${p.summary.updated ?? 0}, skipped ${p.summary.skipped ?? 0}, failed ${p.summary.failed ?? 0}`;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-resync-'));
  try {
    const source = join(work, 'mlruns');
    await writeSource(source, TRACES);
    await settle();
    cpSync(join(GOLDEN, 'genai-sqlite'), join(work, 'db'), { recursive: true });
    const locations = ['--source-uri', source, '--source-project', 'genai-fixture', '--target-uri', `sqlite:///${join(work, 'db', 'mlflow.db')}`, '--target-project', 'bench'];
    const first = await pass(ROOT, locations, work);
    console.log(line(`first copy, ${TRACES} traces (this checkout)`, first));
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const before = await pass(BEFORE, locations, work);
      const written = writeStamp(join(work, 'db', 'mlflow.db'));
      const after = await pass(ROOT, locations, work);
      if ((after.summary.skipped ?? 0) !== TRACES || (after.summary.updated ?? 0) !== 0) throw new Error(`unchanged re-run did not skip every trace: ${JSON.stringify(after.summary)}`);
      if (writeStamp(join(work, 'db', 'mlflow.db')) !== written) throw new Error('the unchanged re-run wrote into the database');
      console.log(line(`round ${round} unchanged re-run, before (${BEFORE})`, before));
      console.log(line(`round ${round} unchanged re-run, after (this checkout)`, after));
      ratios.push(after.seconds / before.seconds);
      cpuRatios.push(after.cpuMsPerTrace / before.cpuMsPerTrace);
    }
    console.log(`after/before, engine seconds: ${ratios.map((r) => r.toFixed(2)).join(', ')}; CLI CPU: ${cpuRatios.map((r) => r.toFixed(2)).join(', ')}`);
    // A copy made by the earlier checkout (its tokens from the traces' content): the first re-run
    // of this checkout compares every trace once and records the new token, the next one skips.
    cpSync(join(GOLDEN, 'genai-sqlite'), join(work, 'db-upgrade'), { recursive: true });
    const upgrade = ['--source-uri', source, '--source-project', 'genai-fixture', '--target-uri', `sqlite:///${join(work, 'db-upgrade', 'mlflow.db')}`, '--target-project', 'bench'];
    await pass(BEFORE, upgrade, work);
    console.log(line('first re-run of a copy made by the earlier checkout (this checkout)', await pass(ROOT, upgrade, work)));
    console.log(line('the re-run after it (this checkout)', await pass(ROOT, upgrade, work)));
    rmSync(join(work, 'db-upgrade'), { recursive: true, force: true });
    // Changed a while ago: a tag set and an assessment rewritten on --changed traces.
    for (let i = 0; i < CHANGED; i++) {
      const dir = join(source, EXPERIMENT, 'traces', makeTrace(i).info.traceId);
      writeFileSync(join(dir, 'tags', 'review'), 'done');
      const file = join(dir, 'assessments', readdirSync(join(dir, 'assessments')).sort()[0]!);
      writeFileSync(file, readFileSync(file, 'utf8').replace('source_id: bench', 'source_id: bench2'));
    }
    await settle();
    const followed = await pass(ROOT, locations, work);
    if ((followed.summary.updated ?? 0) !== CHANGED) throw new Error(`expected ${CHANGED} updated: ${JSON.stringify(followed.summary)}`);
    console.log(line(`re-run after ${CHANGED} traces changed (this checkout)`, followed));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
