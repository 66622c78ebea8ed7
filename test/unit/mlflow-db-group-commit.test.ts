/**
 * Group commit (src/backends/mlflow-sqlite/group-commit.ts): transactions queued together share
 * one COMMIT, yet each stays atomic on its own - one that fails leaves no row and does not take
 * the others with it. Concurrent writers that arrive a few turns of the event loop apart are
 * gathered (a short wait) into shared commits; a lone writer never waits.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCommit } from '../../src/backends/mlflow-sqlite/group-commit.js';
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

  /** A GroupCommit over a real database that counts its COMMITs. */
  function countingCommits(file = dbPath): { commits: GroupCommit; count: () => number; db: Database.Database } {
    const db = new Database(file);
    if (file === ':memory:') db.exec('CREATE TABLE experiment_tags (key TEXT, value TEXT, experiment_id INTEGER)');
    let count = 0;
    const executor = {
      async query(sql: string, params: readonly unknown[] = []) {
        return db.prepare(sql).all(...params) as Array<Record<string, unknown>>;
      },
      async run(sql: string, params: readonly unknown[] = []) {
        return db.prepare(sql).run(...params).changes;
      },
    };
    const commits = new GroupCommit({
      begin: 'BEGIN IMMEDIATE',
      exec: async (statement) => {
        if (statement === 'COMMIT') count++;
        db.exec(statement);
      },
      executor: async () => executor,
    });
    return { commits, count: () => count, db };
  }

  it('gathers the transactions of concurrent writers that arrive a few milliseconds apart into shared commits', async () => {
    // In memory, so that a slow disk's commits do not batch the writers by themselves.
    const { commits, count, db } = countingCommits(':memory:');
    // 8 writers, each doing 5 transactions, each after a few turns of the event loop of other work
    // (as a trace writer reads its files), so that they arrive on different turns.
    const writer = async (w: number) => {
      for (let i = 0; i < 5; i++) {
        for (let turn = 0; turn < 2 + w * 3; turn++) await new Promise((resolve) => setImmediate(resolve));
        await commits.transaction(async (tx) => tx.run(TAG, [`w${w}-${i}`, '1']));
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
    await commits.idle();
    expect(db.prepare('SELECT COUNT(*) AS n FROM experiment_tags').get()).toEqual({ n: 40 });
    // 40 transactions of 8 writers: at best 5 commits; without the gathering wait, about 24 (12 or
    // fewer measured with it on a loaded machine; the bound leaves room for a slower one).
    expect(count()).toBeLessThanOrEqual(16);
    db.close();
  });

  it('never makes a lone writer wait: one transaction at a time, one commit each, no gathering delay', async () => {
    // In memory: a commit costs no fsync, so any gathering wait would show in the time taken.
    const { commits, count, db } = countingCommits(':memory:');
    // The gathering wait is the only timer group commit sets: a lone writer must set none (checked
    // by the timers themselves, not by the clock, which a loaded machine would make flaky).
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      for (let i = 0; i < 20; i++) await commits.transaction(async (tx) => tx.run(TAG, [`solo-${i}`, '1']));
      expect(timers).not.toHaveBeenCalled();
    } finally {
      timers.mockRestore();
    }
    expect(count()).toBe(20);
    db.close();
  });
});
