/**
 * Traces in MLflow's database as the real MLflow 3.11 wrote them (test/golden/stores/genai-sqlite):
 * read whole (spans from the spans table, and from the traces.json artifact for the trace that has
 * them there), and written into another experiment byte for byte: span contents, assessment
 * values and errors as MLflow's json.dumps wrote them.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MlflowSqliteStore } from '../../src/backends/mlflow-sqlite/store.js';
import { MlrunsStore } from '../../src/backends/mlruns/store.js';
import { sourceTracesOf, targetTracesOf, type SourceTraces } from '../../src/engine/traces/contract.js';
import { spanForTrace } from '../../src/model/trace-span.js';
import type { Trace } from '../../src/model/trace.js';
import { tempDir } from '../support/cli-process.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';

const GOLDEN = join(GOLDEN_STORES_DIR, 'genai-sqlite');
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function readAll(source: SourceTraces): Promise<Trace[]> {
  const traces: Trace[] = [];
  for await (const info of source.listTraces()) {
    const trace = await source.readTrace(info);
    expect(trace.issues).toEqual([]);
    traces.push(trace);
  }
  return traces.sort((a, b) => a.info.requestTime - b.info.requestTime);
}

async function goldenSource(): Promise<SourceTraces> {
  const store = MlflowSqliteStore.open(`sqlite:///${join(GOLDEN, 'mlflow.db')}`);
  closers.push(() => store.close());
  return sourceTracesOf(await store.openSource({ workspace: 'default', project: 'genai-fixture' }))!;
}

/** A writable copy of the real database (its schema is MLflow's own), with a new experiment to write into. */
async function targetCopy(prefix: string) {
  const dir = tempDir(prefix);
  cpSync(GOLDEN, dir, { recursive: true });
  const dbPath = join(dir, 'mlflow.db');
  const store = MlflowSqliteStore.openTarget(`sqlite:///${dbPath}`);
  closers.push(() => store.close());
  const project = (await store.openTarget({ workspace: 'default', project: 'copied' }, { tags: [] }, { create: true }))!;
  return { dbPath, store, project, traces: targetTracesOf(project)! };
}

const contents = (dbPath: string, traceId: string) => {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT span_id, content FROM spans WHERE trace_id = ? ORDER BY span_id').all(traceId) as Array<{ span_id: string; content: string }>;
  } finally {
    db.close();
  }
};

