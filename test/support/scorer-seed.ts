/**
 * Scorers as MLflow's client registers them (recorded: scorers-register-list), for tests: the
 * REST calls for a server, the rows SqlAlchemyStore.register_scorer writes for a database.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { request } from 'undici';

/** A built-in Guidelines judge as mlflow 3.11 serializes it (shortened: the server stores any JSON). */
export function guidelinesScorer(name: string, guidelines: string[]): string {
  return JSON.stringify({
    name,
    aggregations: null,
    description: 'Evaluate whether the response follows the guidelines.',
    is_session_level_scorer: false,
    mlflow_version: '3.11.2.dev0',
    serialization_version: 1,
    builtin_scorer_class: 'Guidelines',
    builtin_scorer_pydantic_data: { name, guidelines, model: null, required_columns: ['inputs', 'outputs'] },
    call_source: null,
    call_signature: null,
    original_func_name: null,
  });
}

async function scorerCall(url: string, method: 'POST' | 'DELETE' | 'GET', path: string, body: Record<string, unknown>, workspace?: string): Promise<any> {
  const target = new URL(`${url.replace(/\/$/, '')}/api/3.0/mlflow/scorers/${path}`);
  if (method === 'GET') for (const [k, v] of Object.entries(body)) target.searchParams.set(k, String(v));
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (workspace && workspace !== 'default') headers['x-mlflow-workspace'] = workspace;
  const response = await request(target, { method, headers, ...(method === 'GET' ? {} : { body: JSON.stringify(body) }) });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${method} scorers/${path}: HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

export async function registerScorer(url: string, experimentId: string, name: string, serialized: string, workspace?: string): Promise<number> {
  return (await scorerCall(url, 'POST', 'register', { experiment_id: experimentId, name, serialized_scorer: serialized }, workspace)).version;
}

export async function deleteScorerVersion(url: string, experimentId: string, name: string, version: number, workspace?: string): Promise<void> {
  await scorerCall(url, 'DELETE', 'delete', { experiment_id: experimentId, name, version }, workspace);
}

/** Every version of one scorer on a server, oldest first: [number, serialized]. */
export async function scorerVersions(url: string, experimentId: string, name: string, workspace?: string): Promise<Array<[number, string]>> {
  const answer = await scorerCall(url, 'GET', 'versions', { experiment_id: experimentId, name }, workspace);
  return (answer.scorers ?? []).map((s: any) => [s.scorer_version, s.serialized_scorer]);
}

/** The rows register_scorer writes, one version at a time (number = the highest so far + 1, unless given). */
export function insertScorerRows(dbPath: string, experimentId: string, name: string, versions: Array<{ serialized: string; version?: number; creationTime: number }>): void {
  const db = new Database(dbPath);
  try {
    let scorerId = (db.prepare('SELECT scorer_id FROM scorers WHERE experiment_id = ? AND scorer_name = ?').get(Number(experimentId), name) as { scorer_id?: string } | undefined)?.scorer_id;
    if (!scorerId) {
      scorerId = randomUUID();
      db.prepare('INSERT INTO scorers (experiment_id, scorer_name, scorer_id) VALUES (?, ?, ?)').run(Number(experimentId), name, scorerId);
    }
    for (const v of versions) {
      const last = (db.prepare('SELECT MAX(scorer_version) AS n FROM scorer_versions WHERE scorer_id = ?').get(scorerId) as { n: number | null }).n ?? 0;
      db.prepare('INSERT INTO scorer_versions (scorer_id, scorer_version, serialized_scorer, creation_time) VALUES (?, ?, ?, ?)').run(scorerId, v.version ?? last + 1, v.serialized, v.creationTime);
    }
  } finally {
    db.close();
  }
}
