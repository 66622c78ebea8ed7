/**
 * Scorers registered to an experiment on a tracking server (recorded: `scorers-register-list`):
 * - GET /api/3.0/mlflow/scorers/list?experiment_id= answers the latest version of each name
 *   (`scorer_name`, `scorer_version`, `serialized_scorer`, `creation_time`, `scorer_id`);
 * - GET scorers/versions?experiment_id=&name= answers every version, oldest first;
 * - POST scorers/register {experiment_id, name, serialized_scorer} adds the next version: the
 *   server numbers it (and sets the time) itself, so numbers and times cannot be chosen here.
 * A server without the routes (older than MLflow 3.4) answers a non-JSON 404: it holds no scorers.
 */
import type { Scorer, ScorerVersion, TargetScorers } from '../../engine/scorers/contract.js';
import { MissingEndpointError } from './errors.js';
import type { MlflowHttpClient } from './http-client.js';
import { asArray, asRecord, toMillis, toStr } from './json.js';

const SCORERS = '/api/3.0/mlflow/scorers';

function versionOf(doc: Record<string, unknown>): ScorerVersion {
  const creationTime = toMillis(doc.creation_time);
  return {
    // proto3 JSON leaves a default out; versions start at 1, so an absent number is unexpected but read as 0.
    version: Number(toStr(doc.scorer_version ?? doc.version) ?? 0),
    serialized: toStr(doc.serialized_scorer) ?? '',
    ...(creationTime !== undefined ? { creationTime } : {}),
  };
}

export function mlflowScorers(client: MlflowHttpClient, workspace: string, experimentId: string): TargetScorers {
  const get = async (path: string, query: Record<string, string>, what: string) =>
    asRecord(await client.json({ method: 'GET', path: `${SCORERS}/${path}`, query, workspace, what }));
  return {
    keepsScorerNumbers: false,
    async listScorers(): Promise<Scorer[]> {
      let latest: Record<string, unknown>;
      try {
        latest = await get('list', { experiment_id: experimentId }, 'scorers/list');
      } catch (error) {
        if (error instanceof MissingEndpointError) return [];
        throw error;
      }
      const scorers: Scorer[] = [];
      for (const entry of asArray(latest.scorers).map(asRecord)) {
        const name = toStr(entry.scorer_name) ?? '';
        const all = await get('versions', { experiment_id: experimentId, name }, 'scorers/versions');
        const versions = asArray(all.scorers).map((v) => versionOf(asRecord(v))).sort((a, b) => a.version - b.version);
        const scorerId = toStr(entry.scorer_id);
        scorers.push({ name, ...(scorerId ? { scorerId } : {}), versions });
      }
      return scorers;
    },
    async addScorerVersion(name: string, version: ScorerVersion): Promise<number> {
      const answer = asRecord(
        await client.post(`${SCORERS}/register`, { experiment_id: experimentId, name, serialized_scorer: version.serialized }, 'scorers/register', workspace),
      );
      const given = Number(toStr(answer.version) ?? NaN);
      if (!Number.isInteger(given)) throw new Error(`scorers/register on ${client.displayUri} answered no version number`);
      return given;
    },
  };
}
