/**
 * An mlruns store with a few runs of long metric histories, written through the mlruns backend:
 * the source for database crash tests and benchmarks. Values are deterministic per point.
 */
import { openMlrunsStore } from '../../src/backends/mlruns/index.js';
import type { MetricPoint } from '../../src/model/run.js';
import { PROVENANCE } from '../../src/model/provenance.js';

export const HISTORY_START = 1_700_000_000_000;

export interface HistoryStoreSpec {
  runs: number;
  pointsPerRun: number;
  /** Metric keys per run (the points are split between them). */
  keys?: number;
  project?: string;
}

export async function writeHistoryStore(root: string, spec: HistoryStoreSpec): Promise<number> {
  const store = await openMlrunsStore(root, 'target');
  const keys = spec.keys ?? 1;
  let total = 0;
  try {
    const project = (await store.openTarget({ workspace: 'default', project: spec.project ?? 'histories' }, { tags: [] }, { create: true }))!;
    for (let r = 0; r < spec.runs; r++) {
      const run = await project.createRun({ name: `run-${r}`, startTime: HISTORY_START, tags: [], source: { project: 'seed', runId: `seed-${r}` } });
      await run.logParams([{ key: 'index', value: String(r) }]);
      const perKey = Math.ceil(spec.pointsPerRun / keys);
      for (let k = 0; k < keys; k++) {
        for (let from = 0; from < perKey; from += 10_000) {
          const points: MetricPoint[] = [];
          for (let i = from; i < Math.min(perKey, from + 10_000); i++) {
            points.push({ value: Math.sin(i + r) * 100 + k, timestamp: HISTORY_START + i, step: i });
          }
          await run.logMetrics([{ key: `metric_${k}`, points }]);
          total += points.length;
        }
      }
      await run.finish({ status: 'FINISHED', endTime: HISTORY_START + spec.pointsPerRun, deleted: false, marker: { key: PROVENANCE.completed, value: 'seed' } });
    }
  } finally {
    await store.close();
  }
  return total;
}
