/**
 * Prompts (with --registry) and scorers between every kind of MLflow store, through the CLI,
 * starting from the stores the real MLflow 3.11 wrote (test/golden/stores/genai-sqlite and
 * genai-mlruns). genai-sqlite has no scorers, so the source copy of it gets the rows
 * SqlAlchemyStore.register_scorer writes. Each copy ends in a clean verify --registry; a re-run
 * copies nothing; a prompt version (and a scorer version) added to the source since is copied by
 * the next run. Prompts keep their version numbers and aliases; `_mlflow_experiment_ids` names the
 * TARGET experiment. A database keeps scorer numbers and creation times.
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { guidelinesScorer, insertScorerRows, scorerVersions } from '../support/scorer-seed.js';
import { MlflowApi } from '../support/mlflow-seed.js';
import { createMlflowPostgresSchema } from '../support/mlflow-postgres-schema.js';
import { POSTGRES_TRACE_DDL } from '../support/mlflow-trace-tables.js';
import { POSTGRES_SCORER_DDL } from '../support/mlflow-scorer-tables.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';

vi.setConfig({ testTimeout: 300_000 });

const GENAI_SQLITE = join(GOLDEN_STORES_DIR, 'genai-sqlite');
const GENAI_MLRUNS = join(GOLDEN_STORES_DIR, 'genai-mlruns');
const T1 = 1_767_225_600_000;
const POLITE = [guidelinesScorer('polite', ['Be polite']), guidelinesScorer('polite', ['Be polite', 'Be brief'])];
const TONE = [guidelinesScorer('tone', ['Stay neutral']), guidelinesScorer('tone', ['Stay neutral', 'No jargon'])];

const args = (verb: 'copy' | 'verify', from: string, to: string, sourceProject = 'default/genai-fixture', targetProject = 'default/genai-copy') => [
  verb, '--source-uri', from, '--source-project', sourceProject, '--target-uri', to, '--target-project', targetProject,
  '--registry', '--json', ...(verb === 'copy' ? ['--no-progress'] : []),
];

async function run(cwd: string, argv: string[]): Promise<{ code: number; report: any; stderr: string }> {
  const result = await runCli(argv, { cwd });
  let report: any;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    throw new Error(`no JSON report (exit ${result.code}): ${result.stderr.slice(-2000)}`);
  }
  return { code: result.code ?? -1, report, stderr: result.stderr };
}

const promptVersions = (report: any) =>
  Object.fromEntries(report.models.prompts.map((p: any) => [p.name, p.versions.map((v: any) => `${v.sourceVersion}:${v.outcome}:${v.targetVersion}`)]));

/** A copy of the real genai-sqlite database with two scorers registered to genai-fixture (experiment 1). */
function sqliteSource(cwd: string): { uri: string; path: string } {
  cpSync(GENAI_SQLITE, join(cwd, 'source'), { recursive: true });
  const path = join(cwd, 'source', 'mlflow.db');
  insertScorerRows(path, '1', 'polite', POLITE.map((serialized, i) => ({ serialized, creationTime: T1 + i })));
  insertScorerRows(path, '1', 'tone', [{ serialized: TONE[0]!, creationTime: T1 + 10 }]);
  return { uri: `sqlite:///${path}`, path };
}

/** Another copy of the real database, its registry emptied: MLflow 3.11's schema with no prompts. */
function sqliteTarget(cwd: string): { uri: string; path: string } {
  cpSync(GENAI_SQLITE, join(cwd, 'target'), { recursive: true });
  const path = join(cwd, 'target', 'mlflow.db');
  const db = new Database(path);
  for (const table of ['registered_model_aliases', 'model_version_tags', 'registered_model_tags', 'model_versions', 'registered_models']) db.prepare(`DELETE FROM ${table}`).run();
  db.close();
  return { uri: `sqlite:///${path}`, path };
}

