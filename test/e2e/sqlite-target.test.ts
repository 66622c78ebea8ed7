/**
 * MLflow's database as a target, through the CLI:
 * - the real MLflow 3.11 mlflow.db copied into an MLflow database holds, table by table, the rows
 *   real MLflow wrote (runs, params, tags, metrics with is_nan, latest_metrics, datasets, inputs,
 *   input_tags), ids and provenance aside; its files land under mlartifacts/ as a server puts them;
 * - the real mlruns folder goes into a database and verifies clean; a second copy copies nothing;
 * - an empty database is refused with how to let MLflow create its schema.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { runCli, tempDir } from '../support/cli-process.js';

type Row = Record<string, unknown>;

/** The rows of one experiment, with run ids replaced by run names and provenance left out. */
function experimentRows(dbPath: string, experiment: string): Record<string, Row[]> {
  const db = new Database(dbPath, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    const id = (db.prepare('SELECT experiment_id FROM experiments WHERE name = ?').get(experiment) as Row).experiment_id;
    const runs = db.prepare('SELECT * FROM runs WHERE experiment_id = ? ORDER BY name').all(id) as Row[];
    const names = new Map(runs.map((run) => [run.run_uuid as string, run.name as string]));
    const rename = (rows: Row[], column: string) =>
      rows
        .filter((row) => names.has(row[column] as string))
        // Run ids in values (mlflow.parentRunId) are remapped by the copy: compare by run name.
        .map((row): Row => ({ ...row, [column]: names.get(row[column] as string), ...(names.has(row.value as string) ? { value: names.get(row.value as string) } : {}) }))
        .filter((row) => !/^(old_sys\/|runs_migrator\.)/.test(String(row.key ?? '')))
        .sort((a, b) => JSON.stringify(a, big).localeCompare(JSON.stringify(b, big)));
    const all = (table: string) => db.prepare(`SELECT * FROM ${table}`).all() as Row[];
    const datasetInputs = (all('inputs').filter((row) => row.source_type === 'DATASET'));
    return {
      runs: runs.map(({ run_uuid: _id, artifact_uri: _uri, experiment_id: _exp, deleted_time: deleted, ...rest }) => ({ ...rest, deleted: deleted !== null })),
      params: rename(all('params'), 'run_uuid'),
      tags: rename(all('tags'), 'run_uuid'),
      metrics: rename(all('metrics'), 'run_uuid'),
      latest_metrics: rename(all('latest_metrics'), 'run_uuid'),
      datasets: all('datasets').filter((row) => row.experiment_id === id).map(({ dataset_uuid: _d, experiment_id: _e, ...rest }) => rest),
      inputs: rename(datasetInputs, 'destination_id').map(({ input_uuid: _i, source_id: _s, ...rest }) => rest),
      input_tags: datasetInputs.flatMap((input) => db.prepare('SELECT name, value FROM input_tags WHERE input_uuid = ?').all(input.input_uuid) as Row[]),
    };
  } finally {
    db.close();
  }
}

