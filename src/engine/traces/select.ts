/**
 * Which traces go with a copy: without a run filter every trace of the experiment (shared out by
 * trace id when sharding, so that parallel shards never write the same trace); with a run filter,
 * the traces whose mlflow.sourceRun is a selected run (a trace follows its run, like a logged model).
 */
import { TRACE_METADATA, type TraceInfo } from '../../model/trace.js';
import { inShard } from '../filters.js';
import type { RunFilters, Shard } from '../types.js';

export function traceSelector(filters: RunFilters, shard: Shard | undefined, selectedRunIds: () => ReadonlySet<string>): (info: TraceInfo) => boolean {
  const filtered = Object.values(filters).some((value) => value !== undefined && !(Array.isArray(value) && value.length === 0));
  return (info) => {
    if (!filtered) return inShard(info.traceId, shard);
    const run = info.metadata[TRACE_METADATA.sourceRun];
    return run !== undefined && selectedRunIds().has(run);
  };
}
