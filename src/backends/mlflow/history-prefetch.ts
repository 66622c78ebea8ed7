/**
 * Reads the small metric histories of the runs the engine is about to copy, many runs per request
 * (bulk-history.ts), ahead of the workers: the plan is cut into windows of up to 100 runs; a
 * window is fetched, one bulk request per metric key that two or more of its runs have, while the
 * window before it is being copied. Each run takes its histories when it is opened; whatever the
 * bulk route did not answer plainly (big histories, a server without the route) is read per run
 * as before.
 *
 * Memory: at most three windows are held - the one being copied, the next, and the one before
 * for runs that started late - each up to `windowPointBudget` points plus the answers already on
 * their way when it was reached (`concurrency` answers of at most `maxResults` points). Big
 * histories are never held: they are streamed per run.
 */
import type { MetricPoint } from '../../model/run.js';
import { bulkHistories, MAX_RUNS_PER_BULK } from './bulk-history.js';
import { MissingEndpointError } from './errors.js';
import type { MlflowHttpClient } from './http-client.js';

export interface PlannedRun {
  runId: string;
  /** The run's metrics by key, each with its latest point as runs/search reported it. */
  latest: LatestByKey;
}

/** What the plan reads of a run's latest points (a Map, or the smaller LatestPoints). */
export interface LatestByKey {
  keys(): IterableIterator<string>;
  get(key: string): MetricPoint | undefined;
}

export interface PrefetchSettings {
  /** max_results of one bulk request. */
  maxResults: number;
  /** Points one window may hold; keys past it are read per run. */
  windowPointBudget: number;
  /** Bulk requests of one window in flight at once. */
  concurrency: number;
}

type Histories = Map<string, MetricPoint[]>;

export class HistoryPrefetch {
  private readonly windowOf = new Map<string, number>();
  private readonly windows: PlannedRun[][] = [];
  private readonly fetched = new Map<number, Promise<Map<string, Histories>>>();
  /** Off for good once the server shows it has no bulk route (or refuses it). */
  private disabled = false;

  constructor(
    private readonly client: MlflowHttpClient,
    private readonly workspace: string,
    plan: readonly PlannedRun[],
    private readonly settings: PrefetchSettings,
  ) {
    for (let i = 0; i < plan.length; i += MAX_RUNS_PER_BULK) {
      const window = plan.slice(i, i + MAX_RUNS_PER_BULK);
      for (const run of window) this.windowOf.set(run.runId, this.windows.length);
      this.windows.push(window);
    }
    this.start(0);
  }

  /**
   * The histories read ahead for this run (key -> points), handed over once; starts reading the
   * next window. Never throws: on any failure the run simply reads its histories itself.
   */
  async take(runId: string): Promise<Histories> {
    const index = this.windowOf.get(runId);
    if (index === undefined) return new Map();
    this.windowOf.delete(runId);
    this.start(index + 1);
    // Windows two behind are dropped: a run that late reads its own histories.
    for (const old of this.fetched.keys()) if (old < index - 1) this.fetched.delete(old);
    const window = await (this.fetched.get(index) ?? Promise.resolve(new Map<string, Histories>()));
    const mine = window.get(runId) ?? new Map<string, MetricPoint[]>();
    window.delete(runId);
    return mine;
  }

  private start(index: number): void {
    if (index >= this.windows.length || this.fetched.has(index)) return;
    const window = this.windows[index]!;
    this.windows[index] = []; // the plan of a window is needed once
    const promise = this.fetchWindow(window).catch(() => new Map<string, Histories>());
    this.fetched.set(index, promise);
  }

  private async fetchWindow(window: PlannedRun[]): Promise<Map<string, Histories>> {
    const out = new Map<string, Histories>();
    if (this.disabled) return out;
    const runsByKey = new Map<string, string[]>();
    const latestOf = new Map(window.map((run) => [run.runId, run.latest]));
    for (const run of window) {
      for (const key of run.latest.keys()) {
        const list = runsByKey.get(key) ?? [];
        list.push(run.runId);
        runsByKey.set(key, list);
      }
    }
    // A key of one run only gains nothing from the bulk route.
    const keys = [...runsByKey.entries()].filter(([, runs]) => runs.length >= 2);
    let held = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < keys.length && !this.disabled && held < this.settings.windowPointBudget) {
        const [key, runIds] = keys[next++]!;
        let answer;
        try {
          answer = await bulkHistories(this.client, this.workspace, key, runIds, this.settings.maxResults);
        } catch (error) {
          // No bulk route (404 page), or one the server refuses: per-run reads for everything.
          // Other failures (a flaky network after retries) only cost this key's read-ahead.
          if (error instanceof MissingEndpointError || !isTransient(error)) this.disabled = true;
          continue;
        }
        for (const [runId, points] of answer.complete) {
          // A history without the latest point runs/search showed is not whole (a server that
          // cuts earlier than it says, or a run still being written): read per run instead.
          const latest = latestOf.get(runId)?.get(key);
          if (!latest || !points.some((point) => samePoint(point, latest))) continue;
          held += points.length;
          let histories = out.get(runId);
          if (!histories) {
            histories = new Map();
            out.set(runId, histories);
          }
          histories.set(key, points);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.settings.concurrency) }, worker));
    return out;
  }
}

function samePoint(a: MetricPoint, b: MetricPoint): boolean {
  return a.step === b.step && a.timestamp === b.timestamp && (a.value === b.value || (a.value !== a.value && b.value !== b.value));
}

function isTransient(error: unknown): boolean {
  const retryable = (error as { retryable?: unknown } | undefined)?.retryable;
  return retryable === true;
}
