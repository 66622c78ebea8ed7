/**
 * Scorers in MLflow's SQLite database (a copy of the real genai-sqlite store, whose schema has the
 * scorer tables): written as SqlAlchemyStore's register_scorer writes them, numbers and creation
 * times kept, read back whole; a number the database cannot keep is refused, not renumbered.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MlflowSqliteStore } from '../../src/backends/mlflow-sqlite/store.js';
import { sourceScorersOf, targetScorersOf } from '../../src/engine/scorers/contract.js';
import { parseProjectRef } from '../../src/model/project-ref.js';
import { tempDir } from '../support/cli-process.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';

const dir = tempDir('sqlite-scorers');
cpSync(join(GOLDEN_STORES_DIR, 'genai-sqlite', 'mlflow.db'), join(dir, 'mlflow.db'));
const uri = `sqlite:///${join(dir, 'mlflow.db')}`;
const stores: MlflowSqliteStore[] = [];
afterAll(async () => {
  for (const store of stores) await store.close();
});

describe('scorers in an MLflow SQLite database', () => {
  it('keeps numbers and times, reads every version back, and refuses a number at or below the last one', async () => {
    const target = MlflowSqliteStore.openTarget(uri);
    stores.push(target);
    const project = await target.openTarget(parseProjectRef('default/judged'), { tags: [] }, { create: true });
    const scorers = targetScorersOf(project)!;
    expect(scorers.keepsScorerNumbers).toBe(true);
    expect(await scorers.addScorerVersion('polite', { version: 1, serialized: '{"a": 1}', creationTime: 1000 })).toBe(1);
    // A source whose version 2 was deleted: 3 keeps its number.
    expect(await scorers.addScorerVersion('polite', { version: 3, serialized: '{"a": 3}', creationTime: 3000 })).toBe(3);
    await expect(scorers.addScorerVersion('polite', { version: 2, serialized: '{"a": 2}' })).rejects.toThrow('cannot keep its number');

    const [polite] = await scorers.listScorers();
    expect(polite).toMatchObject({ name: 'polite', versions: [{ version: 1, serialized: '{"a": 1}', creationTime: 1000 }, { version: 3, serialized: '{"a": 3}', creationTime: 3000 }] });
    expect(polite!.scorerId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    // The rows as register_scorer writes them: one scorers row, one row per version.
    const db = new Database(join(dir, 'mlflow.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT scorer_name FROM scorers WHERE experiment_id = ?').all(Number(project!.id))).toEqual([{ scorer_name: 'polite' }]);
      expect(db.prepare('SELECT scorer_version, creation_time FROM scorer_versions WHERE scorer_id = ? ORDER BY 1').all(polite!.scorerId)).toEqual([
        { scorer_version: 1, creation_time: 1000 },
        { scorer_version: 3, creation_time: 3000 },
      ]);
    } finally {
      db.close();
    }

    // The reader side sees the same.
    const reader = MlflowSqliteStore.open(uri);
    stores.push(reader);
    const source = sourceScorersOf(await reader.openSource(parseProjectRef('default/judged')))!;
    expect((await source.listScorers()).map((s) => [s.name, s.versions.map((v) => v.version)])).toEqual([['polite', [1, 3]]]);
  });
});
