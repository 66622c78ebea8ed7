/**
 * Keeps the CLI's peak memory flat in history length. Metric points live just long enough (a
 * page read, a batch in flight) to be promoted to V8's old generation, which V8 collects lazily:
 * the live heap stays around 20 MB, but garbage piles up to ~150 MB before a full collection.
 * File and network chunks are Buffers outside the JS heap, freed only when a collection finds
 * their wrappers dead - and a copy that allocates little on the heap rarely collects. The CLI owns
 * its process, so when either has grown past its limit since the last full collection it asks for
 * one: a few milliseconds, as the live heap is small. The library never does this.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const HEAP_GROWTH_LIMIT = 32 * 1024 * 1024;
const EXTERNAL_GROWTH_LIMIT = 8 * 1024 * 1024;

export function heapNudger(): () => void {
  let collect: (() => void) | undefined;
  try {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  } catch {
    collect = undefined;
  }
  let { used_heap_size: heap, external_memory: external } = getHeapStatistics();
  return () => {
    if (!collect) return;
    const now = getHeapStatistics();
    if (now.used_heap_size - heap < HEAP_GROWTH_LIMIT && now.external_memory - external < EXTERNAL_GROWTH_LIMIT) return;
    collect();
    ({ used_heap_size: heap, external_memory: external } = getHeapStatistics());
  };
}
