/**
 * Connections to MLflow's PostgreSQL database through `pg`: one for reads (it sees committed
 * rows only) and one for write transactions (queued ones share a commit: group-commit.ts).
 * The shared SQL is written with `?` placeholders; they become `$1..$n` here, and int64 values
 * travel as decimal strings (PostgreSQL parses them exactly; `pg` cannot send a bigint).
 * bigint columns come back as strings, which values.ts narrows exactly.
 */
import pg from 'pg';
import { AuthError, UnreachableError, errorMessage } from '../../util/errors.js';
import type { PostgresLocation } from './postgres-uri.js';
import { pgpassPassword } from './pgpass.js';
import { GroupCommit, type TransactionOptions } from './group-commit.js';
import type { Row, SqlDriver, SqlExecutor, SqlReader } from './sql-driver.js';

export interface PostgresConnectOptions {
  /** A password from the tool's own credentials, used when the URI holds none. */
  password?: string;
  /** Told when ~/.pgpass is passed over (its permissions). */
  onWarning?: (text: string) => void;
}

/** `?` -> `$n`, outside quoted literals and identifiers. */
export function numberedPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | undefined;
  for (const char of sql) {
    if (quote) {
      if (char === quote) quote = undefined;
      out += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      out += char;
    } else if (char === '?') {
      out += `$${++n}`;
    } else out += char;
  }
  return out;
}

function wireValue(value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

class Serial {
  private queue: Promise<unknown> = Promise.resolve();
  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

export class PostgresDriver implements SqlDriver, SqlReader {
  readonly dialect = 'postgres';
  private readonly readLock = new Serial();
  /** Transactions queued together share one commit (group-commit.ts), on the write connection. */
  private readonly commits = new GroupCommit({
    begin: 'BEGIN',
    exec: async (statement) => {
      await this.exec(await this.writeClient(), statement, []);
    },
    executor: async () => {
      const client = await this.writeClient();
      return {
        query: async (sql, params = []) => (await this.exec(client, sql, params)).rows,
        run: async (sql, params = []) => (await this.exec(client, sql, params)).rowCount ?? 0,
      };
    },
  });
  private readonly sqlCache = new Map<string, string>();
  private writer: pg.Client | undefined;

  private constructor(
    private readonly reader: pg.Client,
    private readonly config: pg.ClientConfig,
    readonly label: string,
  ) {}

  static async connect(location: PostgresLocation, options: PostgresConnectOptions = {}): Promise<PostgresDriver> {
    const password = location.password ?? options.password ?? process.env.PGPASSWORD;
    const config: pg.ClientConfig = {
      host: location.host,
      port: location.port,
      database: location.database,
      user: location.user,
      // A function, so pg never falls back to its own (deprecated) ~/.pgpass lookup.
      password: async () => password ?? pgpassPassword(location, options.onWarning) ?? '',
      ...(location.ssl ? { ssl: location.ssl === 'verify' ? { rejectUnauthorized: true } : { rejectUnauthorized: false } } : {}),
      application_name: 'runs-migrator',
    };
    const reader = await PostgresDriver.open(config, location.displayUri);
    return new PostgresDriver(reader, config, location.displayUri);
  }

  private static async open(config: pg.ClientConfig, label: string): Promise<pg.Client> {
    const client = new pg.Client(config);
    // An idle connection the server drops must not crash the process; the next query reports it.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw translatePostgresError(error, label);
    }
    return client;
  }

  all(sql: string, ...params: unknown[]): Promise<Row[]> {
    return this.readLock.run(() => this.exec(this.reader, sql, params)).then((result) => result.rows);
  }

  async get(sql: string, ...params: unknown[]): Promise<Row | undefined> {
    return (await this.all(sql, ...params))[0];
  }

  query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.all(sql, ...params);
  }

  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.readLock.run(() => this.exec(this.reader, sql, params)).then((result) => result.rowCount ?? 0);
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.commits.transaction(work, options);
  }

  private async writeClient(): Promise<pg.Client> {
    this.writer ??= await PostgresDriver.open(this.config, this.label);
    return this.writer;
  }

  async close(): Promise<void> {
    await this.commits.idle();
    await this.readLock.run(async () => undefined);
    await Promise.all([this.reader.end().catch(() => undefined), this.writer?.end().catch(() => undefined)]);
  }

  private async exec(client: pg.Client, sql: string, params: readonly unknown[]): Promise<pg.QueryResult<Row>> {
    let text = this.sqlCache.get(sql);
    if (text === undefined) {
      text = numberedPlaceholders(sql);
      if (this.sqlCache.size < 1000) this.sqlCache.set(sql, text);
    }
    try {
      return await client.query<Row>(text, params.map(wireValue));
    } catch (error) {
      throw translatePostgresError(error, this.label);
    }
  }
}

/** pg's errors, said in terms of what the user can do; never with a password. */
export function translatePostgresError(error: unknown, label: string): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '28P01' || code === '28000') {
    return new AuthError(`${label}: authentication failed (${errorMessage(error)}); give the password in PGPASSWORD, ~/.pgpass or the URI`);
  }
  if (code === '3D000') return new UnreachableError(`${label}: ${errorMessage(error)}`);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENOENT') {
    return new UnreachableError(`cannot reach ${label}: ${errorMessage(error)}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}
