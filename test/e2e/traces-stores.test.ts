/**
 * The GenAI stores written by the real MLflow 3.11 (test/golden/stores/genai-mlruns and
 * genai-sqlite) copied through the CLI with their traces: every span and assessment, ids kept
 * between different stores, links remapped, each copy ending in a clean verify. A re-run copies
 * nothing; a trace added to the source since is picked up by the next run.
 */
import { cpSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { vi } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { runCli, tempDir } from '../support/cli-process.js';

// Each case runs several CLI processes (copy, verify, copy again): minutes on a busy machine.
vi.setConfig({ testTimeout: 240_000 });

const GENAI_MLRUNS = join(GOLDEN_STORES_DIR, 'genai-mlruns');
const GENAI_SQLITE = join(GOLDEN_STORES_DIR, 'genai-sqlite');
const MLRUNS_EXPERIMENT = '132527274744105650';
const QA_SIMPLE = 'tr-bad471c1aa39c2df7831470ed0699f53';

interface TraceRow {
  sourceTraceId: string;
  targetTraceId?: string;
  outcome: string;
  notes: string[];
}

async function copy(cwd: string, source: string, target: string, project: string, extra: string[] = [], sourceProject = 'genai-fixture') {
  const locations = ['--source-uri', source, '--source-project', sourceProject, '--target-uri', target, '--target-project', project];
  const name = `copy-${Math.random().toString(36).slice(2)}`;
  const result = await runCli(['copy', ...locations, '--no-progress', '--report', `${name}.json`, ...extra], { cwd });
  const report = JSON.parse(readFileSync(join(cwd, `${name}.json`), 'utf8'));
  return { result, report };
}

async function verify(cwd: string, source: string, target: string, project: string, sourceProject = 'genai-fixture') {
  const locations = ['--source-uri', source, '--source-project', sourceProject, '--target-uri', target, '--target-project', project];
  const name = `verify-${Math.random().toString(36).slice(2)}`;
  const result = await runCli(['verify', ...locations, '--report', `${name}.json`], { cwd });
  return { result, report: JSON.parse(readFileSync(join(cwd, `${name}.json`), 'utf8')) };
}

/** A writable database with MLflow's own 3.11 schema: a copy of the real GenAI database. */
function sqliteTarget(cwd: string): string {
  cpSync(GENAI_SQLITE, join(cwd, 'db'), { recursive: true });
  return `sqlite:///${join(cwd, 'db', 'mlflow.db')}`;
}

/** A trace added to a (copied) mlruns source: qa-simple again under a new id. */
function addTrace(store: string): string {
  const traces = join(store, MLRUNS_EXPERIMENT, 'traces');
  const id = `tr-${'5'.repeat(32)}`;
  cpSync(join(traces, QA_SIMPLE), join(traces, id), { recursive: true });
  const info = join(traces, id, 'trace_info.yaml');
  writeFileSync(info, readFileSync(info, 'utf8').replace(QA_SIMPLE, id));
  for (const file of readdirSync(join(traces, id, 'assessments'))) {
    const path = join(traces, id, 'assessments', file);
    const fresh = file.replace(/^a-[0-9a-f]{4}/, 'a-5555');
    writeFileSync(path, readFileSync(path, 'utf8').replace(QA_SIMPLE, id).replace(file.slice(0, -5), fresh.slice(0, -5)));
    renameSync(path, join(traces, id, 'assessments', fresh));
  }
  return id;
}

const targets: Array<[string, (cwd: string) => string]> = [
  ['SQLite', sqliteTarget],
  ['an mlruns folder', (cwd) => join(cwd, 'mlruns')],
];

describe.each(targets)('the real genai-mlruns store into %s', (_label, targetUri) => {
  it('copies six traces with 13 spans and 7 assessments, ids kept, verify clean; a re-run copies nothing; an added trace is picked up', async () => {
    const cwd = tempDir('traces-genai');
    const source = join(cwd, 'source');
    cpSync(GENAI_MLRUNS, source, { recursive: true });
    const target = targetUri(cwd);
    const first = await copy(cwd, source, target, 'copied');
    expect(first.result.code, first.result.stderr).toBe(0);
    expect(first.report.traces.summary).toEqual({ traces: 6, copied: 6, updated: 0, skipped: 0, failed: 0, planned: 0, unsupported: 0, spans: 13, assessments: 7 });
    const rows: TraceRow[] = first.report.traces.traces;
    expect(rows.every((row) => row.targetTraceId === row.sourceTraceId)).toBe(true);
    // Without --registry the prompt link is reported and kept in old_sys/linked_prompts (prompt-links.ts).
    expect(rows.flatMap((row) => row.notes).some((note) => /prompt link\(s\) .*copied only with --registry; kept in old_sys\/linked_prompts/.test(note))).toBe(true);
    expect(first.result.stdout + first.result.stderr).toContain('Traces: 6 (6 copied');
    // The experiment's two prompts are reported as not copied, with their count.
    expect(first.report.traces.notCopied).toEqual([expect.objectContaining({ kind: 'prompts', count: 2 })]);

    const checked = await verify(cwd, source, target, 'copied');
    expect(checked.report.traces.summary).toMatchObject({ traces: 6, ok: 6, spans: 13, assessments: 7, extra: 0 });
    expect(checked.report.clean, JSON.stringify(checked.report.traces.traces.filter((t: { status: string }) => t.status !== 'ok'))).toBe(true);
    expect(checked.result.code).toBe(0);

    const again = await copy(cwd, source, target, 'copied');
    expect(again.result.code).toBe(0);
    expect(again.report.traces.summary).toMatchObject({ traces: 6, copied: 0, skipped: 6 });

    const added = addTrace(source);
    const third = await copy(cwd, source, target, 'copied');
    expect(third.report.traces.summary).toMatchObject({ traces: 7, copied: 1, skipped: 6, spans: 3, assessments: 3 });
    expect(third.report.traces.traces.find((row: TraceRow) => row.outcome === 'copied').sourceTraceId).toBe(added);
    const after = await verify(cwd, source, target, 'copied');
    expect(after.report.traces.summary).toMatchObject({ traces: 7, ok: 7 });
    expect(after.report.clean).toBe(true);
  });
});

describe('the real genai-sqlite database', () => {
  it('into an mlruns folder: spans from the table and the traces.json artifact, links to the copied run and model remapped, verify clean', async () => {
    const cwd = tempDir('traces-genai-sqlite');
    const source = `sqlite:///${join(GENAI_SQLITE, 'mlflow.db')}`;
    const target = join(cwd, 'mlruns');
    const { result, report } = await copy(cwd, source, target, 'copied');
    expect(result.code, result.stderr).toBe(0);
    expect(report.traces.summary).toMatchObject({ traces: 6, copied: 6, spans: 13, assessments: 7 });
    // Prompts of the experiment are reported, not silently left behind; the evaluation dataset,
    // which an mlruns folder cannot hold, is reported by the datasets section with its records.
    expect(report.traces.notCopied).toEqual([expect.objectContaining({ kind: 'prompts', count: 2 })]);
    expect(report.datasets.summary).toMatchObject({ datasets: 1, 'not-copied': 1, records: 5 });
    // Links point at the copies: qa-error's source run and model-linked's logged model.
    const runCopy = report.runs.find((run: { sourceRunId: string }) => run.sourceRunId === '259d497911424a34b4e22f65161197a2').targetRunId;
    const modelCopy = report.models.models.find((m: { sourceModelId: string }) => m.sourceModelId === 'm-c68abe88727c484bb0642bf6ce66602c').targetModelId;
    const experiment = report.target.projectId;
    const metadata = (traceId: string, key: string) => readFileSync(join(target, experiment, 'traces', traceId, 'request_metadata', key), 'utf8');
    expect(metadata('tr-8cc90c5127e5d1af9836ab8d0eb8cddb', 'mlflow.sourceRun')).toBe(runCopy);
    expect(metadata('tr-f624f79bdd4abae14535ce3c243f8b56', 'mlflow.modelId')).toBe(modelCopy);
    expect(runCopy).not.toBe('259d497911424a34b4e22f65161197a2');
    const checked = await verify(cwd, source, target, 'copied');
    expect(checked.report.clean, JSON.stringify(checked.report.traces)).toBe(true);
  });

  it('into the same database, another experiment: new trace and assessment ids, the source unchanged', async () => {
    const cwd = tempDir('traces-same-db');
    const target = sqliteTarget(cwd);
    const before = readFileSync(join(cwd, 'db', 'mlflow.db'));
    expect(before.length).toBeGreaterThan(0);
    const { result, report } = await copy(cwd, target, target, 'copied');
    expect(result.code, result.stderr).toBe(0);
    const rows: TraceRow[] = report.traces.traces;
    expect(rows).toHaveLength(6);
    expect(rows.every((row) => row.outcome === 'copied' && row.targetTraceId !== row.sourceTraceId)).toBe(true);
    const checked = await verify(cwd, target, target, 'copied');
    expect(checked.report.traces.summary).toMatchObject({ traces: 6, ok: 6 });
    expect(checked.report.clean).toBe(true);
  });

  it('--dry-run counts traces, spans and assessments and writes nothing', async () => {
    const cwd = tempDir('traces-dry');
    const { result, report } = await copy(cwd, `sqlite:///${join(GENAI_SQLITE, 'mlflow.db')}`, join(cwd, 'mlruns'), 'copied', ['--dry-run']);
    expect(result.code, result.stderr).toBe(0);
    expect(report.traces.summary).toMatchObject({ traces: 6, planned: 6, spans: 13, assessments: 7 });
  });

  it('into a Neptune archive: traces reported as not applicable, nothing crashes', async () => {
    const cwd = tempDir('traces-neptune');
    const { result, report } = await copy(cwd, `sqlite:///${join(GENAI_SQLITE, 'mlflow.db')}`, `neptune-export:${join(cwd, 'exports', 'data')}`, 'team/copied');
    expect(result.code, result.stderr).toBe(0);
    expect(report.traces.summary).toMatchObject({ traces: 6, unsupported: 6, copied: 0 });
    expect(report.traces.notApplicable).toContain('cannot hold MLflow traces');
  });
});

describe('through an MLflow server (the stand-in)', () => {
  let server: StandinServer;
  beforeAll(async () => {
    server = await startStandin();
  });
  afterAll(() => server.close());

  it('genai-mlruns -> server: spans through OTLP, assessments and links, ids kept, verify clean; a re-run copies nothing', async () => {
    const cwd = tempDir('traces-to-server');
    const first = await copy(cwd, GENAI_MLRUNS, server.url, 'genai-copied');
    expect(first.result.code, JSON.stringify(first.report.traces.traces.filter((t: TraceRow) => t.outcome !== 'copied'))).toBe(0);
    expect(first.report.traces.summary, JSON.stringify(first.report.traces.traces.filter((t: TraceRow) => t.outcome !== 'copied'))).toMatchObject({ traces: 6, copied: 6, spans: 13, assessments: 7 });
    expect(first.report.traces.traces.every((row: TraceRow) => row.targetTraceId === row.sourceTraceId)).toBe(true);
    const checked = await verify(cwd, GENAI_MLRUNS, server.url, 'genai-copied');
    expect(checked.report.clean, JSON.stringify(checked.report.traces.traces.filter((t: { status: string }) => t.status !== 'ok'))).toBe(true);
    const again = await copy(cwd, GENAI_MLRUNS, server.url, 'genai-copied');
    expect(again.report.traces.summary).toMatchObject({ traces: 6, copied: 0, skipped: 6 });

    // server -> server on the same server (another experiment): new ids, the source left as it was.
    const same = await copy(cwd, server.url, server.url, 'genai-copied-again', [], 'genai-copied');
    expect(same.result.code, same.result.stderr).toBe(0);
    const rows: TraceRow[] = same.report.traces.traces;
    expect(rows).toHaveLength(6);
    expect(rows.every((row) => row.outcome === 'copied' && row.targetTraceId !== row.sourceTraceId)).toBe(true);
    const sameChecked = await verify(cwd, server.url, server.url, 'genai-copied-again', 'genai-copied');
    expect(sameChecked.report.clean, JSON.stringify(sameChecked.report.traces.traces.filter((t: { status: string }) => t.status !== 'ok'))).toBe(true);
    // A prompt of the source experiment on a server is reported as not copied, with its count.
    const experimentId = first.report.target.projectId;
    const prompt = await request(`${server.url}/api/2.0/mlflow/registered-models/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'qa-prompt', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }, { key: '_mlflow_experiment_ids', value: `,${experimentId},` }] }),
    });
    expect(prompt.statusCode, await prompt.body.text()).toBe(200);
    const planned = await copy(cwd, server.url, join(cwd, 'planned'), 'planned', ['--dry-run'], 'genai-copied');
    expect(planned.report.traces.summary).toMatchObject({ traces: 6, planned: 6, spans: 13, assessments: 7 });
    expect(planned.report.traces.notCopied).toEqual([expect.objectContaining({ kind: 'prompts', count: 1 })]);

    // The source experiment still compares clean with the original store: nothing in it changed.
    const sourceStill = await verify(cwd, GENAI_MLRUNS, server.url, 'genai-copied');
    expect(sourceStill.report.clean).toBe(true);
  });
});

describe('workspace to workspace on one MLflow server (the stand-in with workspaces)', () => {
  let server: StandinServer;
  beforeAll(async () => {
    server = await startStandin({ workspaces: true });
    for (const name of ['team-a', 'team-b']) {
      const response = await request(`${server.url}/api/3.0/mlflow/workspaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
      await response.body.text();
      expect(response.statusCode).toBe(201);
    }
  });
  afterAll(() => server.close());

  it('copies with new ids, never moving the source traces; a second store copy into another workspace looks before it writes', async () => {
    const cwd = tempDir('traces-workspaces');
    const seeded = await copy(cwd, GENAI_MLRUNS, server.url, 'team-a/genai');
    expect(seeded.result.code, seeded.result.stderr).toBe(0);
    expect(seeded.report.traces.summary).toMatchObject({ copied: 6 });

    const moved = await copy(cwd, server.url, server.url, 'team-b/genai', [], 'team-a/genai');
    expect(moved.result.code, JSON.stringify(moved.report.traces.traces.map((t: TraceRow & { reason?: string }) => t.reason))).toBe(0);
    expect(moved.report.traces.traces.every((row: TraceRow) => row.outcome === 'copied' && row.targetTraceId !== row.sourceTraceId)).toBe(true);
    const checked = await verify(cwd, server.url, server.url, 'team-b/genai', 'team-a/genai');
    expect(checked.report.clean, JSON.stringify(checked.report.traces.traces.filter((t: { status: string }) => t.status !== 'ok'))).toBe(true);

    // The file store's trace ids live in team-a now: a copy of the same store into team-b must not
    // take them (StartTraceV3 would move team-a's traces), so it mints new ones.
    const again = await copy(cwd, GENAI_MLRUNS, server.url, 'team-b/genai-direct');
    expect(again.result.code, again.result.stderr).toBe(0);
    expect(again.report.traces.traces.every((row: TraceRow) => row.outcome === 'copied' && row.targetTraceId !== row.sourceTraceId)).toBe(true);

    // team-a is as it was: still the file store's traces, under their own ids, verify clean.
    const source = await verify(cwd, GENAI_MLRUNS, server.url, 'team-a/genai');
    expect(source.report.traces.summary).toMatchObject({ traces: 6, ok: 6 });
    expect(source.report.clean).toBe(true);
  });
});

describe('server -> mlruns -> server', () => {
  let first: StandinServer;
  let second: StandinServer;
  beforeAll(async () => {
    first = await startStandin();
    second = await startStandin();
  });
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  it('keeps every trace id across both hops, each hop verify clean', async () => {
    const cwd = tempDir('traces-round-trip');
    const seeded = await copy(cwd, GENAI_MLRUNS, first.url, 'genai');
    expect(seeded.result.code, seeded.result.stderr).toBe(0);
    const folder = join(cwd, 'mlruns');
    const out = await copy(cwd, first.url, folder, 'genai', [], 'genai');
    expect(out.result.code, out.result.stderr).toBe(0);
    const back = await copy(cwd, folder, second.url, 'genai', [], 'genai');
    expect(back.result.code, back.result.stderr).toBe(0);
    const ids = (report: { traces: { traces: TraceRow[] } }) => report.traces.traces.map((row) => row.targetTraceId).sort();
    expect(ids(out.report)).toEqual(ids(seeded.report));
    expect(ids(back.report)).toEqual(ids(seeded.report));
    for (const [source, target] of [[first.url, folder], [folder, second.url]] as const) {
      const checked = await verify(cwd, source, target, 'genai', 'genai');
      expect(checked.report.clean, JSON.stringify(checked.report.traces.traces.filter((t: { status: string }) => t.status !== 'ok'))).toBe(true);
    }
  });
});
