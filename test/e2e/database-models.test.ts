/**
 * MLflow 3 logged models, their run links and the registry in MLflow's database, through the CLI:
 * - the real MLflow 3.11 mlflow.db copied with --registry into an MLflow SQLite database holds,
 *   table by table, the model, link and registry rows real MLflow wrote (ids, times and
 *   provenance aside); the model files land under mlartifacts/<exp>/models/<id>/artifacts;
 * - the real-MLflow mlruns store goes mlruns -> SQLite -> PostgreSQL -> mlruns with --registry,
 *   every hop `verify --registry` clean and a second copy of every hop copying nothing;
 * - a 2.x schema refuses --registry before writing and reports the models as not copied;
 * - a partial model copy (no marker) is removed for good and copied again.
 */
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { createMlflowPostgresSchema } from '../support/mlflow-postgres-schema.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { runCli, tempDir } from '../support/cli-process.js';

type Row = Record<string, unknown>;

function big(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

const sorted = (rows: Row[]) => rows.sort((a, b) => JSON.stringify(a, big).localeCompare(JSON.stringify(b, big)));
const PROVENANCE = /^(old_sys\/|runs_migrator\.)/;

/** Model, link and registry rows of experiment `fixture`, ids replaced by run and model names. */
function modelRows(dbPath: string): Record<string, Row[]> {
  const db = new Database(dbPath, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    const experiment = (db.prepare("SELECT experiment_id FROM experiments WHERE name = 'fixture'").get() as Row).experiment_id;
    const runs = new Map((db.prepare('SELECT run_uuid, name FROM runs WHERE experiment_id = ?').all(experiment) as Row[]).map((r) => [r.run_uuid, r.name]));
    const models = db.prepare('SELECT * FROM logged_models WHERE experiment_id = ?').all(experiment) as Row[];
    const names = new Map(models.map((m) => [m.model_id, m.name]));
    const ofModels = (table: string) => (db.prepare(`SELECT * FROM ${table}`).all() as Row[]).filter((row) => names.has(row.model_id));
    const modelSource = (source: unknown) => String(source).replace(/^models:\/(m-[0-9a-f]{32})$/, (_all, id: string) => `models:/${String(names.get(id))}`);
    return {
      logged_models: sorted(
        models.map(({ model_id: _m, experiment_id: _e, artifact_location: _a, creation_timestamp_ms: _c, last_updated_timestamp_ms: _u, source_run_id: run, ...rest }) => ({
          ...rest,
          source_run: runs.get(run),
        })),
      ),
      logged_model_params: sorted(ofModels('logged_model_params').map(({ model_id: id, experiment_id: _e, ...rest }) => ({ ...rest, model: names.get(id) }))),
      logged_model_tags: sorted(
        ofModels('logged_model_tags')
          // mlflow.modelVersions is the registry's own (checked apart); provenance is the copy's.
          .filter((row) => !PROVENANCE.test(String(row.tag_key)) && row.tag_key !== 'mlflow.modelVersions')
          .map(({ model_id: id, experiment_id: _e, ...rest }) => ({ ...rest, model: names.get(id) })),
      ),
      logged_model_metrics: sorted(ofModels('logged_model_metrics').map(({ model_id: id, experiment_id: _e, run_id: run, ...rest }) => ({ ...rest, model: names.get(id), run: runs.get(run) }))),
      model_links: sorted(
        (db.prepare("SELECT * FROM inputs WHERE source_type IN ('RUN_OUTPUT', 'RUN_INPUT')").all() as Row[])
          .filter((row) => runs.has(row.source_id))
          .map(({ input_uuid: _i, source_id: run, destination_id: model, ...rest }) => ({ ...rest, run: runs.get(run), model: names.get(model) })),
      ),
      registered_models: (db.prepare('SELECT * FROM registered_models').all() as Row[]).map(({ creation_time: _c, last_updated_time: _u, ...rest }) => rest),
      registered_model_tags: sorted(db.prepare('SELECT * FROM registered_model_tags').all() as Row[]),
      registered_model_aliases: sorted(db.prepare('SELECT * FROM registered_model_aliases').all() as Row[]),
      model_versions: sorted(
        (db.prepare('SELECT * FROM model_versions').all() as Row[]).map(({ creation_time: _c, last_updated_time: _u, storage_location: _s, source, run_id: run, ...rest }) => ({
          ...rest,
          source: modelSource(source),
          run: runs.get(run),
        })),
      ),
      model_version_tags: sorted((db.prepare('SELECT * FROM model_version_tags').all() as Row[]).filter((row) => !PROVENANCE.test(String(row.key)))),
    };
  } finally {
    db.close();
  }
}

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => server?.stop());

