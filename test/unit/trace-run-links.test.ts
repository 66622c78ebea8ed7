/**
 * The rules of trace -> run links (link-to-run; src/engine/traces/run-links.ts) and their keeping
 * in MLflow's database (src/backends/mlflow-sqlite/trace-run-links.ts), on a copy of the real
 * genai-sqlite store: links point at the run copies, runs not copied are kept in
 * old_sys/linked_runs and reported, only missing links are made (one call per run), and verify
 * names a copy linked otherwise than its source.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ReadConnection } from '../../src/backends/mlflow-sqlite/connection.js';
import { SqliteDriver } from '../../src/backends/mlflow-sqlite/sqlite-driver.js';
import { SQLITE_BINDING } from '../../src/backends/mlflow-sqlite/store.js';
import { sqlSourceTraceRunLinks, sqlTargetTraceRunLinks } from '../../src/backends/mlflow-sqlite/trace-run-links.js';
import { keepMissingRunLinks, linkTracesToRuns, mapRunLinks, verifyRunLinks, type RunLinkedPair, type TraceRunLinks } from '../../src/engine/traces/run-links.js';
import type { TraceResult } from '../../src/engine/traces/types.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { tempDir } from '../support/cli-process.js';

const T1 = 'tr-6723053ab9e7e159f53e47fc9f1eb426';
const T2 = 'tr-f624f79bdd4abae14535ce3c243f8b56';
const T3 = 'tr-c4f6f69c2ae4fc41594540ebda36cdb1';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function goldenCopy(): string {
  const dir = tempDir('run-links-unit');
  cpSync(join(GOLDEN_STORES_DIR, 'genai-sqlite'), dir, { recursive: true });
  return join(dir, 'mlflow.db');
}

const result = (sourceTraceId: string, targetTraceId: string, runLinks: string[], outcome: TraceResult['outcome'] = 'copied'): TraceResult => ({ sourceTraceId, targetTraceId, outcome, spans: 0, assessments: 0, notes: [], runLinks });

/** The real database ability, counting the link calls it is given. */
function counted(links: Required<TraceRunLinks>): Required<TraceRunLinks> & { calls: Array<[string[], string]> } {
  const calls: Array<[string[], string]> = [];
  return {
    calls,
    searchedPerRun: links.searchedPerRun,
    traceRunLinks: (ids) => links.traceRunLinks(ids),
    linkTracesToRun: async (ids, runId) => {
      calls.push([[...ids], runId]);
      await links.linkTracesToRun(ids, runId);
    },
  };
}

