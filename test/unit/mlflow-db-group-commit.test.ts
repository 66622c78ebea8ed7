/**
 * Group commit (src/backends/mlflow-sqlite/group-commit.ts): transactions queued together share
 * one COMMIT, yet each stays atomic on its own - one that fails leaves no row and does not take
 * the others with it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteDriver } from '../../src/backends/mlflow-sqlite/sqlite-driver.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';

let dir: string;
let dbPath: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'group-commit-'));
  dbPath = path.join(dir, 'mlflow.db');
  createMlflowDatabase(dbPath);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const TAG = 'INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, 0)';

describe('group commit', () => {
  it('keeps each queued transaction atomic: a failing one leaves nothing, the others commit', async () => {
    const driver = SqliteDriver.open(dbPath, 'test.db', 5_000);
    const results = await Promise.allSettled([
      driver.transaction(async (tx) => tx.run(TAG, ['a', '1'])),
      driver.transaction(async (tx) => {
        await tx.run(TAG, ['b', '1']);
        throw new Error('second fails after writing');
      }),
      driver.transaction(async (tx) => tx.run(TAG, ['c', '1'])),
    ]);
    await driver.close();
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT key FROM experiment_tags ORDER BY key').all()).toEqual([{ key: 'a' }, { key: 'c' }]);
    db.close();
  });

  it('settles a transaction only once it is committed: another connection sees its rows then', async () => {
    const driver = SqliteDriver.open(dbPath, 'test.db', 5_000);
    const reader = new Database(dbPath, { readonly: true });
    await driver.transaction(async (tx) => tx.run(TAG, ['x', '1']));
    expect(reader.prepare("SELECT COUNT(*) AS n FROM experiment_tags WHERE key = 'x'").get()).toEqual({ n: 1 });
    reader.close();
    await driver.close();
  });
});
