/**
 * The read-write connection of a SQLite target, safe beside a running MLflow server:
 * - the file must exist (MLflow creates its database and schema; this tool never does);
 * - every write transaction starts with BEGIN IMMEDIATE, so it takes the write lock up front and
 *   a concurrent writer makes it wait (busy timeout) instead of failing half-way;
 * - transactions are short (the writer keeps them to one batch), never interleave, and those
 *   queued together share one commit (group-commit.ts);
 * - integers come back as bigint (safeIntegers), so int64 steps and ids survive.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { UnreachableError } from '../../util/errors.js';
import { prepared, translateSqliteError } from './connection.js';
import { GroupCommit, type TransactionOptions } from './group-commit.js';
import type { Row, SqlDriver, SqlExecutor } from './sql-driver.js';


export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite';
  private readonly statements = new Map<string, Database.Statement<unknown[], Row>>();
  private readonly commits = new GroupCommit({
    begin: 'BEGIN IMMEDIATE',
    // Prepared once like any statement: a group runs a SAVEPOINT and a RELEASE per transaction.
    exec: async (statement) => {
      this.guard(() => this.statement(statement).run());
    },
    executor: async () => this,
  });

  private constructor(
    private readonly db: Database.Database,
    readonly label: string,
    private readonly busyTimeoutMs: number,
  ) {}

  static open(dbPath: string, label: string, busyTimeoutMs: number): SqliteDriver {
    if (!fs.existsSync(dbPath)) throw new UnreachableError(`no MLflow database at ${dbPath} (from ${label})`);
    let db: Database.Database;
    try {
      db = new Database(dbPath, { fileMustExist: true, timeout: busyTimeoutMs });
    } catch (error) {
      throw translateSqliteError(error, label, busyTimeoutMs);
    }
    db.defaultSafeIntegers(true);
    // MLflow's SQLAlchemy engine turns foreign keys on for SQLite; keep the same guarantees.
    db.pragma('foreign_keys = ON');
    return new SqliteDriver(db, label, busyTimeoutMs);
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.guard(() => this.statement(sql).all(...params));
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.guard(() => this.statement(sql).run(...params).changes);
  }

  async runEach(sql: string, rows: ReadonlyArray<readonly unknown[]>): Promise<number> {
    return this.guard(() => {
      const statement = this.statement(sql);
      let changes = 0;
      for (const row of rows) changes += statement.run(...row).changes;
      return changes;
    });
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.commits.transaction(work, options);
  }

  async close(): Promise<void> {
    await this.commits.idle();
    this.statements.clear();
    if (this.db.open) this.db.close();
  }

  private statement(sql: string): Database.Statement<unknown[], Row> {
    return prepared(this.db, this.statements, sql);
  }

  private guard<T>(action: () => T): T {
    try {
      return action();
    } catch (error) {
      throw translateSqliteError(error, this.label, this.busyTimeoutMs);
    }
  }
}
