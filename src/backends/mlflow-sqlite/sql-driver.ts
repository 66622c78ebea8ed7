/**
 * What the database writer needs from a connection, so that one writer serves SQLite and
 * PostgreSQL: queries with `?` placeholders, short transactions, and the dialect's spelling of
 * the few statements that differ (the "insert, or leave the row alone" of a duplicate).
 */
import type { TransactionOptions } from './group-commit.js';

export type Row = Record<string, unknown>;

/** What the reader needs: queries with `?` placeholders, answered in full (no open cursor). */
export interface SqlReader {
  /** How the database is named in messages: never holds a credential. */
  readonly label: string;
  all(sql: string, ...params: unknown[]): Promise<Row[]>;
  get(sql: string, ...params: unknown[]): Promise<Row | undefined>;
}

export interface SqlExecutor {
  /** Rows of a query. Integers come back as bigint or number; the caller narrows (values.ts). */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a statement; answers the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /**
   * Runs one statement once per row of parameters, in one call. Optional: where a statement is a
   * cheap local call (SQLite), a prepared single-row INSERT run per row costs less than one
   * multi-row INSERT (multi-row-insert.ts); without it, rows go in multi-row statements.
   */
  runEach?(sql: string, rows: ReadonlyArray<readonly unknown[]>): Promise<number>;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** How the database is named in messages: never holds a credential. */
  readonly label: string;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws.
   * Transactions of one driver never interleave (a connection has one at a time). `replayable`
   * work (statements only, no other effect) may be run a second time after a rollback, which
   * lets it share a commit without a savepoint of its own (group-commit.ts).
   */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}
