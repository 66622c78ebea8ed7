/**
 * Sync from MLflow's database (docs/sync.md): each listed run gets a state token from its rows
 * and its local files, so a re-run with nothing changed opens no copy; a tag edited in the
 * database, a file rewritten with the same size and a file deleted reach the copy on an MLflow
 * server (through its artifact proxy), and verify is clean.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { seedModels } from '../support/mlflow-models-seed.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { runCli, tempDir } from '../support/cli-process.js';

const T0 = 1_700_000_000_000;

describe('sync from an MLflow SQLite database to an MLflow server', () => {
  let seed: StandinServer;
  let target: StandinServer;
  const cwd = tempDir('sync-db-source');
  const db = join(cwd, 'db', 'mlflow.db');
  const uri = () => `sqlite:///${db}`;
  const args = (extra: string[] = []) => ['copy', '--source-uri', uri(), '--source-project', 'exp', '--target-uri', target.url, '--target-project', 'exp', '--no-progress', '--report', 'report.json', ...extra];
  const verifyArgs = () => ['verify', '--source-uri', uri(), '--source-project', 'exp', '--target-uri', target.url, '--target-project', 'exp'];
  const report = () => JSON.parse(readFileSync(join(cwd, 'report.json'), 'utf8'));
  const sql = (statement: string, ...params: unknown[]) => {
    const handle = new Database(db);
    try {
      return handle.prepare(statement).run(...params);
    } finally {
      handle.close();
    }
  };
  const runIdByName = (name: string): string => {
    const handle = new Database(db, { readonly: true });
    try {
      return (handle.prepare('SELECT run_uuid FROM runs WHERE name = ?').get(name) as { run_uuid: string }).run_uuid;
    } finally {
      handle.close();
    }
  };
  const artifactRoot = (runId: string): string => {
    const handle = new Database(db, { readonly: true });
    try {
      const row = handle.prepare('SELECT artifact_uri FROM runs WHERE run_uuid = ?').get(runId) as { artifact_uri: string };
      // mlflow-artifacts:/<path> lives below mlartifacts beside the database (MLflow server's default).
      return row.artifact_uri.startsWith('mlflow-artifacts:/')
        ? join(cwd, 'db', 'mlartifacts', row.artifact_uri.slice('mlflow-artifacts:/'.length))
        : row.artifact_uri.replace(/^file:\/\//, '');
    } finally {
      handle.close();
    }
  };

  beforeAll(async () => {
    seed = await startStandin();
    target = await startStandin();
    // The database is filled by a copy from a seeded server (the engine writes it as MLflow does).
    const api = new MlflowApi(seed.url);
    await seedProject(api, 'exp', [
      { name: 'a', startTime: T0, endTime: T0 + 10, params: { lr: '1' }, tags: { team: 'x' }, metrics: { loss: [{ value: 1, timestamp: T0, step: 0 }] },
        files: { 'model/weights.bin': Buffer.from([1, 2, 3, 4]), 'notes/old.txt': Buffer.from('old\n') } },
      { name: 'b', startTime: T0 + 1, endTime: T0 + 2, params: { lr: '2' }, metrics: { acc: [{ value: 0.5, timestamp: T0, step: 0 }] } },
    ]);
    mkdirSync(join(cwd, 'db'));
    createMlflowDatabase(db);
    const filled = await runCli(['copy', '--source-uri', seed.url, '--source-project', 'exp', '--target-uri', uri(), '--target-project', 'exp', '--no-progress'], { cwd });
    expect(filled.code, filled.stderr).toBe(0);
    const first = await runCli(args(), { cwd });
    expect(first.code, first.stderr).toBe(0);
    expect(report().summary).toMatchObject({ copied: 2, failed: 0 });
  }, 120_000);
  afterAll(async () => {
    await seed.close();
    await target.close();
  });

  it('nothing changed: no copy is opened at the target', async () => {
    const before = { ...target.stats().byRoute };
    const again = await runCli(args(), { cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(report().summary).toMatchObject({ copied: 0, updated: 0, skipped: 2, failed: 0 });
    const after = target.stats().byRoute;
    // A full comparison reads the copy (runs/get, its history, its files); a matching token reads nothing of it.
    for (const route of ['runs/get', 'metrics/get-history', 'artifacts/list']) expect(after[route] ?? 0, route).toBe(before[route] ?? 0);
  }, 120_000);

  it('a tag edited in the database, a same-size rewrite and a deleted file reach the copy', async () => {
    const runA = runIdByName('a');
    sql("UPDATE tags SET value = 'y' WHERE run_uuid = ? AND key = 'team'", runA);
    const root = artifactRoot(runA);
    const weights = join(root, 'model', 'weights.bin');
    writeFileSync(weights, Buffer.from([9, 9, 9, 9]));
    const later = new Date(Date.now() + 5_000);
    utimesSync(weights, later, later);
    rmSync(join(root, 'notes', 'old.txt'));
    expect(statSync(weights).size).toBe(4);

    const sync = await runCli(args(), { cwd });
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    expect(report().summary).toMatchObject({ updated: 1, skipped: 1, failed: 0 });
    const changes = report().runs.find((run: any) => run.sourceRunId === runA).changes;
    expect(changes).toEqual(expect.arrayContaining(['tag team changed', 'file model/weights.bin rewritten (same size, 4 bytes, modified after the copy)', 'file notes/old.txt deleted']));

    const verify = await runCli(verifyArgs(), { cwd });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const quiet = await runCli(args(), { cwd });
    expect(quiet.code).toBe(0);
    expect(report().summary).toMatchObject({ updated: 0, skipped: 2 });
  }, 180_000);

  it('logged models from the database: unchanged ones are not opened, a tag edited there reaches the copy', async () => {
    // A second experiment with logged models, written into the database by a copy from the seeded server.
    const api = new MlflowApi(seed.url);
    const runIds = await seedProject(api, 'models', [
      { name: 'trainer', startTime: T0, endTime: T0 + 10, params: { lr: '1' } },
      { name: 'evaluator', startTime: T0 + 20, endTime: T0 + 30 },
    ]);
    await seedModels(api, (await api.experimentId('models'))!, runIds);
    const filled = await runCli(['copy', '--source-uri', seed.url, '--source-project', 'models', '--target-uri', uri(), '--target-project', 'models', '--no-progress'], { cwd });
    expect(filled.code, filled.stderr).toBe(0);
    const modelArgs = (extra: string[] = []) => ['copy', '--source-uri', uri(), '--source-project', 'models', '--target-uri', target.url, '--target-project', 'models', '--no-progress', '--report', 'report.json', ...extra];
    const first = await runCli(modelArgs(), { cwd });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(report().models.summary).toMatchObject({ copied: 3, failed: 0 });

    const before = { ...target.stats().byRoute };
    const again = await runCli(modelArgs(), { cwd });
    expect(again.code).toBe(0);
    expect(report().models.summary).toMatchObject({ skipped: 3, updated: 0 });
    // No model copy was read back (its files are listed only when it is compared).
    expect(target.stats().byRoute['logged-models/list-artifacts'] ?? 0).toBe(before['logged-models/list-artifacts'] ?? 0);

    sql("UPDATE logged_model_tags SET tag_value = 'prod' WHERE tag_key = 'stage' AND model_id IN (SELECT model_id FROM logged_models WHERE name = 'clf')");
    const sync = await runCli(modelArgs(), { cwd });
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    expect(report().models.summary).toMatchObject({ updated: 1, skipped: 2, failed: 0 });
    expect(report().models.models.find((m: any) => m.name === 'clf').changes).toEqual(['tag stage changed']);
    const verify = await runCli(['verify', '--source-uri', uri(), '--source-project', 'models', '--target-uri', target.url, '--target-project', 'models'], { cwd });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 240_000);
});
