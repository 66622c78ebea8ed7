/**
 * Targets for the trace-sync tests (test/e2e/traces-sync*.test.ts), each with a count of the trace
 * writes it took, so that a test can tell that an unchanged re-run wrote nothing: a stand-in
 * server, MLflow's SQLite database (a copy of the real genai-sqlite store), an mlruns folder.
 */
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startStandin } from './mlflow-standin/index.js';
import { GOLDEN_STORES_DIR } from './golden-paths.js';
import { tempDir } from './cli-process.js';

const GENAI_SQLITE = join(GOLDEN_STORES_DIR, 'genai-sqlite');

export const WRITE_ROUTES = ['traces/start-v3', 'otlp/traces', 'traces/set-tag', 'traces/delete-tag', 'assessments/create', 'assessments/update', 'assessments/delete', 'traces/delete'];

/** A target and a count of the trace writes it took (a write that changes nothing still counts). */
export interface Target {
  uri: string;
  writes(): number | Promise<number>;
  close(): Promise<void>;
}

export async function serverTarget(): Promise<Target> {
  const server = await startStandin();
  return { uri: server.url, writes: () => WRITE_ROUTES.reduce((sum, route) => sum + (server.stats().byRoute[route] ?? 0), 0), close: () => server.close() };
}

/** MLflow's 3.11 schema (a copy of the real genai-sqlite store). A rewritten row gets a new rowid, so the highest rowids count writes. */
export async function sqliteTarget(): Promise<Target> {
  const dir = tempDir('traces-sync-db');
  cpSync(GENAI_SQLITE, join(dir, 'db'), { recursive: true });
  const file = join(dir, 'db', 'mlflow.db');
  return {
    uri: `sqlite:///${file}`,
    writes() {
      const db = new Database(file, { readonly: true });
      try {
        const row = db.prepare('SELECT (SELECT COUNT(*) + COALESCE(MAX(rowid), 0) FROM trace_tags) + (SELECT COUNT(*) + COALESCE(MAX(rowid), 0) FROM assessments) + (SELECT COUNT(*) FROM trace_info) AS n').get() as { n: number };
        return row.n;
      } finally {
        db.close();
      }
    },
    close: async () => undefined,
  };
}

/** An mlruns folder: every file's path and modification time (a file written again counts). */
export async function mlrunsTarget(): Promise<Target> {
  const root = join(tempDir('traces-sync-mlruns'), 'mlruns');
  const stamp = (dir: string): string[] => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return [];
    }
    return entries.flatMap((name) => {
      const path = join(dir, name);
      const stat = statSync(path);
      return stat.isDirectory() ? stamp(path) : [`${path}@${stat.mtimeMs}`];
    });
  };
  let last = '';
  let count = 0;
  return {
    uri: root,
    writes() {
      const now = stamp(root).sort().join('\n');
      if (now !== last) count++;
      last = now;
      return count;
    },
    close: async () => undefined,
  };
}
