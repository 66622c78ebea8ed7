/**
 * Parents before children (DESIGN rule 5), otherwise by start time so a migration proceeds in the
 * order the runs were made. Parent links that leave the set, or loop, make a run a root.
 */
import type { RunInfo } from '../model/run.js';

export function parentsFirst(runs: RunInfo[]): RunInfo[] {
  const byId = new Map(runs.map((run) => [run.runId, run]));
  const children = new Map<string, RunInfo[]>();
  const roots: RunInfo[] = [];
  for (const run of runs) {
    const parentId = run.parentRunId;
    if (parentId && byId.has(parentId) && parentId !== run.runId) {
      const list = children.get(parentId) ?? [];
      list.push(run);
      children.set(parentId, list);
    } else {
      roots.push(run);
    }
  }
  const byStart = (a: RunInfo, b: RunInfo) =>
    (a.startTime ?? Number.MAX_SAFE_INTEGER) - (b.startTime ?? Number.MAX_SAFE_INTEGER) || (a.runId < b.runId ? -1 : 1);
  const ordered: RunInfo[] = [];
  const placed = new Set<string>();
  // Breadth-first from the roots keeps every parent ahead of its children.
  let level = roots.sort(byStart);
  while (level.length > 0) {
    const next: RunInfo[] = [];
    for (const run of level) {
      if (placed.has(run.runId)) continue;
      placed.add(run.runId);
      ordered.push(run);
      next.push(...(children.get(run.runId) ?? []));
    }
    level = next.sort(byStart);
  }
  // Runs caught in a parent cycle were never reached from a root: copy them as roots.
  for (const run of runs) if (!placed.has(run.runId)) ordered.push(run);
  return ordered;
}
