/**
 * Issue 16's benchmark, the mlruns -> SQLite half: traces of 20 spans and 2 assessments each,
 * written into an mlruns folder, copied through the CLI into MLflow's SQLite database (the real
 * 3.11 schema of test/golden/stores/genai-sqlite), against the database's own ceiling measured in
 * the same run: the same trace, tag, metadata, span and assessment rows inserted by a bare
 * prepared-statement loop in one transaction, nothing read.
 *
 *   node --import tsx bench/traces-copy.ts [--traces 10000] [--small 1000]
 *   BENCH_CPU_PROF_DIR=/tmp/prof node --import tsx bench/traces-copy.ts ...   (also profiles each copy)
 *
 * Prints traces/s of the copy and of the ceiling, their ratio (goal >= 0.5), and the CLI's peak
 * RSS at --small traces and at --traces traces (goal: flat). The server -> server half of the
 * issue's benchmark is not here yet.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { writeTraceFolder } from '../src/backends/mlruns/traces.js';
import { dumpPythonJson, LosslessNumber } from '../src/model/python-json.js';
import { spanFromDocument } from '../src/model/trace-span.js';
import type { Assessment, Trace } from '../src/model/trace.js';
import { arg, ROOT } from './support.js';

const TRACES = arg('traces', 10_000);
const SMALL = arg('small', 1_000);
const SPANS = 20;
const EXPERIMENT = '132527274744105650';
const GOLDEN = join(ROOT, 'test/golden/stores');

function makeTrace(i: number): Trace {
  const hex = i.toString(16).padStart(32, '0');
  const traceId = `tr-${hex}`;
  const base = 1_735_689_700_000_000_000n + BigInt(i) * 1_000_000_000n;
  const spans = Array.from({ length: SPANS }, (_, s) =>
    spanFromDocument({
      trace_id: Buffer.from(hex, 'hex').toString('base64'),
      span_id: Buffer.from((s + 1).toString(16).padStart(16, '0'), 'hex').toString('base64'),
      parent_span_id: s === 0 ? null : Buffer.from('1'.padStart(16, '0'), 'hex').toString('base64'),
      name: `span-${s}`,
      start_time_unix_nano: new LosslessNumber(String(base + BigInt(s) * 1000n)),
      end_time_unix_nano: new LosslessNumber(String(base + BigInt(s) * 1000n + 500n)),
      events: [],
      status: { code: 'STATUS_CODE_OK', message: '' },
      attributes: {
        'mlflow.traceRequestId': JSON.stringify(traceId),
        'mlflow.spanType': '"CHAIN"',
        'mlflow.spanInputs': JSON.stringify({ question: `question ${i} ${s}`, context: 'x'.repeat(200) }),
        'mlflow.spanOutputs': JSON.stringify({ answer: `answer ${i} ${s}` }),
      },
    }),
  );
  const assessment = (n: number): Assessment => ({
    assessmentId: `a-${i.toString(16).padStart(30, '0')}0${n}`,
    traceId,
    name: n === 1 ? 'relevance' : 'expected_answer',
    kind: n === 1 ? 'feedback' : 'expectation',
    value: n === 1 ? true : `answer ${i}`,
    sourceType: 'HUMAN',
    sourceId: 'bench',
    metadata: {},
    valid: true,
    createTime: 1_735_689_800_000 + i,
    lastUpdateTime: 1_735_689_800_000 + i,
  });
  return {
    info: {
      traceId,
      experimentId: EXPERIMENT,
      requestTime: 1_735_689_700_000 + i * 1000,
      executionDurationMs: 20,
      state: 'OK',
      requestPreview: `{"question": "question ${i}"}`,
      responsePreview: `{"answer": "answer ${i}"}`,
      tags: { 'mlflow.traceName': `trace-${i}` },
      metadata: { 'mlflow.user': 'bench', 'mlflow.trace_schema.version': '3' },
    },
    spans,
    assessments: [assessment(1), assessment(2)],
  };
}

async function writeSource(dir: string, count: number): Promise<void> {
  cpSync(join(GOLDEN, 'genai-mlruns'), dir, { recursive: true });
  rmSync(join(dir, EXPERIMENT, 'traces'), { recursive: true, force: true });
  for (let i = 0; i < count; i++) {
    const trace = makeTrace(i);
    await writeTraceFolder(trace, { key: 'bench', value: '1' }, {
      stagingDir: join(dir, '.staging', trace.info.traceId),
      finalDir: join(dir, EXPERIMENT, 'traces', trace.info.traceId),
      artifactLocation: `file://${join(dir, EXPERIMENT)}`,
    });
  }
}

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

async function copy(source: string, dbPath: string, cwd: string): Promise<{ seconds: number; rssMb: number; traces: number }> {
  const report = join(cwd, 'report.json');
  // BENCH_CPU_PROF_DIR=<dir> writes a CPU profile of the copy there (node --cpu-prof), to see where the time goes.
  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', '--import', './bench/report-rss.mjs', 'src/cli/run.ts', 'copy', '--source-uri', source, '--source-project', 'genai-fixture',
    '--target-uri', `sqlite:///${dbPath}`, '--target-project', 'bench', '--no-progress', '--report', report], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.resume();
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`copy failed (${code}): ${stderr.slice(-2000)}`);
  const parsed = JSON.parse(readFileSync(report, 'utf8')) as { startedAt: string; finishedAt: string; traces: { summary: { copied: number } } };
  const rss = /RUNS_MIGRATOR_MAX_RSS_KB=(\d+)/.exec(stderr);
  return { seconds: (Date.parse(parsed.finishedAt) - Date.parse(parsed.startedAt)) / 1000, rssMb: rss ? Number(rss[1]) / 1024 : Number.NaN, traces: parsed.traces.summary.copied };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-traces-'));
  try {
    const results: Array<{ count: number; seconds: number; rssMb: number; ceiling: number }> = [];
    for (const count of [...new Set([SMALL, TRACES])]) {
      const dir = join(work, String(count));
      mkdirSync(dir);
      await writeSource(join(dir, 'mlruns'), count);
      const run = await copy(join(dir, 'mlruns'), freshDatabase(join(dir, 'db')), dir);
      if (run.traces !== count) throw new Error(`copied ${run.traces} of ${count} traces`);
      results.push({ count, seconds: run.seconds, rssMb: run.rssMb, ceiling: ceiling(freshDatabase(join(dir, 'db-ceiling')), count) });
    }
    for (const r of results) {
      const rate = r.count / r.seconds;
      console.log(`mlruns -> SQLite, ${r.count} traces x ${SPANS} spans x 2 assessments: ${rate.toFixed(0)} traces/s; ceiling ${r.ceiling.toFixed(0)} traces/s; ratio ${(rate / r.ceiling).toFixed(3)}; CLI peak RSS ${r.rssMb.toFixed(0)} MB`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
