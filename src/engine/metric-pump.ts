/**
 * Moves metric histories from a source run into a target run: pages are read as the source gives
 * them, repacked into write batches of at most the target's limit (several keys may share one
 * batch), and up to `writeConcurrency` writes are in flight while the next page is read. Memory
 * is bounded by one source page plus the batches in flight, whatever the history length.
 */
import type { Capabilities, MetricBatch, SourceRun, TargetRun } from '../backends/contract.js';
import type { MetricPoint } from '../model/run.js';
import type { RunIssue } from './types.js';

export interface PumpResult {
  points: number;
}

export async function pumpMetrics(
  source: SourceRun,
  keys: string[],
  target: TargetRun | undefined,
  caps: Capabilities,
  onPoints: (count: number) => void,
  issues: RunIssue[],
  signal?: AbortSignal,
): Promise<PumpResult> {
  const maxPoints = caps.batch.maxMetrics;
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let pending: MetricBatch[] = [];
  let pendingPoints = 0;
  let total = 0;

  const flush = async (): Promise<void> => {
    if (pendingPoints === 0) return;
    const batches = pending;
    const count = pendingPoints;
    pending = [];
    pendingPoints = 0;
    if (!target) {
      onPoints(count);
      return;
    }
    while (inFlight.size >= caps.writeConcurrency) await Promise.race(inFlight);
    if (failure) throw failure.error;
    const write: Promise<void> = target
      .logMetrics(batches)
      .then(
        () => onPoints(count),
        (error: unknown) => {
          failure ??= { error };
        },
      )
      .finally(() => inFlight.delete(write));
    inFlight.add(write);
  };

  try {
    for (const key of keys) {
      let clamped = 0;
      for await (const page of source.metricHistory(key)) {
        signal?.throwIfAborted();
        if (failure) throw failure.error;
        if (caps.nonFinite === 'infinity-clamped') clamped += countInfinities(page);
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
      if (clamped > 0) {
        issues.push({
          field: 'metric',
          key,
          action: 'mapped',
          reason: `${clamped} infinite value(s) are stored as +-1.7976931348623157e308 by the target (it has no infinity)`,
        });
      }
    }
    await flush();
  } finally {
    await Promise.all(inFlight);
  }
  if (failure) throw failure.error;
  return { points: total };
}

function countInfinities(points: MetricPoint[]): number {
  let count = 0;
  for (const point of points) {
    if (point.value === Number.POSITIVE_INFINITY || point.value === Number.NEGATIVE_INFINITY) count++;
  }
  return count;
}
