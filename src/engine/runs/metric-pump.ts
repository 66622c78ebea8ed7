/**
 * Moves metric histories from a source run into a target run: pages are read as the source gives
 * them, repacked into write batches of at most the target's limit (several keys may share one
 * batch), and up to `writeConcurrency` writes are in flight while the next page is read. Memory
 * is bounded by two source pages plus the batches in flight, whatever the history length.
 * A run's params and tags may ride with its first batch (first-write.ts); a run that fits in that
 * one batch may be handed back unsent, to be written with the completion marker.
 */
import type { Capabilities, MetricBatch, SourceRun, TargetRun } from '../../backends/contract.js';
import type { MetricPoint } from '../../model/run.js';
import type { FirstWrite, HeldWrite } from './first-write.js';
import type { RunIssue } from '../types.js';

export interface PumpResult {
  points: number;
  /** The whole run in one batch, held back for TargetRun.finishWith (only when asked to hold). */
  held?: HeldWrite;
}

export async function pumpMetrics(
  source: SourceRun,
  keys: string[],
  target: TargetRun | undefined,
  caps: Capabilities,
  onPoints: (count: number) => void,
  issues: RunIssue[],
  signal?: AbortSignal,
  /** Params and tags to send with the first metric batch (or alone, when there are no points). */
  first?: FirstWrite,
  /** When the first write holds the whole run, return it unsent (for TargetRun.finishWith). */
  holdWholeRun = false,
): Promise<PumpResult> {
  let head = target?.logBatch ? first : undefined;
  let maxPoints = head ? head.metricRoom : caps.batch.maxMetrics;
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let pending: MetricBatch[] = [];
  let pendingPoints = 0;
  let total = 0;

  const flush = async (): Promise<void> => {
    if (pendingPoints === 0 && !head) return;
    const batches = pending;
    const count = pendingPoints;
    const withValues = head;
    pending = [];
    pendingPoints = 0;
    head = undefined;
    maxPoints = caps.batch.maxMetrics;
    if (!target) {
      onPoints(count);
      return;
    }
    while (inFlight.size >= caps.writeConcurrency) await Promise.race(inFlight);
    if (failure) throw failure.error;
    const sent = withValues
      ? target.logBatch!({ params: withValues.params, tags: withValues.tags, metrics: batches })
      : target.logMetrics(batches);
    const write: Promise<void> = sent
      .then(
        () => {
          withValues?.written();
          onPoints(count);
        },
        (error: unknown) => {
          failure ??= { error };
        },
      )
      .finally(() => inFlight.delete(write));
    inFlight.add(write);
  };

  // Histories the target takes in the source's own format are copied as bytes, not parsed.
  const parsedKeys: string[] = [];
  for (const key of keys) {
    const raw = target?.writeRawMetricHistory && target.rawMetricFormat ? source.rawMetricHistory?.(key) : undefined;
    if (!raw || raw.format !== target!.rawMetricFormat) {
      parsedKeys.push(key);
      continue;
    }
    signal?.throwIfAborted();
    total += await target!.writeRawMetricHistory!(key, raw.open(), onPoints);
  }

  const clamped = new Map<string, number>();
  let held: HeldWrite | undefined;
  try {
    for await (const { key, page } of readAhead(pages(source, parsedKeys))) {
      signal?.throwIfAborted();
      if (failure) throw failure.error;
      if (caps.nonFinite === 'infinity-clamped') {
        const count = countInfinities(page);
        if (count > 0) clamped.set(key, (clamped.get(key) ?? 0) + count);
      }
      total += page.length;
      let offset = 0;
      while (offset < page.length) {
        const room = maxPoints - pendingPoints;
        const points = offset === 0 && page.length <= room ? page : page.slice(offset, offset + room);
        pending.push({ key, points });
        pendingPoints += points.length;
        offset += points.length;
        if (pendingPoints >= maxPoints) await flush();
      }
    }
    if (holdWholeRun && head && !failure) {
      const { params, tags } = head;
      const metrics = pending;
      const count = pendingPoints;
      const firstWritten = head.written;
      held = {
        values: { params, tags, metrics },
        written: () => {
          firstWritten();
          onPoints(count);
        },
      };
      head = undefined;
      pending = [];
      pendingPoints = 0;
    }
    await flush();
    for (const [key, count] of clamped) {
      issues.push({
        field: 'metric',
        key,
        action: 'mapped',
        reason: `${count} infinite value(s) are stored as +-1.7976931348623157e308 by the target (it has no infinity)`,
      });
    }
  } finally {
    await Promise.all(inFlight);
  }
  if (failure) throw failure.error;
  return held ? { points: total, held } : { points: total };
}

/** Every page of every key, in order. */
async function* pages(source: SourceRun, keys: string[]): AsyncIterable<{ key: string; page: MetricPoint[] }> {
  for (const key of keys) {
    for await (const page of source.metricHistory(key)) yield { key, page };
  }
}

/**
 * Asks for the next page while the current one is being written, so the source's latency hides
 * behind the target's: at most one page waits ahead, so memory stays bounded.
 */
async function* readAhead<T>(items: AsyncIterable<T>): AsyncIterable<T> {
  const iterator = items[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = iterator.next();
      // A failure of the page read ahead surfaces when it is awaited; do not let it go unhandled meanwhile.
      next.catch(() => undefined);
      yield current.value;
    }
  } finally {
    await iterator.return?.();
  }
}

function countInfinities(points: MetricPoint[]): number {
  let count = 0;
  for (const point of points) {
    if (point.value === Number.POSITIVE_INFINITY || point.value === Number.NEGATIVE_INFINITY) count++;
  }
  return count;
}
