/**
 * Listed runs handed to the engine window by window as it opens them: a window is up to 100 runs
 * in the order they will be opened (the engine's plan, else the listing order). Starting a window
 * reads its runs back from the listing's spool (listing-spool.ts) and, with read-ahead on, their
 * small histories many runs per request (history-prefetch.ts). Taking a run of window i starts
 * window i + 1, so the next window is read while this one is copied; windows two behind are
 * dropped. Memory: at most three windows of runs.
 *
 * A run no window holds (its window already dropped when it was opened, or a run outside the
 * order) is read from the spool by the source itself, and a run that was not listed with runs/get.
 */
import type { RunInfo } from '../../model/run.js';
import type { RunDoc } from './api.js';
import { MAX_RUNS_PER_BULK } from './bulk-history.js';
import { readWindowHistories, type Histories, type PrefetchSettings, type PrefetchState } from './history-prefetch.js';
import type { MlflowHttpClient } from './http-client.js';

/** Runs per window: the bulk history route takes at most this many. */
const WINDOW = MAX_RUNS_PER_BULK;
const NO_HISTORIES: Promise<Histories | undefined> = Promise.resolve(undefined);

export interface WindowedRun {
  /** The run as it was listed; undefined when the window does not hold it. */
  doc?: RunDoc;
  /** Its histories read ahead, when they were (a key not there is read per run). */
  histories: Promise<Histories | undefined>;
}

interface Window {
  docs: Map<string, RunDoc>;
  histories: Promise<Map<string, Histories>>;
}

export class RunWindows {
  private readonly windowOf = new Map<string, number>();
  /** Run ids of each window until it is started. */
  private readonly pending: Array<string[] | undefined> = [];
  private readonly started = new Map<number, Window>();

  constructor(
    private readonly client: MlflowHttpClient,
    private readonly workspace: string,
    order: readonly RunInfo[],
    /** A listed run as it was listed, or undefined. */
    private readonly listed: (runId: string) => RunDoc | undefined,
    /** Histories are read ahead only with settings. */
    private readonly prefetch: PrefetchSettings | undefined,
    private readonly historyState: PrefetchState,
  ) {
    let window: string[] = [];
    for (const info of order) {
      if (this.windowOf.has(info.runId)) continue;
      if (window.length === WINDOW) {
        this.pending.push(window);
        window = [];
      }
      this.windowOf.set(info.runId, this.pending.length);
      window.push(info.runId);
    }
    if (window.length > 0) this.pending.push(window);
    this.start(0);
  }

  /** The run's data and read-ahead histories, handed over once. */
  take(runId: string): WindowedRun {
    const index = this.windowOf.get(runId);
    if (index === undefined) return { histories: NO_HISTORIES };
    this.windowOf.delete(runId);
    this.start(index);
    this.start(index + 1);
    for (const old of this.started.keys()) if (old < index - 1) this.started.delete(old);
    const window = this.started.get(index);
    if (!window) return { histories: NO_HISTORIES };
    const doc = window.docs.get(runId);
    window.docs.delete(runId);
    const histories = window.histories.then((byRun) => {
      const mine = byRun.get(runId);
      byRun.delete(runId);
      return mine;
    });
    return { ...(doc ? { doc } : {}), histories };
  }

  private start(index: number): void {
    const runIds = this.pending[index];
    if (runIds === undefined) return;
    this.pending[index] = undefined;
    const docs = this.readDocs(runIds);
    const prefetch = this.prefetch;
    const histories = prefetch
      ? readWindowHistories(
          this.client,
          this.workspace,
          [...docs.values()].map((doc) => ({ runId: doc.info.runId, latest: doc.latestMetrics ?? new Map() })),
          prefetch,
          this.historyState,
        ).catch(() => new Map<string, Histories>()) // on any failure each run reads its own
      : Promise.resolve(new Map<string, Histories>());
    this.started.set(index, { docs, histories });
  }

  private readDocs(runIds: readonly string[]): Map<string, RunDoc> {
    const docs = new Map<string, RunDoc>();
    for (const runId of runIds) {
      const doc = this.listed(runId);
      if (doc) docs.set(runId, doc);
    }
    return docs;
  }
}