describe('trace -> run links (link-to-run)', () => {
  it('points links at the run copies; runs not copied go to old_sys/linked_runs with a note', () => {
    const copies = new Map([['r1', 'c1'], ['r2', 'c2']]);
    expect(mapRunLinks(new Set(['r2', 'gone', 'r1']), copies)).toEqual({ linked: ['c1', 'c2'], missing: ['gone'] });
    expect(mapRunLinks(undefined, copies)).toEqual({ linked: [], missing: [] });
    const tags: Record<string, string> = { a: 'b' };
    const notes: string[] = [];
    keepMissingRunLinks(tags, ['gone'], notes);
    expect(tags).toEqual({ a: 'b', 'old_sys/linked_runs': '["gone"]' });
    expect(notes).toEqual(['run link(s) gone (link-to-run): the run was not copied; kept in old_sys/linked_runs, not linked']);
    const untouched: Record<string, string> = {};
    keepMissingRunLinks(untouched, [], notes);
    expect(untouched).toEqual({});
  });

  it('in a database: makes the missing links once per run, as SqlAlchemyStore keeps them, and a second pass makes none', async () => {
    const path = goldenCopy();
    const driver = SqliteDriver.open(path, 'target', 5000);
    closers.push(() => driver.close());
    const links = counted((await sqlTargetTraceRunLinks(driver, SQLITE_BINDING, '1', () => 1_765_000_000_000))!);
    const results = [result(T1, T1, ['run-a']), result(T2, T2, ['run-a', 'run-b'], 'skipped'), result(T3, T3, ['run-b'], 'failed')];

    await linkTracesToRuns(results, links, false);
    expect(links.calls).toEqual([[[T1, T2], 'run-a'], [[T2], 'run-b']]);
    expect(results.map((r) => r.notes)).toEqual([['linked to run run-a'], ['linked to run run-a', 'linked to run run-b'], []]);
    const rows = new Database(path, { readonly: true })
      .prepare(`SELECT source_type, source_id, destination_type, destination_id, created_time, length(association_id) AS id_length FROM entity_associations WHERE destination_type = 'run' ORDER BY source_id, destination_id`)
      .all();
    expect(rows).toEqual([
      { source_type: 'trace', source_id: T1, destination_type: 'run', destination_id: 'run-a', created_time: 1_765_000_000_000, id_length: 32 },
      { source_type: 'trace', source_id: T2, destination_type: 'run', destination_id: 'run-a', created_time: 1_765_000_000_000, id_length: 32 },
      { source_type: 'trace', source_id: T2, destination_type: 'run', destination_id: 'run-b', created_time: 1_765_000_000_000, id_length: 32 },
    ]);
    expect([...(await links.traceRunLinks([]))!].map(([id, runs]) => [id, [...runs].sort()]).sort()).toEqual([[T1, ['run-a']], [T2, ['run-a', 'run-b']]]);

    const again = [result(T1, T1, ['run-a'], 'skipped'), result(T2, T2, ['run-a', 'run-b'], 'skipped')];
    await linkTracesToRuns(again, links, false);
    expect(links.calls).toHaveLength(2);
    expect(again.map((r) => r.notes)).toEqual([[], []]);
  });

  it('a dry run links nothing; a target that cannot hold links says so on each linked trace', async () => {
    const r = result(T1, T1, ['run-a']);
    await linkTracesToRuns([r], {}, true);
    expect(r.notes).toEqual([]);
    await linkTracesToRuns([r], {}, false);
    expect(r).toMatchObject({ outcome: 'copied', notes: ['run links run-a (link-to-run): the target store cannot hold trace-to-run links; not linked'] });
  });

  it('a database without entity_associations (before MLflow 3.3) holds no links: undefined as a source, no ability as a target', async () => {
    const path = goldenCopy();
    const db = new Database(path);
    db.prepare('DROP TABLE entity_associations').run();
    db.close();
    const reader = ReadConnection.open(path, 'source');
    closers.push(() => reader.close());
    expect(await sqlSourceTraceRunLinks(reader, '1').traceRunLinks([])).toBeUndefined();
    const driver = SqliteDriver.open(path, 'target', 5000);
    closers.push(() => driver.close());
    expect(await sqlTargetTraceRunLinks(driver, SQLITE_BINDING, '1', () => 0)).toBeUndefined();
  });

  it('verify: a copy must be linked to the copies of exactly its source runs, a run not copied kept in old_sys/linked_runs', async () => {
    const sourcePath = goldenCopy();
    const db = new Database(sourcePath);
    const insert = db.prepare(`INSERT INTO entity_associations (association_id, source_type, source_id, destination_type, destination_id, created_time) VALUES (?, 'trace', ?, 'run', ?, 1)`);
    insert.run('x1', T1, 'src-a');
    insert.run('x2', T2, 'gone');
    db.close();
    const source = ReadConnection.open(sourcePath, 'source');
    closers.push(() => source.close());
    const targetPath = goldenCopy();
    const driver = SqliteDriver.open(targetPath, 'target', 5000);
    closers.push(() => driver.close());
    const target = (await sqlTargetTraceRunLinks(driver, SQLITE_BINDING, '1', () => 1))!;
    await target.linkTracesToRun([T3], 'copy-a');
    const pair = (sourceTraceId: string, targetTraceId: string, copyTags: Record<string, string> = {}): RunLinkedPair => ({ sourceTraceId, targetTraceId, copyTags, result: { status: 'ok', differences: [] } });
    const pairs = [pair(T1, T1), pair(T2, T2, { 'old_sys/linked_runs': '["gone"]' }), pair(T3, T3)];
    await verifyRunLinks(sqlSourceTraceRunLinks(source, '1'), target, pairs, new Map([['src-a', 'copy-a']]), ['src-a']);
    expect(pairs.map((p) => p.result)).toEqual([
      { status: 'different', differences: ['run link copy-a (link-to-run): the source is linked to its run, the copy is not'] },
      { status: 'ok', differences: [] },
      { status: 'different', differences: ['run link copy-a (link-to-run): the copy is linked to it, the source is not linked to src-a'] },
    ]);
    const bare = [pair(T2, T2)];
    await verifyRunLinks(sqlSourceTraceRunLinks(source, '1'), target, bare, new Map(), []);
    expect(bare[0]!.result).toEqual({ status: 'different', differences: ['run link gone (link-to-run): the run was not copied and the copy does not keep its id in old_sys/linked_runs'] });
  });
});