describe('logged models and the registry in MLflow\'s database, through the CLI', () => {
  it('hold, table by table, the model, link and registry rows real MLflow wrote for the same models', async () => {
    const cwd = tempDir('db-models-golden');
    cpSync(join(GOLDEN_STORES_DIR, 'sqlite'), join(cwd, 'source'), { recursive: true });
    mkdirSync(join(cwd, 'target'));
    const target = join(cwd, 'target', 'mlflow.db');
    createMlflowDatabase(target);
    const copy = await runCli(
      ['copy', '--source-uri', `sqlite:///${join(cwd, 'source', 'mlflow.db')}`, '--source-project', 'default/fixture', '--target-uri', `sqlite:///${target}`,
        '--target-project', 'default/fixture', '--include-deleted', '--no-progress', '--registry', '--json'],
      { cwd },
    );
    expect(copy.code, copy.stderr).toBe(0);
    expect(JSON.parse(copy.stdout).models.summary).toMatchObject({ models: 2, copied: 2, files: 10, versionsCopied: 2, unresolvedLinks: 0 });

    const want = modelRows(join(cwd, 'source', 'mlflow.db'));
    const got = modelRows(target);
    for (const table of Object.keys(want)) {
      expect(want[table]!.length, table).toBeGreaterThan(0);
      expect(JSON.stringify(got[table], big), table).toBe(JSON.stringify(want[table], big));
    }

    const db = new Database(target, { readonly: true });
    const experiment = (db.prepare("SELECT experiment_id FROM experiments WHERE name = 'fixture'").get() as Row).experiment_id;
    const model = db.prepare("SELECT model_id, artifact_location FROM logged_models WHERE name = 'model'").get() as Row;
    const version = db.prepare('SELECT source, storage_location FROM model_versions WHERE version = 1').get() as Row;
    const listed = db.prepare("SELECT tag_value FROM logged_model_tags WHERE model_id = ? AND tag_key = 'mlflow.modelVersions'").get(model.model_id) as Row;
    db.close();
    expect(model.model_id).toMatch(/^m-[0-9a-f]{32}$/);
    expect(model.artifact_location).toBe(`mlflow-artifacts:/${experiment}/models/${model.model_id}/artifacts`);
    expect(version).toEqual({ source: `models:/${model.model_id}`, storage_location: model.artifact_location });
    expect(listed.tag_value).toBe('[{"name": "fixture-model", "version": 1}]');
    const mlmodel = join(cwd, 'target', 'mlartifacts', String(experiment), 'models', String(model.model_id), 'artifacts', 'MLmodel');
    expect(readFileSync(mlmodel)).toEqual(readFileSync(join(GOLDEN_STORES_DIR, 'sqlite', 'mlartifacts', '1', 'models', 'm-e20f51a8e690445d884354dbc8e66e15', 'artifacts', 'MLmodel')));
  });

  it('go mlruns -> SQLite -> PostgreSQL -> mlruns, every hop verify --registry clean, every second copy copying nothing', async () => {
    const cwd = tempDir('db-models-chain');
    cpSync(join(GOLDEN_STORES_DIR, 'mlruns'), join(cwd, 'mlruns'), { recursive: true });
    mkdirSync(join(cwd, 'sqlite'));
    createMlflowDatabase(join(cwd, 'sqlite', 'mlflow.db'));
    const database = await server.createDatabase('db_models_chain');
    const client = await server.client(database);
    try {
      await createMlflowPostgresSchema(client);
      const stores = [
        join(cwd, 'mlruns'),
        `sqlite:///${join(cwd, 'sqlite', 'mlflow.db')}`,
        `${server.uri(database)}?artifacts=${join(cwd, 'pg-artifacts')}`,
        join(cwd, 'mlruns-back'),
      ];
      for (let hop = 0; hop + 1 < stores.length; hop++) {
        const locations = ['--source-uri', stores[hop]!, '--source-project', 'default/fixture', '--target-uri', stores[hop + 1]!, '--target-project', 'default/fixture',
          '--include-deleted', '--registry'];
        const copy = await runCli(['copy', ...locations, '--no-progress', '--json'], { cwd });
        expect(copy.code, `hop ${hop}: ${copy.stderr}`).toBe(0);
        expect(JSON.parse(copy.stdout).models.summary, `hop ${hop}`).toMatchObject({ models: 2, copied: 2, failed: 0, files: 10, versionsCopied: 2, unresolvedLinks: 0 });
        const verify = await runCli(['verify', ...locations], { cwd });
        expect(verify.stdout, `hop ${hop}: ${verify.stderr}`).toContain('Models clean: 2/2 logged model(s) ok, 1/1 linked run(s) ok, 1/1 registered model(s) ok');
        expect(verify.code, `hop ${hop}`).toBe(0);
        const again = JSON.parse((await runCli(['copy', ...locations, '--no-progress', '--json'], { cwd })).stdout);
        expect(again.summary, `hop ${hop}`).toMatchObject({ copied: 0 });
        expect(again.models.summary, `hop ${hop}`).toMatchObject({ copied: 0, skipped: 2 });
        expect(again.models.registry[0].versions.map((v: { outcome: string }) => v.outcome), `hop ${hop}`).toEqual(['skipped', 'skipped']);
      }
      // The PostgreSQL copy's versions name its own logged models.
      const rows = await client.query("SELECT v.version FROM model_versions v JOIN logged_models m ON v.source = 'models:/' || m.model_id ORDER BY v.version");
      expect(rows.rows.map((r) => r.version)).toEqual([1, 2]);
    } finally {
      await client.end();
    }
    expect(readFileSync(join(cwd, 'mlruns-back', 'models', 'fixture-model', 'meta.yaml'), 'utf8')).toMatch(/aliases:\n  champion: '1'/);
  });

  it('into a database older than MLflow 3 (2.8 schema): --registry is refused before anything is written; without it the models are reported as not copied', async () => {
    const cwd = tempDir('db-models-2x');
    cpSync(join(GOLDEN_STORES_DIR, 'sqlite'), join(cwd, 'source'), { recursive: true });
    const target = join(cwd, 'mlflow.db');
    createMlflowDatabase(target, { shape: 'mlflow-2.8' });
    const locations = ['--source-uri', `sqlite:///${join(cwd, 'source', 'mlflow.db')}`, '--source-project', 'default/fixture', '--target-uri', `sqlite:///${target}`,
      '--target-project', 'default/fixture', '--include-deleted', '--no-progress'];
    const refused = await runCli(['copy', ...locations, '--registry'], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('cannot hold a model registry');
    const runs = () => {
      const db = new Database(target, { readonly: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    expect(runs()).toBe(0);

    const copy = await runCli(['copy', ...locations, '--json'], { cwd });
    expect(copy.code, copy.stderr).toBe(0);
    const report = JSON.parse(copy.stdout);
    expect(report.summary.copied).toBe(4);
    expect(report.models.models.map((m: { outcome: string }) => m.outcome)).toEqual(['unsupported', 'unsupported']);
    expect(report.models.links.length).toBeGreaterThan(0);
    expect(runs()).toBe(4);
  });

  it('redo a partial model copy (no completion marker): its rows, links and files are removed and the model copied once more', async () => {
    const cwd = tempDir('db-models-partial');
    cpSync(join(GOLDEN_STORES_DIR, 'sqlite'), join(cwd, 'source'), { recursive: true });
    mkdirSync(join(cwd, 'target'));
    const target = join(cwd, 'target', 'mlflow.db');
    createMlflowDatabase(target);
    const locations = ['--source-uri', `sqlite:///${join(cwd, 'source', 'mlflow.db')}`, '--source-project', 'default/fixture', '--target-uri', `sqlite:///${target}`,
      '--target-project', 'default/fixture', '--include-deleted', '--registry'];
    // The first copy is killed, as it were, before model-v2's marker (so before the registry,
    // which comes after the models): the marker goes, the rows, links and files stay.
    expect((await runCli(['copy', ...locations.slice(0, -1), '--no-progress'], { cwd })).code).toBe(0);
    const db = new Database(target);
    const partial = db.prepare("SELECT model_id, experiment_id FROM logged_models WHERE name = 'model-v2'").get() as Row;
    db.prepare("DELETE FROM logged_model_tags WHERE model_id = ? AND tag_key = 'runs_migrator.completed'").run(partial.model_id);
    db.close();
    const partialDir = join(cwd, 'target', 'mlartifacts', String(partial.experiment_id), 'models', String(partial.model_id));

    const again = await runCli(['copy', ...locations, '--no-progress', '--json'], { cwd });
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report.models.summary).toMatchObject({ copied: 1, skipped: 1, failed: 0 });
    expect(report.models.models.find((m: { name: string }) => m.name === 'model-v2').discarded).toEqual([partial.model_id]);
    const check = new Database(target, { readonly: true });
    const counts = check.prepare("SELECT (SELECT COUNT(*) FROM logged_models) AS models, (SELECT COUNT(*) FROM logged_model_tags WHERE model_id = ?) AS tags, (SELECT COUNT(*) FROM inputs WHERE destination_id = ?) AS links").get(partial.model_id, partial.model_id) as Row;
    check.close();
    expect(counts).toEqual({ models: 2, tags: 0, links: 0 });
    expect(existsSync(partialDir)).toBe(false);
    const verify = await runCli(['verify', ...locations], { cwd });
    expect(verify.stdout).toContain('Models clean: 2/2 logged model(s) ok, 1/1 linked run(s) ok, 1/1 registered model(s) ok');
    expect(verify.code).toBe(0);
  });
});
