/**
 * The one read-only connection a store holds, and the rules that keep it from getting in the way
 * of a running MLflow server:
 * - opened read-only, file must exist: nothing is ever created or written;
 * - every query runs to completion (`all`/`get`, answered as promises so that the readers serve
 *   PostgreSQL too) before it returns, so no statement - and with it
 *   no SQLite read lock - stays open across an `await`; callers page with keyset queries instead;
 * - a busy timeout rides out a writer's commit instead of failing at once;
 * - integers come back as bigint (safeIntegers) so int64 steps survive; values.ts narrows them.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { UnreachableError, errorMessage } from '../../util/errors.js';
import type { SqlReader } from './sql-driver.js';

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

type Row = Record<string, unknown>;

export class ReadConnection implements SqlReader {
  private readonly statements = new Map<string, Database.Statement<unknown[], Row>>();

  private constructor(
    private readonly db: Database.Database,
    /** How the file is named in messages. */
    readonly label: string,
    private readonly busyTimeoutMs: number,
  ) {}

  static open(dbPath: string, label: string, busyTimeoutMs: number = DEFAULT_BUSY_TIMEOUT_MS): ReadConnection {
    if (!fs.existsSync(dbPath)) {
      throw new UnreachableError(`no MLflow database at ${dbPath} (from ${label})`);
    }
    let db: Database.Database;
    try {
      db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    } catch (error) {
      throw translateSqliteError(error, label, busyTimeoutMs);
    }
    db.defaultSafeIntegers(true);
    return new ReadConnection(db, label, busyTimeoutMs);
  }

  async all(sql: string, ...params: unknown[]): Promise<Row[]> {
    return this.allSync(sql, ...params);
  }

  async get(sql: string, ...params: unknown[]): Promise<Row | undefined> {
    return this.allSync(sql, ...params)[0];
  }

  /** For the schema check when the store opens, before anything is async. */
  allSync(sql: string, ...params: unknown[]): Row[] {
    try {
      return this.statement(sql).all(...params);
    } catch (error) {
      throw translateSqliteError(error, this.label, this.busyTimeoutMs);
    }
  }

  close(): void {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }

  private statement(sql: string): Database.Statement<unknown[], Row> {
    return prepared(this.db, this.statements, sql);
  }
}

/** A statement prepared once per connection and kept in `cache` (both connections reuse theirs). */
export function prepared(db: Database.Database, cache: Map<string, Database.Statement<unknown[], Row>>, sql: string): Database.Statement<unknown[], Row> {
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare<unknown[], Row>(sql);
    cache.set(sql, statement);
  }
  return statement;
}

/** SQLite's own errors, said in terms of what the user can do about them. */
export function translateSqliteError(error: unknown, label: string, busyTimeoutMs: number): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new UnreachableError(
      `${label} stayed locked by another connection for more than ${busyTimeoutMs} ms (a long write transaction?); retry once the writer has committed`,
    );
  }
  if (code === 'SQLITE_NOTADB') return new UnreachableError(`${label} is not a SQLite database`);
  if (code === 'SQLITE_CORRUPT') return new UnreachableError(`${label} is damaged (SQLite reports corruption)`);
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_IOERR' || code === 'SQLITE_PERM') {
    return new UnreachableError(`cannot read ${label}: ${errorMessage(error)}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}
