/**
 * Group commit's rules (src/backends/mlflow-sqlite/group-commit.ts), on a real SQLite database:
 * a group closes when it is full, when it has gathered for its longest wait, or when nothing
 * arrived for a short gap; replayable transactions share a commit without savepoints, and when
 * one of them fails the group is run again with savepoints, so that it fails alone.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { GroupCommit, type GroupLimits } from '../../src/backends/mlflow-sqlite/group-commit.js';

const TAG = 'INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, 0)';

/** A GroupCommit over an in-memory database (no fsync: only the rules batch the writers) that records its control statements. */
function recorded(limits?: GroupLimits) {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE experiment_tags (key TEXT PRIMARY KEY, value TEXT, experiment_id INTEGER)');
  const statements: string[] = [];
  const groups: number[] = [];
  let inGroup = 0;
  const executor = {
    async query(sql: string, params: readonly unknown[] = []) {
      return db.prepare(sql).all(...params) as Array<Record<string, unknown>>;
    },
    async run(sql: string, params: readonly unknown[] = []) {
      if (sql === TAG) inGroup++;
      return db.prepare(sql).run(...params).changes;
    },
  };
  const commits = new GroupCommit(
    {
      begin: 'BEGIN IMMEDIATE',
      exec: async (statement) => {
        statements.push(statement);
        if (statement === 'COMMIT') {
          groups.push(inGroup);
          inGroup = 0;
        }
        if (statement === 'ROLLBACK') inGroup = 0;
        db.exec(statement);
      },
      executor: async () => executor,
    },
    limits,
  );
  const keys = () => (db.prepare('SELECT key FROM experiment_tags ORDER BY key').all() as Array<{ key: string }>).map((row) => row.key);
  return { commits, statements, groups, keys };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('group commit rules', () => {
  it('runs a group of replayable transactions without a savepoint each', async () => {
    const { commits, statements, keys } = recorded();
    await Promise.all(Array.from({ length: 10 }, (_, i) => commits.transaction((tx) => tx.run(TAG, [`k${i}`, '1']), { replayable: true })));
    expect(keys()).toHaveLength(10);
    expect(statements.filter((s) => s.includes('SAVEPOINT'))).toEqual([]);
    // Transactions that are not replayable keep their savepoints.
    await Promise.all([commits.transaction((tx) => tx.run(TAG, ['n1', '1'])), commits.transaction((tx) => tx.run(TAG, ['n2', '1']))]);
    expect(statements.filter((s) => s === 'SAVEPOINT unit')).toHaveLength(2);
  });

  it('replays a group with savepoints when a replayable transaction fails: only that one fails, the others commit once', async () => {
    const { commits, statements, keys } = recorded();
    const runs = new Map<string, number>();
    const write = (key: string) =>
      commits.transaction(async (tx) => {
        runs.set(key, (runs.get(key) ?? 0) + 1);
        return tx.run(TAG, [key, '1']);
      }, { replayable: true });
    // "dup" is taken: its insert fails on the primary key, after the others of its group wrote.
    await commits.transaction((tx) => tx.run(TAG, ['dup', 'first']));
    const results = await Promise.allSettled([write('a'), write('b'), write('dup'), write('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(keys()).toEqual(['a', 'b', 'c', 'dup']);
    // The group ran once without savepoints (rolled back), then once with them.
    expect(statements).toContain('ROLLBACK');
    expect(statements.filter((s) => s === 'ROLLBACK TO SAVEPOINT unit')).toHaveLength(1);
    expect(runs.get('a')).toBe(2);
    expect(statements.filter((s) => s === 'COMMIT')).toHaveLength(2);
  });

  it('closes a group when it is full', async () => {
    const { commits, groups, keys } = recorded({ size: 4, maxWaitMs: 200, gapMs: 200 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => commits.transaction((tx) => tx.run(TAG, [`k${i}`, '1']), { replayable: true })));
    expect(keys()).toHaveLength(10);
    expect(groups).toEqual([4, 4, 2]);
  });

  it('closes a group after its longest wait while writers keep arriving', async () => {
    const { commits, groups } = recorded({ size: 1_000, maxWaitMs: 30, gapMs: 10_000 });
    const started = performance.now();
    const settled: Array<Promise<unknown>> = [];
    // Two at once show the writers are concurrent; then one every 5 ms for about 300 ms.
    settled.push(commits.transaction((tx) => tx.run(TAG, ['first', '1'])), commits.transaction((tx) => tx.run(TAG, ['second', '1'])));
    for (let i = 0; i < 60; i++) {
      await sleep(5);
      settled.push(commits.transaction((tx) => tx.run(TAG, [`k${i}`, '1'])));
    }
    const firstLate = await Promise.race([settled[2]!.then(() => performance.now() - started), sleep(5_000).then(() => Infinity)]);
    await Promise.all(settled);
    // Not one group held everything until the writers stopped, nor one commit each.
    expect(groups.length).toBeGreaterThanOrEqual(3);
    expect(groups.length).toBeLessThan(40);
    expect(firstLate).toBeLessThan(5_000);
  });

  it('closes a group once nothing arrived for the gap, without waiting for its longest wait', async () => {
    const { commits, groups } = recorded({ size: 1_000, maxWaitMs: 60_000, gapMs: 5 });
    await Promise.all([commits.transaction((tx) => tx.run(TAG, ['a', '1'])), commits.transaction((tx) => tx.run(TAG, ['b', '1']))]);
    const started = performance.now();
    await Promise.all([commits.transaction((tx) => tx.run(TAG, ['c', '1'])), commits.transaction((tx) => tx.run(TAG, ['d', '1']))]);
    // A minute's longest wait was not waited for (a loaded machine still answers well within this).
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(groups.reduce((sum, n) => sum + n, 0)).toBe(4);
  });
});
