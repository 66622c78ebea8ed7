/**
 * Scorers in MLflow's database, as SqlAlchemyStore writes them (register_scorer): one row per
 * name and experiment in `scorers` (scorer_id a UUID with dashes), one row per version in
 * `scorer_versions` (scorer_version 1, 2, ... = the highest so far + 1, serialized_scorer the
 * JSON text verbatim, creation_time in ms). A database lets the writer keep the source's version
 * numbers and creation times, so it does.
 */
import { randomUUID } from 'node:crypto';
import type { Scorer, ScorerVersion, SourceScorers, TargetScorers } from '../../engine/scorers/contract.js';
import type { Binding } from './metric-rows.js';
import type { Row, SqlDriver, SqlReader } from './sql-driver.js';
import { num, text } from './values.js';

const LIST = `SELECT s.scorer_name, s.scorer_id, v.scorer_version, v.serialized_scorer, v.creation_time
  FROM scorers s JOIN scorer_versions v ON v.scorer_id = s.scorer_id
  WHERE s.experiment_id = ? ORDER BY s.scorer_name, v.scorer_version`;

function groupScorers(rows: Row[]): Scorer[] {
  const byName = new Map<string, Scorer>();
  for (const row of rows) {
    const name = text(row.scorer_name) ?? '';
    let scorer = byName.get(name);
    if (!scorer) byName.set(name, (scorer = { name, scorerId: text(row.scorer_id) ?? '', versions: [] }));
    const creationTime = num(row.creation_time);
    scorer.versions.push({ version: num(row.scorer_version) ?? 0, serialized: text(row.serialized_scorer) ?? '', ...(creationTime !== undefined ? { creationTime } : {}) });
  }
  // A scorer row without versions is what a delete of every version leaves behind only briefly
  // (SqlAlchemyStore removes both): the join leaves it out, as list_scorers does.
  return [...byName.values()];
}

/** The reader side: every scorer of the experiment with all its versions, oldest first. */
export function sqlSourceScorers(connection: SqlReader, experimentId: string): SourceScorers {
  return { keepsScorerNumbers: true, listScorers: async () => groupScorers(await connection.all(LIST, BigInt(experimentId))) };
}

export function sqlTargetScorers(driver: SqlDriver, bind: Binding, experimentId: string, now: () => number): TargetScorers {
  const experiment = bind.int(BigInt(experimentId));
  return {
    keepsScorerNumbers: true,
    listScorers: async () => groupScorers(await driver.query(LIST, [experiment])),
    addScorerVersion: (name: string, version: ScorerVersion) =>
      driver.transaction(async (tx) => {
        const found = await tx.query('SELECT scorer_id FROM scorers WHERE experiment_id = ? AND scorer_name = ?', [experiment, name]);
        let scorerId = text(found[0]?.scorer_id);
        if (!scorerId) {
          scorerId = randomUUID();
          await tx.run('INSERT INTO scorers (experiment_id, scorer_name, scorer_id) VALUES (?, ?, ?)', [experiment, name, scorerId]);
        }
        const last = num((await tx.query('SELECT MAX(scorer_version) AS n FROM scorer_versions WHERE scorer_id = ?', [scorerId]))[0]?.n) ?? 0;
        // Numbers are kept, and copies are paired by number: a number at or below the last one
        // would land elsewhere and be copied again by every run, so it is refused.
        if (version.version <= last) {
          throw new Error(`the target's scorer ${name} already has version ${last}; version ${version.version} cannot keep its number, so it is not written`);
        }
        const number = version.version;
        await tx.run('INSERT INTO scorer_versions (scorer_id, scorer_version, serialized_scorer, creation_time) VALUES (?, ?, ?, ?)', [
          scorerId, bind.int(BigInt(number)), version.serialized, bind.int(BigInt(version.creationTime ?? now())),
        ]);
        return number;
      }),
  };
}
