/**
 * The data of listed runs, read again window by window just before the engine opens them, so the
 * source keeps nothing per listed run beyond the RunInfo the engine plans with. (Keeping params,
 * tags and latest points from the listing cost about 1 KB per run until it was opened: 10 MB
 * for 10,000 runs, and peak memory that grew with the project.)
 *
 * A window is up to 100 runs in the order they will be opened (the engine's plan, else the
 * listing order). It is one runs/search with `attributes.run_id IN ('…', …)` - MLflow accepts a
 * list for run_id (SearchUtils._get_value) - then, with read-ahead on, the window's small
 * histories (history-prefetch.ts). Taking a run of window i starts window i + 1, so the next
 * window is read while this one is copied; windows two behind are dropped. That costs the source
 * one request per 100 runs, not one runs/get per run.
 *
 * A run the window does not hold (deleted since, its window already dropped, a run not listed) is
 * read with runs/get. A server that refuses the filter turns windows off for good.
 */
import type { RunInfo } from '../../model/run.js';
import type { RunDoc } from './api.js';
import { searchRuns } from './api.js';
import { MAX_RUNS_PER_BULK } from './bulk-history.js';
import { MlflowRequestError } from './errors.js';
import { readWindowHistories, type Histories, type PrefetchSettings, type PrefetchState } from './history-prefetch.js';
import type { MlflowHttpClient } from './http-client.js';

/** Runs per window: the bulk history route takes at most this many. */
const WINDOW = MAX_RUNS_PER_BULK;
/** MLflow run ids are word characters and dashes; anything else is not put in a filter. */
const SAFE_RUN_ID = /^[\w-]+$/;
const NO_HISTORIES: Promise<Histories | undefined> = Promise.resolve(undefined);

export interface WindowedRun {
  /** The run as runs/search answered it; undefined when the window does not hold it. */
  doc?: RunDoc;
  /** Its histories read ahead, when they were (a key not there is read per run). */
  histories: Promise<Histories | undefined>;
}

interface Window {
  docs: Promise<Map<string, RunDoc>>;
  histories: Promise<Map<string, Histories>>;
}

export interface WindowShared {
  /** Off for good once the server refuses a run_id list. */
  searchDisabled: boolean;
  history: PrefetchState;
}

export class RunWindows {
  private readonly windowOf = new Map<string, number>();
  /** Run ids of each window until it is started. */
  private readonly pending: Array<string[] | undefined> = [];
  private readonly started = new Map<number, Window>();

  constructor(
    private readonly client: MlflowHttpClient,
    private readonly workspace: string,
    private readonly experimentId: string,
    order: readonly RunInfo[],
    /** Histories are read ahead only with settings. */
    private readonly prefetch: PrefetchSettings | undefined,
    private readonly shared: WindowShared,
  ) {
    let window: string[] = [];
    for (const info of order) {
      if (!SAFE_RUN_ID.test(info.runId) || this.windowOf.has(info.runId)) continue;
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

  /** The run's data and read-ahead histories, handed over once. Never throws. */
  async take(runId: string): Promise<WindowedRun> {
    const index = this.windowOf.get(runId);
    if (index === undefined) return { histories: NO_HISTORIES };
    this.windowOf.delete(runId);
    this.start(index);
    this.start(index + 1);
    for (const old of this.started.keys()) if (old < index - 1) this.started.delete(old);
    const window = this.started.get(index);
    if (!window) return { histories: NO_HISTORIES };
    const docs = await window.docs;
    const doc = docs.get(runId);
    docs.delete(runId);
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
      ? docs.then((byRun) =>
          readWindowHistories(
            this.client,
            this.workspace,
            [...byRun.values()].map((doc) => ({ runId: doc.info.runId, latest: doc.latestMetrics ?? new Map() })),
            prefetch,
            this.shared.history,
          ),
        )
      : Promise.resolve(new Map<string, Histories>());
    this.started.set(index, { docs, histories });
  }

  private async readDocs(runIds: readonly string[]): Promise<Map<string, RunDoc>> {
    const docs = new Map<string, RunDoc>();
    if (this.shared.searchDisabled) return docs;
    const wanted = new Set(runIds);
    try {
      const runs = searchRuns(this.client, this.workspace, {
        experimentId: this.experimentId,
        viewType: 'ALL',
        pageSize: WINDOW,
        filter: `attributes.run_id IN (${runIds.map((id) => `'${id}'`).join(', ')})`,
      });
      for await (const doc of runs) {
        if (wanted.has(doc.info.runId)) docs.set(doc.info.runId, doc);
        // A full page carries a token: not asking for the empty page after it saves a request.
        if (docs.size === wanted.size) break;
      }
    } catch (error) {
      // A server that does not take the list: runs/get per run from now on. Anything else (a
      // flaky network after retries) costs only this window.
      if (error instanceof MlflowRequestError && error.errorCode === 'INVALID_PARAMETER_VALUE') this.shared.searchDisabled = true;
      docs.clear();
    }
    return docs;
  }
}
