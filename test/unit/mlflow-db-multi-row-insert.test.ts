/**
 * Multi-row inserts (src/backends/mlflow-sqlite/multi-row-insert.ts): every row lands once with
 * its values in their columns, however many rows (chunks stay under SQLite's 999 bound values),
 * and a failing row fails the statement, so the transaction around it leaves nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertRows } from '../../src/backends/mlflow-sqlite/multi-row-insert.js';
import { SqliteDriver } from '../../src/backends/mlflow-sqlite/sqlite-driver.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';

let dir: string;
let dbPath: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'multi-row-'));
  dbPath = path.join(dir, 'mlflow.db');
  createMlflowDatabase(dbPath);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const COLUMNS = ['key', 'value', 'experiment_id'] as const;

function tags(): Array<{ key: string; value: string }> {
  const db = new Database(dbPath, { readonly: true });
  const rows = db.prepare('SELECT key, value FROM experiment_tags ORDER BY key').all() as Array<{ key: string; value: string }>;
  db.close();
  return rows;
}

describe('insertRows', () => {
  it('writes every row once, in chunks when the rows hold more than 999 values', async () => {
    const driver = SqliteDriver.open(dbPath, 'test.db', 5_000);
    const rows = Array.from({ length: 700 }, (_, i) => [`k${String(i).padStart(4, '0')}`, `v${i}`, 0]);
    await driver.transaction((tx) => insertRows(tx, 'experiment_tags', COLUMNS, rows));
    await insertRows(driver, 'experiment_tags', COLUMNS, []);
    await driver.close();
    const written = tags();
    expect(written).toHaveLength(700);
    expect(written[0]).toEqual({ key: 'k0000', value: 'v0' });
    expect(written[699]).toEqual({ key: 'k0699', value: 'v699' });
  });

  it('fails on a duplicate row, and the transaction around it leaves nothing', async () => {
    const driver = SqliteDriver.open(dbPath, 'test.db', 5_000);
    const write = driver.transaction((tx) => insertRows(tx, 'experiment_tags', COLUMNS, [['a', '1', 0], ['b', '2', 0], ['a', '3', 0]]));
    await expect(write).rejects.toThrow();
    await driver.close();
    expect(tags()).toEqual([]);
  });
});
