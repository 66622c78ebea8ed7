/**
 * Keeps the CLI's peak memory flat in history length and in run count. Metric points and
 * runs/search pages live just long enough (a page read, a batch in flight) to be promoted to V8's
 * old generation, which V8 collects lazily: the live heap stays small, but garbage piles up to
 * several times it before a full collection (listing 10,000 runs: 36 MB live, 78 MB used). File
 * and network chunks are Buffers outside the JS heap, freed only when a collection finds their
 * wrappers dead - and a copy that allocates little on the heap rarely collects. The CLI owns its
 * process, so when the old generation has grown by a quarter of what was live after the last
 * full collection (at least 8 MB), or external memory by 16 MB, it asks for one: 5-35 ms with
 * 10,000 listed runs (24 MB live), every second or two. It looks on every progress event and every
 * 50 ms (listing a project emits no events). The library never does this.
 *
 * Why 16 MB of external growth: a big file streams through as 64 KiB Buffers, so external
 * memory grows by the file's size in garbage; at 8 MB that was a full collection every 8 MB, 128
 * per GiB, which took about 0.6 s of CPU per GiB and stalled both sockets while it ran
 * (bench/artifacts.ts, CPU profile of a 1 GiB copy), so it went to 32 MB. At 32 MB the 256 MiB
 * S3 -> S3 copy of test/e2e/artifacts-s3-large.test.ts peaked at up to 215 MB RSS on a fresh
 * machine, over the 200 MB budget; at 16 MB (and 5 MiB S3 parts, object-store/s3.ts) 174-183 MB.
 * The CPU cost of 16 MB (about half of 8 MB's, 64 collections per GiB) is not measured yet.
 */
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MIN_OLD_GROWTH = 8 * 1024 * 1024;
const EXTERNAL_GROWTH_LIMIT = 16 * 1024 * 1024;
const CHECK_EVERY_MS = 50;

export interface HeapNudger {
  /** Collects if the heap grew past its limit since the last full collection. */
  nudge(): void;
  /** Stops the periodic check. */
  stop(): void;
}

export function heapNudger(): HeapNudger {
  let collect: (() => void) | undefined;
  try {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  } catch {
    collect = undefined;
  }
  if (!collect) return { nudge: () => {}, stop: () => {} };
  let live = oldGenerationUsed();
  let external = getHeapStatistics().external_memory;
  const nudge = (): void => {
    const old = oldGenerationUsed();
    // V8 collected by itself: what is left is live.
    if (old < live) live = old;
    if (old - live < Math.max(MIN_OLD_GROWTH, live / 4) && getHeapStatistics().external_memory - external < EXTERNAL_GROWTH_LIMIT) return;
    collect!();
    live = oldGenerationUsed();
    external = getHeapStatistics().external_memory;
  };
  const timer = setInterval(nudge, CHECK_EVERY_MS);
  timer.unref();
  return { nudge, stop: () => clearInterval(timer) };
}

/** Bytes in use in the spaces a full collection frees (the young generation empties itself). */
function oldGenerationUsed(): number {
  let used = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name === 'old_space' || space.space_name === 'large_object_space') used += space.space_used_size;
  }
  return used;
}
