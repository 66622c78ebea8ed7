/**
 * A re-run follows a copied trace that changed in its source (docs/traces.md "Re-runs follow
 * changes"): tags set, changed and deleted, assessments added, updated (MLflow's PATCH, an
 * override) and deleted are written into the copy, the trace is reported `updated` with what
 * changed, verify is clean afterwards, and a re-run with nothing changed writes nothing.
 * Through the CLI: a stand-in server as the source; as the target another stand-in, MLflow's SQLite
 * database (a copy of the real genai-sqlite store), an mlruns folder, or a real PostgreSQL.
 */
import { cpSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { runCli, startCli, tempDir } from '../support/cli-process.js';
import { createMlflowPostgresSchema } from '../support/mlflow-postgres-schema.js';
import { POSTGRES_TRACE_DDL } from '../support/mlflow-trace-tables.js';
import { startPostgres } from '../support/postgres-server.js';
import { mlrunsTarget, serverTarget, sqliteTarget, type Target } from '../support/trace-sync-targets.js';

vi.setConfig({ testTimeout: 240_000 });

const GENAI_MLRUNS = join(GOLDEN_STORES_DIR, 'genai-mlruns');
const GENAI_SQLITE = join(GOLDEN_STORES_DIR, 'genai-sqlite');
const V3 = '/api/3.0/mlflow/traces';

interface TraceRow {
  sourceTraceId: string;
  targetTraceId?: string;
  outcome: string;
  changes?: string[];
}

async function cli(cwd: string, command: 'copy' | 'verify', source: string, sourceProject: string, target: string, project: string, extra: string[] = []) {
  const name = `${command}-${Math.random().toString(36).slice(2)}`;
  const args = [command, '--source-uri', source, '--source-project', sourceProject, '--target-uri', target, '--target-project', project, '--report', `${name}.json`, ...extra];
  const result = await runCli(command === 'copy' ? [...args, '--no-progress'] : args, { cwd });
  return { result, report: JSON.parse(readFileSync(join(cwd, `${name}.json`), 'utf8')) };
}

async function call(server: StandinServer, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<Record<string, unknown>> {
  const answer = await request(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await answer.body.text();
  expect(answer.statusCode, `${method} ${path}: ${text}`).toBe(200);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** MLflow 3.11's trace tables in a real PostgreSQL. A row written (again) gets a new xmin, so the highest xmins count writes. */
async function postgresTarget(): Promise<Target> {
  const server = await startPostgres();
  const database = await server.createDatabase('traces_sync');
  const setup = await server.client(database);
  try {
    await createMlflowPostgresSchema(setup);
    await setup.query(POSTGRES_TRACE_DDL);
  } finally {
    await setup.end();
  }
  return {
    uri: `${server.uri(database)}?artifacts=${join(tempDir('traces-sync-pg'), 'artifacts')}`,
    async writes() {
      const client = await server.client(database);
      try {
        const stamp = (table: string) => `(SELECT COUNT(*) + COALESCE(MAX(xmin::text::bigint), 0) FROM ${table})`;
        const answer = await client.query(`SELECT ${stamp('trace_tags')} + ${stamp('assessments')} + ${stamp('trace_info')} AS n`);
        return Number(answer.rows[0].n);
      } finally {
        await client.end();
      }
    },
    close: () => server.stop(),
  };
}

describe.each([
  ['another MLflow server', serverTarget],
  ['SQLite', sqliteTarget],
  ['an mlruns folder', mlrunsTarget],
  ['PostgreSQL', postgresTarget],
])('server -> %s: a re-run follows copied traces that changed in the source', (_label, makeTarget) => {
  let source: StandinServer;
  let target: Target;
  beforeAll(async () => {
    [source, target] = await Promise.all([startStandin(), makeTarget()]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([source?.close(), target?.close()]);
  });

  it('writes tag and assessment changes into the copies, reports them as updated, verify clean; unchanged re-run writes nothing; --no-update leaves them', async () => {
    const cwd = tempDir('traces-sync');
    const seeded = await cli(cwd, 'copy', GENAI_MLRUNS, 'genai-fixture', source.url, 'genai');
    expect(seeded.result.code, seeded.result.stderr).toBe(0);
    const experimentId = String(seeded.report.target.projectId);
    const listed = await call(source, 'POST', `${V3}/search`, { locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }] });
    const traces = (listed.traces as Array<{ trace_id: string; assessments?: Array<{ assessment_id: string; assessment_name: string; feedback?: unknown }> }>) ?? [];
    const withAssessments = traces.filter((t) => (t.assessments ?? []).length > 0);
    expect(withAssessments.length).toBeGreaterThanOrEqual(2);
    const [tagged, judged] = withAssessments;
    // Tags the source trace has when it is first copied, changed and deleted later.
    await call(source, 'PATCH', `${V3}/${tagged!.trace_id}/tags`, { key: 'stage', value: 'draft' });
    await call(source, 'PATCH', `${V3}/${tagged!.trace_id}/tags`, { key: 'owner', value: 'team-a' });

    const first = await cli(cwd, 'copy', source.url, 'genai', target.uri, 'genai');
    expect(first.result.code, first.result.stderr).toBe(0);
    expect(first.report.traces.summary).toMatchObject({ traces: 6, copied: 6 });

    // A re-run before anything changed: every copy is skipped and nothing is written.
    const before = (await target.writes());
    const idle = await cli(cwd, 'copy', source.url, 'genai', target.uri, 'genai');
    expect(idle.report.traces.summary).toMatchObject({ traces: 6, copied: 0, updated: 0, skipped: 6 });
    expect((await target.writes())).toBe(before);

    // The source changes after the fact: tags, and feedback given later.
    await call(source, 'PATCH', `${V3}/${tagged!.trace_id}/tags`, { key: 'review', value: 'done' });
    await call(source, 'PATCH', `${V3}/${tagged!.trace_id}/tags`, { key: 'stage', value: 'final' });
    await call(source, 'DELETE', `${V3}/${tagged!.trace_id}/tags`, { key: 'owner' });
    const feedback = judged!.assessments!.find((a) => a.feedback !== undefined) ?? judged!.assessments![0]!;
    await call(source, 'PATCH', `${V3}/${judged!.trace_id}/assessments/${feedback.assessment_id}`, { assessment: { rationale: 'looked again, days later' }, update_mask: 'rationale' });
    const added = await call(source, 'POST', `${V3}/${judged!.trace_id}/assessments`, {
      assessment: { assessment_name: 'late_review', source: { source_type: 'HUMAN', source_id: 'carol' }, feedback: { value: 'good' }, overrides: feedback.assessment_id },
    });
    const removed = tagged!.assessments![0]!;
    await call(source, 'DELETE', `${V3}/${tagged!.trace_id}/assessments/${removed.assessment_id}`);

    // --dry-run says what would change and writes nothing.
    const dryBefore = (await target.writes());
    const dry = await cli(cwd, 'copy', source.url, 'genai', target.uri, 'genai', ['--dry-run']);
    expect(dry.result.code, dry.result.stderr).toBe(0);
    const wouldUpdate = (dry.report.traces.traces as TraceRow[]).filter((row) => row.changes?.length);
    expect(wouldUpdate.map((row) => row.sourceTraceId).sort()).toEqual([tagged!.trace_id, judged!.trace_id].sort());
    expect(dry.result.stdout).toContain('would update trace');
    expect(dry.result.stdout).toContain('2 to update');
    expect((await target.writes())).toBe(dryBefore);

    // --no-update: a snapshot, copies left as they are.
    const snapshot = await cli(cwd, 'copy', source.url, 'genai', target.uri, 'genai', ['--no-update']);
    expect(snapshot.report.traces.summary).toMatchObject({ updated: 0, skipped: 6 });
    expect((await target.writes())).toBe(dryBefore);

    const synced = await cli(cwd, 'copy', source.url, 'genai', target.uri, 'genai');
    expect(synced.result.code, synced.result.stderr).toBe(0);
    expect(synced.report.traces.summary).toMatchObject({ traces: 6, copied: 0, updated: 2, skipped: 4, failed: 0 });
    const rows = new Map((synced.report.traces.traces as TraceRow[]).map((row) => [row.sourceTraceId, row]));
    const addedId = String((added.assessment as { assessment_id: string }).assessment_id);
    expect(rows.get(tagged!.trace_id)!.changes).toEqual(
      expect.arrayContaining(['tag review set', 'tag stage changed', 'tag owner deleted', `assessment ${removed.assessment_name} (${removed.assessment_id}) deleted`]),
    );
    expect(rows.get(judged!.trace_id)!.changes).toEqual(
      expect.arrayContaining([`assessment ${feedback.assessment_name} (${feedback.assessment_id}) updated`, `assessment late_review (${addedId}) added`]),
    );
    expect(synced.result.stdout).toContain('updated trace');

    const checked = await cli(cwd, 'verify', source.url, 'genai', target.uri, 'genai');
    expect(checked.report.clean, JSON.stringify(checked.report.traces.traces.filter((t: { status: string }) => t.status !== 'ok'))).toBe(true);

    // Up to date now: the next re-run writes nothing.
    const after = (await target.writes());
    const settled = await cli(cwd, 'copy', source.url, 'genai', target.uri, 'genai');
    expect(settled.report.traces.summary).toMatchObject({ traces: 6, updated: 0, skipped: 6 });
    expect((await target.writes())).toBe(after);
  });
});

describe('server -> server: a trace sync killed midway', () => {
  let source: StandinServer;
  let target: StandinServer;
  beforeAll(async () => {
    [source, target] = await Promise.all([startStandin(), startStandin()]);
  });
  afterAll(async () => {
    await Promise.all([source?.close(), target?.close()]);
  });

  it('is finished by the next pass: every assessment once, verify clean', async () => {
    const cwd = tempDir('traces-sync-kill');
    const seeded = await cli(cwd, 'copy', GENAI_MLRUNS, 'genai-fixture', source.url, 'genai');
    expect(seeded.result.code, seeded.result.stderr).toBe(0);
    expect((await cli(cwd, 'copy', source.url, 'genai', target.url, 'genai')).result.code).toBe(0);
    const experimentId = String(seeded.report.target.projectId);
    const listed = await call(source, 'POST', `${V3}/search`, { locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }] });
    const judged = (listed.traces as Array<{ trace_id: string; assessments?: Array<{ assessment_id: string }> }>).find((t) => (t.assessments ?? []).length > 0)!;
    const first = judged.assessments![0]!;
    await call(source, 'PATCH', `${V3}/${judged.trace_id}/assessments/${first.assessment_id}`, { assessment: { rationale: 'revised' }, update_mask: 'rationale' });

    // Every target request answered 400 ms late (applied first): the kill lands after the copy's
    // assessment was deleted and before it is created again.
    target.setFaults({ rate: 1, kinds: ['slow'], slowMs: 400 });
    const deletesBefore = target.stats().byRoute['assessments/delete'] ?? 0;
    const args = ['copy', '--source-uri', source.url, '--source-project', 'genai', '--target-uri', target.url, '--target-project', 'genai', '--no-progress'];
    const { child, done } = startCli(args, { cwd });
    const timer = setInterval(() => {
      if ((target.stats().byRoute['assessments/delete'] ?? 0) > deletesBefore && child.exitCode === null) child.kill('SIGKILL');
    }, 2);
    const killed = await done.finally(() => clearInterval(timer));
    target.setFaults(undefined);
    expect(killed.signal).toBe('SIGKILL');
    const copyInfo = await call(target, 'GET', `${V3}/${judged.trace_id}`);
    const held = (copyInfo.trace as { trace_info: { assessments?: Array<{ assessment_id: string }> } }).trace_info.assessments ?? [];
    expect(held.map((a) => a.assessment_id)).not.toContain(first.assessment_id);

    const resumed = await cli(cwd, 'copy', source.url, 'genai', target.url, 'genai');
    expect(resumed.result.code, resumed.result.stderr).toBe(0);
    expect(resumed.report.traces.summary).toMatchObject({ copied: 0, updated: 1, failed: 0 });
    const row = (resumed.report.traces.traces as TraceRow[]).find((r) => r.sourceTraceId === judged.trace_id)!;
    expect(row.changes).toEqual([expect.stringMatching(new RegExp(`\\(${first.assessment_id}\\) added$`))]);
    const checked = await cli(cwd, 'verify', source.url, 'genai', target.url, 'genai');
    expect(checked.report.clean, JSON.stringify(checked.report.traces.traces.filter((t: { status: string }) => t.status !== 'ok'))).toBe(true);
  });
});

describe("MLflow's SQLite database as the source -> an mlruns folder", () => {
  it('follows tags and assessments changed in the database: updated, verify clean, the next re-run writes nothing', async () => {
    const cwd = tempDir('traces-sync-dbsource');
    cpSync(GENAI_SQLITE, join(cwd, 'source'), { recursive: true });
    const file = join(cwd, 'source', 'mlflow.db');
    const sourceUri = `sqlite:///${file}`;
    const target = await mlrunsTarget();
    const first = await cli(cwd, 'copy', sourceUri, 'genai-fixture', target.uri, 'copied');
    expect(first.result.code, first.result.stderr).toBe(0);
    expect(first.report.traces.summary).toMatchObject({ traces: 6, copied: 6 });

    // Changed after the copy, the way MLflow's SqlAlchemyStore writes it: a tag, feedback revised days later.
    const db = new Database(file);
    const revised = db.prepare('SELECT assessment_id, trace_id, name FROM assessments ORDER BY created_timestamp, assessment_id LIMIT 1').get() as { assessment_id: string; trace_id: string; name: string };
    db.prepare('INSERT INTO trace_tags (key, value, request_id) VALUES (?, ?, ?)').run('review', 'done', revised.trace_id);
    db.prepare('UPDATE assessments SET rationale = ?, last_updated_timestamp = last_updated_timestamp + 86400000 WHERE assessment_id = ?').run('looked again', revised.assessment_id);
    db.close();

    const before = await target.writes();
    const synced = await cli(cwd, 'copy', sourceUri, 'genai-fixture', target.uri, 'copied');
    expect(synced.result.code, synced.result.stderr).toBe(0);
    expect(synced.report.traces.summary).toMatchObject({ traces: 6, copied: 0, updated: 1, skipped: 5, failed: 0 });
    const row = (synced.report.traces.traces as TraceRow[]).find((r) => r.sourceTraceId === revised.trace_id)!;
    expect(row.changes).toEqual(['tag review set', `assessment ${revised.name} (${revised.assessment_id}) updated`]);
    expect(await target.writes()).toBeGreaterThan(before);
    const checked = await cli(cwd, 'verify', sourceUri, 'genai-fixture', target.uri, 'copied');
    expect(checked.report.clean, JSON.stringify(checked.report.traces.traces.filter((t: { status: string }) => t.status !== 'ok'))).toBe(true);

    const after = await target.writes();
    const settled = await cli(cwd, 'copy', sourceUri, 'genai-fixture', target.uri, 'copied');
    expect(settled.report.traces.summary).toMatchObject({ traces: 6, updated: 0, skipped: 6 });
    expect(await target.writes()).toBe(after);
  });
});
