/**
 * Group commit, shared by the SQLite and PostgreSQL drivers: the transactions the engine's
 * workers queue while one commits go in together, each inside its own SAVEPOINT (one failing
 * rolls back only itself), under one COMMIT. A commit costs fsyncs (SQLite) or a WAL flush
 * (PostgreSQL), and many small runs would otherwise pay them one by one. A transaction's promise
 * settles only after the COMMIT that holds it, so what a caller was told is written is durable.
 */
import type { SqlExecutor } from './sql-driver.js';

/** At most this many queued transactions share one commit (it stays short). */
const GROUP_LIMIT = 32;
/**
 * How long a group may wait for more transactions once writers have shown they work at once.
 * One turn of the event loop is not enough for them: a trace writer reads a dozen small files
 * between two transactions, so without this wait most groups held one or two transactions and
 * each paid a whole commit (about 5 ms of fsyncs on SQLite). A lone writer never waits.
 */
const GATHER_MS = 4;

export interface TransactionControl {
  /** Runs one control statement: BEGIN, SAVEPOINT, RELEASE, ROLLBACK TO, COMMIT, ROLLBACK. */
  exec(statement: string): Promise<void>;
  /** What the queued work writes through. */
  executor(): Promise<SqlExecutor>;
  /** The BEGIN statement (SQLite: BEGIN IMMEDIATE, to take the write lock up front). */
  begin: string;
}

interface Queued {
  work: (tx: SqlExecutor) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private queue: Queued[] = [];
  private running: Promise<void> | undefined;
  /** Size of the last group committed: above one, writers are concurrent and worth waiting for. */
  private lastGroupSize = 0;

  constructor(private readonly control: TransactionControl) {}

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.running ??= this.drain();
    });
  }

  /** Resolves once every queued transaction has settled. */
  async idle(): Promise<void> {
    await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        // Let the other workers' transactions arrive before the group is closed.
        await new Promise((resolve) => setImmediate(resolve));
        if (this.lastGroupSize > 1) await this.gather();
        const group = this.queue.splice(0, GROUP_LIMIT);
        this.lastGroupSize = group.length;
        await this.commitGroup(group);
      }
    } finally {
      this.running = undefined;
    }
  }

  /** Waits, a millisecond at a time, until the group is full or GATHER_MS have passed. */
  private async gather(): Promise<void> {
    const until = performance.now() + GATHER_MS;
    while (this.queue.length < GROUP_LIMIT && performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  private async commitGroup(group: Queued[]): Promise<void> {
    const { control } = this;
    const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    let began = false;
    try {
      const tx = await control.executor();
      await control.exec(control.begin);
      began = true;
      for (const item of group) {
        await control.exec('SAVEPOINT unit');
        try {
          results.push({ ok: true, value: await item.work(tx) });
          await control.exec('RELEASE SAVEPOINT unit');
        } catch (error) {
          await control.exec('ROLLBACK TO SAVEPOINT unit');
          await control.exec('RELEASE SAVEPOINT unit');
          results.push({ ok: false, error });
        }
      }
      await control.exec('COMMIT');
    } catch (error) {
      if (began) await control.exec('ROLLBACK').catch(() => undefined);
      for (const item of group) item.reject(error);
      return;
    }
    group.forEach((item, index) => {
      const result = results[index]!;
      if (result.ok) item.resolve(result.value);
      else item.reject(result.error);
    });
  }
}
