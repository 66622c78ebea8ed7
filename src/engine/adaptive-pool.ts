/**
 * A worker pool whose size follows the observed latency of its tasks (an experiment for issue 9:
 * is a default that follows latency better than a fixed worker count?). After the gradient
 * limiters of Netflix's concurrency-limits and TCP Vegas: the limit grows by about sqrt(limit)
 * while recent tasks take no longer than the fastest seen (with 50 % tolerance), and shrinks in
 * proportion when they take longer - more workers than the servers can serve only add queueing.
 * `maxWorkers` is the upper bound.
 */
const TOLERANCE = 1.5;
export interface AdaptiveTrace {
  /** The limit after each completed task. */
  limits: number[];
}

export async function runAdaptivePool<T>(
  items: readonly T[],
  maxWorkers: number,
  task: (item: T, index: number) => Promise<void>,
  trace?: AdaptiveTrace,
): Promise<void> {
  const max = Math.max(1, Math.min(maxWorkers, items.length));
  let limit = Math.min(2, max);
  let active = 0;
  let next = 0;
  let recentMs: number | undefined;
  let fastestMs = Number.POSITIVE_INFINITY;
  const waiting: Array<() => void> = [];

  const release = (): void => {
    while (waiting.length > 0 && active < Math.floor(limit)) {
      active++;
      waiting.shift()!();
    }
  };
  const acquire = (): Promise<void> => {
    if (active < Math.floor(limit)) {
      active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const observe = (ms: number): void => {
    recentMs = recentMs === undefined ? ms : recentMs + (ms - recentMs) * (2 / 11);
    fastestMs = Math.min(fastestMs, Math.max(ms, 0.001));
    const gradient = Math.max(0.5, Math.min(1, (TOLERANCE * fastestMs) / recentMs));
    const wanted = limit * gradient + Math.sqrt(limit);
    limit = Math.max(1, Math.min(max, limit * 0.8 + wanted * 0.2));
    trace?.limits.push(limit);
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      await acquire();
      if (next >= items.length) {
        active--;
        release();
        return;
      }
      const index = next++;
      const began = performance.now();
      try {
        await task(items[index]!, index);
      } finally {
        observe(performance.now() - began);
        active--;
        release();
      }
    }
  };
  await Promise.all(Array.from({ length: max }, worker));
}