function big(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

describe('MLflow database as a target, through the CLI', () => {
  it('holds, table by table, the rows real MLflow wrote for the same runs', async () => {
    const cwd = tempDir('sqlite-target-golden');
    cpSync(join(GOLDEN_STORES_DIR, 'sqlite'), join(cwd, 'source'), { recursive: true });
    const target = join(cwd, 'target', 'mlflow.db');
    mkdirSync(join(cwd, 'target'));
    createMlflowDatabase(target);
    for (const project of ['fixture', 'second']) {
      const copy = await runCli(
        ['copy', '--source-uri', `sqlite:///${join(cwd, 'source', 'mlflow.db')}`, '--source-project', `default/${project}`,
          '--target-uri', `sqlite:///${target}`, '--target-project', `default/${project}`, '--include-deleted', '--no-progress', '--verify'],
        { cwd },
      );
      expect(copy.stdout, copy.stderr).toContain('Verify clean');
      expect(copy.code).toBe(0);
      const want = experimentRows(join(cwd, 'source', 'mlflow.db'), project);
      const got = experimentRows(target, project);
      for (const table of Object.keys(want)) expect(JSON.stringify(got[table], big), `${project}: ${table}`).toBe(JSON.stringify(want[table], big));
    }
    const db = new Database(target, { readonly: true });
    const experiment = db.prepare("SELECT * FROM experiments WHERE name = 'fixture'").get() as Row;
    const run = db.prepare("SELECT run_uuid, artifact_uri FROM runs WHERE name = 'parent'").get() as Row;
    db.close();
    expect(experiment).toMatchObject({ workspace: 'default', lifecycle_stage: 'active', artifact_location: `mlflow-artifacts:/${experiment.experiment_id}` });
    expect(run.artifact_uri).toBe(`mlflow-artifacts:/${experiment.experiment_id}/${run.run_uuid}/artifacts`);
    const file = join(cwd, 'target', 'mlartifacts', String(experiment.experiment_id), String(run.run_uuid), 'artifacts', 'nested', 'deeper', 'data.bin');
    expect(readFileSync(file)).toEqual(readFileSync(join(GOLDEN_STORES_DIR, 'sqlite', 'mlartifacts', '1', '2423373861b24d93958faffdeacd9601', 'artifacts', 'nested', 'deeper', 'data.bin')));
  });

  it('takes the real mlruns folder, keeps repeated points once as MLflow does and says so, verifies clean, copies nothing the second time', async () => {
    const cwd = tempDir('sqlite-target-mlruns');
    cpSync(join(GOLDEN_STORES_DIR, 'mlruns'), join(cwd, 'mlruns'), { recursive: true });
    const target = join(cwd, 'mlflow.db');
    createMlflowDatabase(target);
    for (const [project, runs] of [['fixture', 4], ['second', 1]] as const) {
      const args = ['copy', '--source-uri', join(cwd, 'mlruns'), '--source-project', `default/${project}`, '--target-uri', `sqlite:///${target}`, '--target-project', `default/${project}`, '--include-deleted', '--no-progress'];
      const copy = await runCli([...args, '--verify', '--log-file', join(cwd, `${project}.log`)], { cwd });
      expect(copy.stdout, copy.stderr).toContain('Verify clean');
      const again = await runCli(args, { cwd });
      expect(again.stdout).toMatch(new RegExp(`Copied 0, skipped ${runs}\\b`));
    }
    // The file store appended log_model's re-logged step-0 points (README of the stores): 203 -> 200.
    expect(readFileSync(join(cwd, 'fixture.log'), 'utf8')).toMatch(/metrics\/loss dropped: 3 point\(s\) repeat a point already stored/);
    const db = new Database(target, { readonly: true });
    expect(db.prepare("SELECT COUNT(*) AS n FROM metrics m JOIN runs r ON r.run_uuid = m.run_uuid WHERE r.name = 'parent' AND m.key = 'loss'").get()).toEqual({ n: 200 });
    db.close();
    expect(existsSync(join(cwd, 'mlartifacts'))).toBe(true);
  });

  it('refuses an empty database, saying to let `mlflow server` create the schema, and writes nothing into it', async () => {
    const cwd = tempDir('sqlite-target-empty');
    const target = join(cwd, 'empty.db');
    writeFileSync(target, '');
    const copy = await runCli(
      ['copy', '--source-uri', join(GOLDEN_STORES_DIR, 'mlruns'), '--source-project', 'default/second', '--target-uri', `sqlite:///${target}`, '--target-project', 'default/second', '--no-progress'],
      { cwd },
    );
    expect(copy.code).not.toBe(0);
    expect(copy.stderr).toMatch(/holds no MLflow schema \(it is empty\)\. Let MLflow create it: start `mlflow server --backend-store-uri <this URI>` on it once/);
    expect(copy.stderr).not.toMatch(/mlflow db upgrade/);
    expect(readFileSync(target).length).toBe(0);
  });
});
