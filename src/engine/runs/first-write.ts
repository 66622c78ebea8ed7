/**
 * A small run's values in one write: when the target takes params, tags and metrics together
 * (TargetRun.logBatch) and the params and tags fit one batch with room to spare, they travel with
 * the first metric batch - a run of 10 params, 5 tags and 50 points is one request, not three.
 * When that first batch holds the whole run and the target can finish with values
 * (TargetRun.finishWith), the batch waits and goes with the completion marker instead.
 */
import type { BatchLimits, RunValues, TargetRun } from '../../backends/contract.js';
import type { KeyValue } from '../../model/run.js';

export interface FirstWrite {
  params: KeyValue[];
  tags: KeyValue[];
  /** Metric points that still fit beside them. */
  metricRoom: number;
  /** Told once the write succeeded. */
  written(): void;
}

/** The first write, held back to go with the completion marker (the run's only values write). */
export interface HeldWrite {
  values: RunValues;
  /** Told once the values are stored. */
  written(): void;
}

export function firstWrite(
  run: TargetRun | undefined,
  values: { params: KeyValue[]; tags: KeyValue[] },
  limits: BatchLimits,
  written: (params: number, tags: number) => void,
): FirstWrite | undefined {
  if (!run?.logBatch) return undefined;
  const { params, tags } = values;
  if (params.length > limits.maxParams || tags.length > limits.maxTags) return undefined;
  const metricRoom = Math.min(limits.maxMetrics, limits.maxEntities - params.length - tags.length);
  if (metricRoom < 1) return undefined;
  return { params, tags, metricRoom, written: () => written(params.length, tags.length) };
}
