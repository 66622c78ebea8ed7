/**
 * Which source runs a migration takes: user filters and the shard this process owns.
 */
import { createHash } from 'node:crypto';
import type { KeyValue, RunInfo } from '../model/run.js';
import type { RunFilters, Shard } from './types.js';

/** Filters that need only the run's info (cheap, applied to the listing). */
export function matchesInfo(info: RunInfo, filters: RunFilters): boolean {
  if (filters.runIds && filters.runIds.length > 0 && !filters.runIds.includes(info.runId)) return false;
  if (filters.runName && !filters.runName.test(info.name ?? '')) return false;
  if (filters.statuses && filters.statuses.length > 0 && !filters.statuses.includes(info.status)) return false;
  if (filters.since !== undefined && (info.startTime === undefined || info.startTime < filters.since)) return false;
  if (filters.until !== undefined && (info.startTime === undefined || info.startTime >= filters.until)) return false;
  return true;
}

/** The tag filter needs the run's tags. */
export function matchesTags(tags: KeyValue[], filters: RunFilters): boolean {
  if (!filters.tags || filters.tags.length === 0) return true;
  return filters.tags.every((wanted) => tags.some((tag) => tag.key === wanted.key && tag.value === wanted.value));
}

/**
 * The shard of a run: a stable hash of the id of its root ancestor, so a parent and its children
 * always land in the same process and the parent link can be remapped. sha256 keeps the split
 * even and identical on every machine and Node version.
 */
export function shardOf(rootRunId: string, count: number): number {
  return createHash('sha256').update(rootRunId).digest().readUInt32BE(0) % count;
}

export function inShard(rootRunId: string, shard: Shard | undefined): boolean {
  if (!shard || shard.count <= 1) return true;
  return shardOf(rootRunId, shard.count) === shard.index;
}

/** Follows parent links within the listing; a parent outside it ends the chain. */
export function rootOf(info: RunInfo, byId: Map<string, RunInfo>): string {
  let current = info;
  const seen = new Set<string>([current.runId]);
  while (current.parentRunId) {
    const parent = byId.get(current.parentRunId);
    if (!parent || seen.has(parent.runId)) break;
    seen.add(parent.runId);
    current = parent;
  }
  return current.runId;
}
