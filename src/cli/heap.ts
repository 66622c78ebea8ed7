/**
 * Keeps the CLI's peak memory flat in history length. Metric points live just long enough (a
 * page read, a batch in flight) to be promoted to V8's old generation, which V8 collects lazily:
 * the live heap stays around 20 MB, but garbage piles up to ~100 MB before a full collection.
 * The CLI owns its process, so it asks for a full collection every FULL_GC_EVERY points - a
 * few milliseconds each, as the live heap is small. The library never does this.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const FULL_GC_EVERY = 100_000;

export function heapNudger(): (points: number) => void {
  let collect: (() => void) | undefined;
  try {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  } catch {
    collect = undefined;
  }
  let since = 0;
  return (points: number) => {
    if (!collect) return;
    since += points;
    if (since >= FULL_GC_EVERY) {
      since = 0;
      collect();
    }
  };
}