describe('mlflow-sqlite traces of the real database', () => {
  it('reads six traces: spans from the table or the traces.json artifact, assessments with values, errors and overrides', async () => {
    const traces = await readAll(await goldenSource());
    expect(traces.map((t) => [t.info.tags['mlflow.traceName'], t.spans.length, t.assessments.length])).toEqual([
      ['qa-simple', 3, 3], ['qa-error', 2, 3], ['model-linked', 2, 0], ['with-prompt', 2, 0], ['chat-session', 2, 1], ['legacy-artifact', 2, 0],
    ]);
    const qaError = traces[1]!;
    expect(qaError.info).toMatchObject({ state: 'ERROR', executionDurationMs: 30, requestPreview: '{"question": "Divide 1 by 0"}', experimentId: '1' });
    const grounded = qaError.assessments.find((a) => a.name === 'groundedness')!;
    expect(grounded).toMatchObject({ value: null, error: { code: 'RATE_LIMIT_EXCEEDED', message: 'judge rate limited' }, sourceType: 'LLM_JUDGE' });
    const facts = traces[4]!.assessments[0]!;
    expect(facts).toMatchObject({ kind: 'expectation', value: ['greets the user', 'is brief'], sourceId: 'facts.py' });
    expect(traces[0]!.assessments.find((a) => a.name === 'correctness')!.metadata).toEqual({ judge_version: '1' });
  });

  it('writes a copy with new ids into the same database: span documents byte for byte but for the trace id', async () => {
    const source = await goldenSource();
    const target = await targetCopy('sqlite-traces-same');
    const originals = await readAll(source);
    for (const trace of originals) {
      expect(await target.traces.traceIdTaken(trace.info.traceId)).toBe(true);
      const newId = `tr-${'ab'.repeat(14)}${String(originals.indexOf(trace)).padStart(4, '0')}`;
      await target.traces.writeTrace({
        info: { ...trace.info, traceId: newId, tags: { ...trace.info.tags, 'old_sys/trace_id': trace.info.traceId, 'old_sys/project': 'default/genai-fixture' } },
        spans: trace.spans.map((s) => spanForTrace(s, trace.info.traceId, newId)),
        assessments: trace.assessments.map((a) => ({ ...a, traceId: newId, assessmentId: `a-${a.assessmentId.slice(2, 30)}0000` })),
      }, { key: 'runs_migrator.completed', value: 'done' });
    }
    const copies: Array<{ sourceTraceId: string; complete: boolean }> = [];
    for await (const record of target.traces.listTraceCopies()) copies.push(record);
    expect(copies.map((c) => c.sourceTraceId).sort()).toEqual(originals.map((t) => t.info.traceId).sort());
    expect(copies.every((c) => c.complete)).toBe(true);
    const reread = await readAll(sourceTracesOf(await target.store.openSource({ workspace: 'default', project: 'copied' }))!);
    expect(reread.map((t) => t.spans.length)).toEqual(originals.map((t) => t.spans.length));
    const first = reread[0]!;
    const original = originals[0]!;
    // The stored content is the original's with the new trace id in its two places, nothing else.
    const expected = contents(join(GOLDEN, 'mlflow.db'), original.info.traceId).map((row) => ({
      span_id: row.span_id,
      content: row.content
        .replace(Buffer.from(original.info.traceId.slice(3), 'hex').toString('base64'), Buffer.from(first.info.traceId.slice(3), 'hex').toString('base64'))
        .replace(`\\"${original.info.traceId}\\"`, `\\"${first.info.traceId}\\"`),
    }));
    expect(contents(target.dbPath, first.info.traceId)).toEqual(expected);
    expect(first.assessments.map((a) => [a.name, a.value, a.rationale, a.valid])).toEqual(original.assessments.map((a) => [a.name, a.value, a.rationale, a.valid]));
    // The legacy trace's spans went into the spans table of this database (it has one).
    expect(reread[5]!.info.tags['mlflow.trace.spansLocation']).toBe('TRACKING_STORE');
  });

  it('keeps the span documents of the real file store byte for byte when they move into the database', async () => {
    const mlruns = new MlrunsStore(join(GOLDEN_STORES_DIR, 'genai-mlruns'), 'golden');
    const source = sourceTracesOf(await mlruns.openSource({ workspace: 'default', project: 'genai-fixture' }))!;
    const target = await targetCopy('sqlite-traces-from-mlruns');
    const traces = await readAll(source);
    for (const trace of traces) await target.traces.writeTrace(trace, { key: 'runs_migrator.completed', value: 'done' });
    const reread = await readAll(sourceTracesOf(await target.store.openSource({ workspace: 'default', project: 'copied' }))!);
    for (const [i, trace] of traces.entries()) {
      expect(reread[i]!.info.traceId).toBe(trace.info.traceId);
      expect(reread[i]!.spans.map((s) => s.document)).toEqual(trace.spans.map((s) => s.document));
      const byId = (list: Trace['assessments']) => [...list].sort((a, b) => a.assessmentId.localeCompare(b.assessmentId));
      expect(byId(reread[i]!.assessments)).toEqual(byId(trace.assessments));
    }
    // Each stored content is, byte for byte, that span's text inside the file store's traces.json.
    for (const trace of traces) {
      const file = readFileSync(join(GOLDEN_STORES_DIR, 'genai-mlruns/132527274744105650/traces', trace.info.traceId, 'artifacts/traces.json'), 'utf8');
      const rows = contents(target.dbPath, trace.info.traceId);
      expect(rows).toHaveLength(trace.spans.length);
      for (const row of rows) expect(file.includes(row.content), `${trace.info.traceId} span ${row.span_id}`).toBe(true);
    }
  });
});