/** What create_model_version writes for a third version of fixture-qa (a new template), and a second tone version. */
function addToSqliteSource(path: string): void {
  const db = new Database(path);
  db.prepare(`INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, source, run_id, status, status_message, run_link, storage_location, workspace)
    SELECT name, 3, creation_time + 1000, last_updated_time + 1000, 'shorter', user_id, current_stage, source, run_id, status, status_message, run_link, storage_location, workspace
    FROM model_versions WHERE name = 'fixture-qa' AND version = 2`).run();
  db.prepare(`INSERT INTO model_version_tags (key, value, name, version, workspace)
    SELECT key, CASE WHEN key = 'mlflow.prompt.text' THEN 'Answer in one word: {{question}}' ELSE value END, name, 3, workspace
    FROM model_version_tags WHERE name = 'fixture-qa' AND version = 2`).run();
  db.close();
  insertScorerRows(path, '1', 'tone', [{ serialized: TONE[1]!, creationTime: T1 + 11 }]);
}

/** Copies from genai-sqlite into `target`: first copy, verify, a re-run, an addition, verify again. */
async function sqliteSourceRound(cwd: string, source: { uri: string; path: string }, target: string): Promise<any> {
  const first = await run(cwd, args('copy', source.uri, target));
  expect(first.code, first.stderr.slice(-3000)).toBe(0);
  expect(promptVersions(first.report)).toEqual({ 'fixture-chat': ['1:copied:1', '2:copied:2'], 'fixture-qa': ['1:copied:1', '2:copied:2'] });
  expect(first.report.models.prompts.flatMap((p: any) => p.aliases.map((a: any) => `${p.name}@${a.alias}:${a.targetVersion}:${a.outcome}`)).sort())
    .toEqual(['fixture-chat@production:2:set', 'fixture-qa@candidate:2:set', 'fixture-qa@production:1:set']);
  expect(first.report.scorers.summary).toMatchObject({ scorers: 2, versions: 3, copied: 3, failed: 0 });
  // Prompts are copied now: no longer listed as not copied.
  expect(first.report.traces.notCopied.map((k: any) => k.kind)).not.toContain('prompts');

  const checked = await run(cwd, args('verify', source.uri, target));
  expect(checked.report.models.prompts.map((p: any) => `${p.name}:${p.status}:${p.versions}`)).toEqual(['fixture-chat:ok:2', 'fixture-qa:ok:2']);
  expect(checked.report.scorers.summary).toMatchObject({ scorers: 2, ok: 2, versions: 3 });
  expect(checked.report.clean, JSON.stringify([checked.report.models, checked.report.scorers])).toBe(true);
  expect(checked.code).toBe(0);

  const again = await run(cwd, args('copy', source.uri, target));
  expect(again.code).toBe(0);
  expect(promptVersions(again.report)).toEqual({ 'fixture-chat': ['1:skipped:1', '2:skipped:2'], 'fixture-qa': ['1:skipped:1', '2:skipped:2'] });
  expect(again.report.scorers.summary).toMatchObject({ copied: 0, skipped: 3 });

  addToSqliteSource(source.path);
  const third = await run(cwd, args('copy', source.uri, target));
  expect(third.code, third.stderr.slice(-3000)).toBe(0);
  expect(promptVersions(third.report)['fixture-qa']).toEqual(['1:skipped:1', '2:skipped:2', '3:copied:3']);
  expect(third.report.scorers.summary).toMatchObject({ versions: 4, copied: 1, skipped: 3 });
  const after = await run(cwd, args('verify', source.uri, target));
  expect(after.report.clean, JSON.stringify([after.report.models, after.report.scorers])).toBe(true);
  return first.report;
}

