/**
 * Group commit, shared by the SQLite and PostgreSQL drivers: the transactions the engine's
 * workers queue while one commits go in together under one COMMIT. A commit costs fsyncs
 * (SQLite) or a WAL flush (PostgreSQL), and many small writes would otherwise pay them one by
 * one. A transaction's promise settles only after the COMMIT that holds it, so what a caller was
 * told is written is durable.
 *
 * Each transaction stays atomic on its own: one failing rolls back only itself. A transaction
 * runs inside its own SAVEPOINT, unless it is `replayable` (its work only issues statements, so
 * running it again after a rollback does the same): a group made only of those runs without
 * savepoints (on SQLite each one copies every page it touches into a sub-journal, which cost a
 * trace copy about as much as its inserts), and when one of them fails the whole group is rolled
 * back and run again, each in its own savepoint, so the failing one fails alone.
 */
import type { SqlExecutor } from './sql-driver.js';

export interface TransactionOptions {
  /** The work only runs statements through `tx`: it may be run again after a rollback. */
  replayable?: boolean;
}

export interface GroupLimits {
  /** At most this many queued transactions share one commit. */
  size: number;
  /** A group stops gathering this long after it started, full or not. */
  maxWaitMs: number;
  /** ... or once no transaction arrived for this long (the writers are busy elsewhere). */
  gapMs: number;
}

/**
 * Groups close by size or by time. 128 traces of a copy are a few megabytes of statements and
 * take some 40 ms to insert, so a commit (about 5-30 ms of fsyncs on SQLite) is paid once per
 * 128 instead of once per 32; half the traces a SQLite target keeps in flight (256), so that the
 * next group is being read while this one is written. The gap rule keeps the wait short when
 * the writers are all waiting for this very commit: gathering stops when nothing arrived for 4 ms.
 */
export const DEFAULT_GROUP_LIMITS: GroupLimits = { size: 128, maxWaitMs: 60, gapMs: 4 };

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
  replayable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class GroupCommit {
  private queue: Queued[] = [];
  private running: Promise<void> | undefined;
  /** Size of the last group committed: above one, writers are concurrent and worth waiting for. */
  private lastGroupSize = 0;

  constructor(
    private readonly control: TransactionControl,
    private readonly limits: GroupLimits = DEFAULT_GROUP_LIMITS,
  ) {}

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, replayable: options.replayable === true, resolve: resolve as (value: unknown) => void, reject });
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
        const group = this.takeGroup();
        this.lastGroupSize = group.length;
        await this.commitGroup(group);
      }
    } finally {
      this.running = undefined;
    }
  }

  /** The next group: the queue's head, with the ones after it of the same kind (replayable or not). */
  private takeGroup(): Queued[] {
    const replayable = this.queue[0]!.replayable;
    let count = 1;
    while (count < this.queue.length && count < this.limits.size && this.queue[count]!.replayable === replayable) count++;
    return this.queue.splice(0, count);
  }

  /** Waits, a millisecond at a time, until the group is full, has waited long enough, or nothing came for a while. */
  private async gather(): Promise<void> {
    const { size, maxWaitMs, gapMs } = this.limits;
    const started = performance.now();
    let lastArrival = started;
    let seen = this.queue.length;
    while (this.queue.length < size) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const now = performance.now();
      if (this.queue.length > seen) {
        seen = this.queue.length;
        lastArrival = now;
      }
      if (now - started >= maxWaitMs || now - lastArrival >= gapMs) return;
    }
  }

  private async commitGroup(group: Queued[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      const replayed = group[0]!.replayable ? await this.runWithoutSavepoints(group) : undefined;
      outcomes = replayed ?? (await this.runWithSavepoints(group));
    } catch (error) {
      for (const item of group) item.reject(error);
      return;
    }
    group.forEach((item, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  /**
   * The whole group in one transaction, no savepoint: its outcomes once committed, or undefined
   * when one of the transactions failed (everything rolled back: the caller runs the group again
   * with savepoints). Throws when BEGIN or COMMIT fails.
   */
  private async runWithoutSavepoints(group: Queued[]): Promise<Outcome[] | undefined> {
    const { control } = this;
    const tx = await control.executor();
    await control.exec(control.begin);
    const outcomes: Outcome[] = [];
    try {
      for (const item of group) outcomes.push({ ok: true, value: await item.work(tx) });
    } catch {
      await control.exec('ROLLBACK');
      return undefined;
    }
    await this.commit();
    return outcomes;
  }

  /** Each transaction of the group in its own SAVEPOINT: one failing rolls back only itself. */
  private async runWithSavepoints(group: Queued[]): Promise<Outcome[]> {
    const { control } = this;
    const tx = await control.executor();
    await control.exec(control.begin);
    const outcomes: Outcome[] = [];
    try {
      for (const item of group) {
        await control.exec('SAVEPOINT unit');
        try {
          outcomes.push({ ok: true, value: await item.work(tx) });
          await control.exec('RELEASE SAVEPOINT unit');
        } catch (error) {
          await control.exec('ROLLBACK TO SAVEPOINT unit');
          await control.exec('RELEASE SAVEPOINT unit');
          outcomes.push({ ok: false, error });
        }
      }
    } catch (error) {
      await control.exec('ROLLBACK').catch(() => undefined);
      throw error;
    }
    await this.commit();
    return outcomes;
  }

  private async commit(): Promise<void> {
    try {
      await this.control.exec('COMMIT');
    } catch (error) {
      await this.control.exec('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}
