/**
 * Reads the small metric histories of one window of runs (run-windows.ts) many runs per request
 * (bulk-history.ts): one bulk request per metric key that two or more of the window's runs have,
 * up to a budget of points. Each run takes its histories when it is opened; whatever the bulk
 * route did not answer plainly (big histories, a server without the route) is read per run as
 * before.
 *
 * Memory: a window holds at most `windowPointBudget` points plus the answers already on their
 * way when it was reached (`concurrency` answers of at most `maxResults` points). Big histories
 * are never held: they are streamed per run.
 */
import type { MetricPoint } from '../../model/run.js';
import { bulkHistories } from './bulk-history.js';
import { MissingEndpointError } from './errors.js';
import type { MlflowHttpClient } from './http-client.js';

export interface PlannedRun {
  runId: string;
  /** The run's metrics by key, each with its latest point as runs/search reported it. */
  latest: ReadonlyMap<string, MetricPoint>;
}

export interface PrefetchSettings {
  /** max_results of one bulk request. */
  maxResults: number;
  /** Points one window may hold; keys past it are read per run. */
  windowPointBudget: number;
  /** Bulk requests of one window in flight at once. */
  concurrency: number;
}

/** key -> points, of one run. */
export type Histories = Map<string, MetricPoint[]>;

/** Shared by the windows of one copy: off for good once the server shows it has no bulk route. */
export interface PrefetchState {
  disabled: boolean;
}

/** The histories of a window's runs: run id -> key -> points. Never throws. */
export async function readWindowHistories(
  client: MlflowHttpClient,
  workspace: string,
  window: readonly PlannedRun[],
  settings: PrefetchSettings,
  state: PrefetchState,
): Promise<Map<string, Histories>> {
  const out = new Map<string, Histories>();
  if (state.disabled) return out;
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
    while (next < keys.length && !state.disabled && held < settings.windowPointBudget) {
      const [key, runIds] = keys[next++]!;
      let answer;
      try {
        answer = await bulkHistories(client, workspace, key, runIds, settings.maxResults);
      } catch (error) {
        // No bulk route (404 page), or one the server refuses: per-run reads for everything.
        // Other failures (a flaky network after retries) only cost this key's read-ahead.
        if (error instanceof MissingEndpointError || !isTransient(error)) state.disabled = true;
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
  await Promise.all(Array.from({ length: Math.max(1, settings.concurrency) }, worker));
  return out;
}

function samePoint(a: MetricPoint, b: MetricPoint): boolean {
  return a.step === b.step && a.timestamp === b.timestamp && (a.value === b.value || (a.value !== a.value && b.value !== b.value));
}

function isTransient(error: unknown): boolean {
  const retryable = (error as { retryable?: unknown } | undefined)?.retryable;
  return retryable === true;
}