describe('genai-sqlite with prompts and scorers', () => {
  let server: StandinServer;
  let postgres: PostgresServer;
  beforeAll(async () => {
    server = await startStandin();
    postgres = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await postgres?.stop();
  });

  it('-> an MLflow server: prompts name the target experiment, scorers registered; re-runs converge', async () => {
    const cwd = tempDir('genai-sqlite-server');
    // Experiments the server has already: the copy's id differs from the source's 1.
    for (const name of ['busy-1', 'busy-2']) await new MlflowApi(server.url).call('POST', 'experiments/create', { name });
    const report = await sqliteSourceRound(cwd, sqliteSource(cwd), server.url);
    const experiment = report.target.projectId;
    expect(experiment).not.toBe('1');
    const prompt = await new MlflowApi(server.url).call('GET', 'registered-models/get', { name: 'fixture-qa' });
    expect(prompt.registered_model.tags).toContainEqual({ key: '_mlflow_experiment_ids', value: `,${experiment},` });
    expect(await scorerVersions(server.url, experiment, 'tone')).toEqual([[1, TONE[0]], [2, TONE[1]]]);
  });

  it('-> another SQLite database: version numbers and scorer creation times kept', async () => {
    const cwd = tempDir('genai-sqlite-sqlite');
    const target = sqliteTarget(cwd);
    const report = await sqliteSourceRound(cwd, sqliteSource(cwd), target.uri);
    const db = new Database(target.path, { readonly: true });
    try {
      const experiment = Number(report.target.projectId);
      const rows = db.prepare(`SELECT s.scorer_name AS name, v.scorer_version AS version, v.creation_time AS time, v.serialized_scorer AS text
        FROM scorers s JOIN scorer_versions v ON v.scorer_id = s.scorer_id WHERE s.experiment_id = ? ORDER BY 1, 2`).all(experiment);
      expect(rows).toEqual([
        { name: 'polite', version: 1, time: T1, text: POLITE[0] },
        { name: 'polite', version: 2, time: T1 + 1, text: POLITE[1] },
        { name: 'tone', version: 1, time: T1 + 10, text: TONE[0] },
        { name: 'tone', version: 2, time: T1 + 11, text: TONE[1] },
      ]);
      const ids = db.prepare(`SELECT name, value FROM registered_model_tags WHERE key = '_mlflow_experiment_ids' ORDER BY name`).all();
      expect(ids).toEqual([{ name: 'fixture-chat', value: `,${experiment},` }, { name: 'fixture-qa', value: `,${experiment},` }]);
    } finally {
      db.close();
    }
  });

  it('-> another experiment of the same database: the shared prompts are left exactly as they are, scorers copied, verify clean', async () => {
    const cwd = tempDir('genai-sqlite-same');
    const source = sqliteSource(cwd);
    const tags = () => {
      const db = new Database(source.path, { readonly: true });
      try {
        return db.prepare('SELECT name, key, value FROM registered_model_tags ORDER BY name, key').all();
      } finally {
        db.close();
      }
    };
    const before = tags();
    const copied = await run(cwd, args('copy', source.uri, source.uri));
    expect(copied.code, copied.stderr.slice(-3000)).toBe(0);
    expect(copied.report.models.prompts.map((p: any) => p.outcome)).toEqual(['existing', 'existing']);
    expect(copied.report.models.prompts[0].issues[0]).toContain('source and target share this registry');
    expect(copied.report.scorers.summary).toMatchObject({ copied: 3 });
    expect(tags()).toEqual(before);
    const checked = await run(cwd, args('verify', source.uri, source.uri));
    expect(checked.report.clean, JSON.stringify([checked.report.models, checked.report.scorers])).toBe(true);
  });

  it('-> PostgreSQL: prompts and scorers, verify clean, re-runs converge', async () => {
    const cwd = tempDir('genai-sqlite-pg');
    const database = await postgres.createDatabase('genai_prompts_scorers');
    const client = await postgres.client(database);
    try {
      await createMlflowPostgresSchema(client);
      await client.query(POSTGRES_TRACE_DDL);
      await client.query(POSTGRES_SCORER_DDL);
    } finally {
      await client.end();
    }
    const target = `${postgres.uri(database)}?artifacts=${join(cwd, 'pg-artifacts')}`;
    await sqliteSourceRound(cwd, sqliteSource(cwd), target);
  });
});

