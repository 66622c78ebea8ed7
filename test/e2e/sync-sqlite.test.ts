/**
 * Sync into MLflow's database (docs/sync.md): copies in a SQLite mlflow.db follow their MLflow
 * source - tags, name, status, new points, deletion and restore - and a re-run with nothing
 * changed leaves the database file untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { runCli, tempDir } from '../support/cli-process.js';

const T0 = 1_700_000_000_000;

function points(key: string, from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({ key, value: Math.cos(from + i), timestamp: T0 + (from + i) * 10, step: from + i }));
}

describe('sync into an MLflow SQLite database', () => {
  let source: StandinServer;
  let src: MlflowApi;
  const cwd = tempDir('sync-sqlite');
  const db = join(cwd, 'db', 'mlflow.db');
  const args = (extra: string[] = []) => ['copy', '--source-uri', source.url, '--source-project', 'exp', '--target-uri', `sqlite:///${db}`, '--target-project', 'exp', '--no-progress', '--report', 'report.json', ...extra];
  const verifyArgs = () => ['verify', '--source-uri', source.url, '--source-project', 'exp', '--target-uri', `sqlite:///${db}`, '--target-project', 'exp'];
  const report = () => JSON.parse(readFileSync(join(cwd, 'report.json'), 'utf8'));
  const query = (sql: string, ...params: unknown[]) => {
    const handle = new Database(db, { readonly: true });
    try {
      return handle.prepare(sql).all(...params) as any[];
    } finally {
      handle.close();
    }
  };
  const copyId = (sourceRunId: string) => query("SELECT run_uuid FROM tags WHERE key = 'old_sys/run_id' AND value = ?", sourceRunId)[0].run_uuid as string;

  beforeAll(async () => {
    source = await startStandin();
    src = new MlflowApi(source.url);
    mkdirSync(join(cwd, 'db'));
    createMlflowDatabase(db);
  });
  afterAll(async () => {
    await source.close();
  });

  it('copies follow their source; nothing changed leaves the database file as it was', async () => {
    const ids = await seedProject(src, 'exp', [
      { name: 'a', startTime: T0, status: 'RUNNING', params: { lr: '1' }, tags: { team: 'x', old: 'y' }, metrics: { loss: points('loss', 0, 3000) } },
      { name: 'b', startTime: T0 + 1, endTime: T0 + 2, metrics: { acc: points('acc', 0, 10) } },
    ]);
    expect((await runCli(args(), { cwd })).code).toBe(0);

    const mtime = statSync(db).mtimeMs;
    const quiet = await runCli(args(), { cwd });
    expect(quiet.code).toBe(0);
    expect(report().summary).toMatchObject({ updated: 0, skipped: 2 });
    expect(statSync(db).mtimeMs).toBe(mtime);

    const a = ids.get('a')!;
    for (let from = 3000; from < 5500; from += 500) await src.call('POST', 'runs/log-batch', { run_id: a, metrics: points('loss', from, 500) });
    await src.call('POST', 'runs/set-tag', { run_id: a, key: 'team', value: 'z' });
    await src.call('POST', 'runs/delete-tag', { run_id: a, key: 'old' });
    await src.call('POST', 'runs/update', { run_id: a, status: 'FINISHED', end_time: T0 + 500_000, run_name: 'a2' });
    await src.call('POST', 'runs/delete', { run_id: ids.get('b')! });
    const sync = await runCli(args(), { cwd });
    expect(sync.code, sync.stderr).toBe(0);
    expect(report().summary).toMatchObject({ updated: 2, failed: 0 });
    const copy = copyId(a);
    expect(query('SELECT name, status, end_time FROM runs WHERE run_uuid = ?', copy)[0]).toEqual({ name: 'a2', status: 'FINISHED', end_time: T0 + 500_000 });
    expect(query("SELECT COUNT(*) AS n FROM metrics WHERE run_uuid = ? AND key = 'loss'", copy)[0].n).toBe(5500);
    expect(query("SELECT step FROM latest_metrics WHERE run_uuid = ? AND key = 'loss'", copy)[0].step).toBe(5499);
    expect(query("SELECT key, value FROM tags WHERE run_uuid = ? AND key IN ('team', 'old', 'mlflow.runName') ORDER BY key", copy)).toEqual([
      { key: 'mlflow.runName', value: 'a2' },
      { key: 'team', value: 'z' },
    ]);
    expect(query('SELECT lifecycle_stage FROM runs WHERE run_uuid = ?', copyId(ids.get('b')!))[0].lifecycle_stage).toBe('deleted');

    await src.call('POST', 'runs/restore', { run_id: ids.get('b')! });
    const restored = await runCli(args(), { cwd });
    expect(restored.code).toBe(0);
    expect(query('SELECT lifecycle_stage FROM runs WHERE run_uuid = ?', copyId(ids.get('b')!))[0].lifecycle_stage).toBe('active');
    const verify = await runCli(verifyArgs(), { cwd });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
