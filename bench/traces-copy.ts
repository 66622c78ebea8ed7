/**
 * Issue 16's benchmark. The mlruns -> SQLite half: traces of 20 spans and 2 assessments each,
 * written into an mlruns folder, copied through the CLI into MLflow's SQLite database (the real
 * 3.11 schema of test/golden/stores/genai-sqlite), against the database's own ceiling measured in
 * the same run: the same trace, tag, metadata, span and assessment rows inserted by a bare
 * prepared-statement loop in one transaction, nothing read.
 *
 *   node --import tsx bench/traces-copy.ts [--traces 10000] [--small 1000] [--only sqlite|server]
 *   BENCH_CPU_PROF_DIR=/tmp/prof node --import tsx bench/traces-copy.ts ...   (also profiles each copy)
 *
 * Prints traces/s of the copy and of the ceiling, their ratio (goal >= 0.5), and the CLI's peak
 * RSS at --small traces and at --traces traces (goal: flat). The server -> server half, with the
 * same figures against the target server's raw ingest ceiling, is bench/traces-server.ts.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { dumpPythonJson } from '../src/model/python-json.js';
import { copyTraces, EXPERIMENT, makeTrace, writeMlrunsTraceSource as writeSource, SPANS } from './trace-workload.js';
import { arg, ROOT } from './support.js';
import { benchServerToServer, printServerResults } from './traces-server.js';

const TRACES = arg('traces', 10_000);
const SMALL = arg('small', 1_000);
const GOLDEN = join(ROOT, 'test/golden/stores');

function freshDatabase(dir: string): string {
  cpSync(join(GOLDEN, 'genai-sqlite'), dir, { recursive: true });
  return join(dir, 'mlflow.db');
}

/** The ceiling: the same rows a copy writes, by a bare prepared-statement loop in one transaction. */
function ceiling(dbPath: string, count: number): number {
  const db = new Database(dbPath);
  const info = db.prepare('INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status, client_request_id, request_preview, response_preview) VALUES (?, 1, ?, ?, ?, NULL, ?, ?)');
  const kv = (table: string) => db.prepare(`INSERT INTO ${table} (key, value, request_id) VALUES (?, ?, ?)`);
  const tag = kv('trace_tags');
  const meta = kv('trace_request_metadata');
  const span = db.prepare('INSERT INTO spans (trace_id, experiment_id, span_id, parent_span_id, name, type, status, start_time_unix_nano, end_time_unix_nano, content) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?)');
  const assessment = db.prepare(`INSERT INTO assessments (assessment_id, trace_id, name, assessment_type, value, error, created_timestamp, last_updated_timestamp, source_type, source_id, run_id, span_id, rationale, overrides, valid, assessment_metadata)
    VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, NULL, NULL, NULL, NULL, 1, NULL)`);
  // The rows are built before the clock starts: the ceiling is the database's, not JSON's.
  const traces = Array.from({ length: count }, (_, i) => makeTrace(i));
  const contents = traces.map((t) => t.spans.map((s) => dumpPythonJson(s.document)));
  const started = performance.now();
  db.transaction(() => {
    traces.forEach((t, i) => {
      const id = t.info.traceId;
      info.run(id, t.info.requestTime, t.info.executionDurationMs, t.info.state, t.info.requestPreview, t.info.responsePreview);
      for (const [k, v] of Object.entries({ ...t.info.tags, 'old_sys/trace_id': id, 'old_sys/project': 'p', 'old_sys/uri': 'u', 'runs_migrator.completed': 'x', 'mlflow.artifactLocation': 'a', 'mlflow.trace.spansLocation': 'TRACKING_STORE' })) tag.run(k, v, id);
      for (const [k, v] of Object.entries(t.info.metadata)) meta.run(k, v, id);
      t.spans.forEach((s, j) => span.run(id, s.spanId, s.parentSpanId ?? null, s.name, s.spanType ?? null, s.status, BigInt(s.startTimeNs), BigInt(s.endTimeNs!), contents[i]![j]));
      for (const a of t.assessments) assessment.run(a.assessmentId, id, a.name, a.kind, JSON.stringify(a.value), a.createTime, a.lastUpdateTime, a.sourceType, a.sourceId);
    });
  })();
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return count / seconds;
}

/** `--only server` or `--only sqlite` runs one half; both by default. */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

async function benchMlrunsToSqlite(counts: number[], work: string): Promise<void> {
  const results: Array<{ count: number; seconds: number; rssMb: number; cpuSeconds: number; mainThreadCpuSeconds: number; ceiling: number }> = [];
  for (const count of counts) {
    const dir = join(work, `sqlite-${count}`);
    mkdirSync(dir);
    await writeSource(join(dir, 'mlruns'), count);
    const run = await copyTraces(['--source-uri', join(dir, 'mlruns'), '--source-project', 'genai-fixture', '--target-uri', `sqlite:///${freshDatabase(join(dir, 'db'))}`, '--target-project', 'bench'], dir);
    if (run.traces !== count) throw new Error(`copied ${run.traces} of ${count} traces`);
    results.push({ count, seconds: run.seconds, rssMb: run.rssMb, cpuSeconds: run.cpuSeconds, mainThreadCpuSeconds: run.mainThreadCpuSeconds, ceiling: ceiling(freshDatabase(join(dir, 'db-ceiling')), count) });
    rmSync(dir, { recursive: true, force: true });
  }
  for (const r of results) {
    const rate = r.count / r.seconds;
    console.log(`mlruns -> SQLite, ${r.count} traces x ${SPANS} spans x 2 assessments: ${rate.toFixed(0)} traces/s; ceiling ${r.ceiling.toFixed(0)} traces/s; ratio ${(rate / r.ceiling).toFixed(3)}; CLI peak RSS ${r.rssMb.toFixed(0)} MB; CLI CPU ${((r.cpuSeconds * 1000) / r.count).toFixed(1)} ms per trace (main thread ${((r.mainThreadCpuSeconds * 1000) / r.count).toFixed(1)} ms)`);
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-traces-'));
  const counts = [...new Set([SMALL, TRACES])];
  try {
    if (ONLY !== 'server') await benchMlrunsToSqlite(counts, work);
    if (ONLY !== 'sqlite') printServerResults(await benchServerToServer(counts, work));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