describe('genai-mlruns prompts through an MLflow server and back into mlruns', () => {
  let server: StandinServer;
  beforeAll(async () => {
    server = await startStandin();
  });
  afterAll(async () => server?.close());

  it('genai-mlruns -> server -> mlruns: numbers, aliases and templates kept, each hop verify clean; an added version follows', async () => {
    const cwd = tempDir('genai-mlruns-prompts');
    const source = join(cwd, 'source');
    cpSync(GENAI_MLRUNS, source, { recursive: true });
    const first = await run(cwd, args('copy', source, server.url));
    expect(first.code, first.stderr.slice(-3000)).toBe(0);
    expect(promptVersions(first.report)).toEqual({ 'fixture-chat': ['1:copied:1', '2:copied:2'], 'fixture-qa': ['1:copied:1', '2:copied:2'] });
    // The file store holds no scorers: nothing to report.
    expect(first.report.scorers).toBeUndefined();
    const experiment = first.report.target.projectId;
    const qa = await new MlflowApi(server.url).call('GET', 'registered-models/get', { name: 'fixture-qa' });
    expect(qa.registered_model.tags).toContainEqual({ key: '_mlflow_experiment_ids', value: `,${experiment},` });
    const checked = await run(cwd, args('verify', source, server.url));
    expect(checked.report.clean, JSON.stringify(checked.report.models)).toBe(true);
    const again = await run(cwd, args('copy', source, server.url));
    expect(promptVersions(again.report)).toEqual({ 'fixture-chat': ['1:skipped:1', '2:skipped:2'], 'fixture-qa': ['1:skipped:1', '2:skipped:2'] });

    // A version added to the file store (the layout MLflow's file registry writes).
    const qaDir = join(source, 'models', 'fixture-qa');
    cpSync(join(qaDir, 'version-2'), join(qaDir, 'version-3'), { recursive: true });
    const meta = join(qaDir, 'version-3', 'meta.yaml');
    writeFileSync(meta, readFileSync(meta, 'utf8').replace('version: 2', 'version: 3').replace('description: add context', 'description: shorter'));
    writeFileSync(join(qaDir, 'version-3', 'tags', 'mlflow.prompt.text'), 'Answer in one word: {{question}}');
    const third = await run(cwd, args('copy', source, server.url));
    expect(promptVersions(third.report)['fixture-qa']).toEqual(['1:skipped:1', '2:skipped:2', '3:copied:3']);
    expect((await run(cwd, args('verify', source, server.url))).report.clean).toBe(true);

    // server -> mlruns: the prompts land in MLflow's registry layout with the new experiment's id.
    const back = join(cwd, 'mlruns-back');
    const out = await run(cwd, args('copy', server.url, back, 'default/genai-copy', 'default/genai-back'));
    expect(out.code, out.stderr.slice(-3000)).toBe(0);
    expect(promptVersions(out.report)['fixture-qa']).toEqual(['1:copied:1', '2:copied:2', '3:copied:3']);
    const backExperiment = out.report.target.projectId;
    expect(readFileSync(join(back, 'models', 'fixture-qa', 'tags', '_mlflow_experiment_ids'), 'utf8')).toBe(`,${backExperiment},`);
    expect(readFileSync(join(back, 'models', 'fixture-qa', 'version-3', 'tags', 'mlflow.prompt.text'), 'utf8')).toBe('Answer in one word: {{question}}');
    expect(existsSync(join(back, 'models', 'fixture-chat', 'aliases', 'production'))).toBe(true);
    const backChecked = await run(cwd, args('verify', server.url, back, 'default/genai-copy', 'default/genai-back'));
    expect(backChecked.report.clean, JSON.stringify(backChecked.report.models)).toBe(true);
    const backAgain = await run(cwd, args('copy', server.url, back, 'default/genai-copy', 'default/genai-back'));
    expect(promptVersions(backAgain.report)['fixture-qa']).toEqual(['1:skipped:1', '2:skipped:2', '3:skipped:3']);
  });
});
