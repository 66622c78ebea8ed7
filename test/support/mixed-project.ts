/**
 * A project of many runs of mixed sizes, nested runs and artifacts, deterministic from a seed:
 * the source of the crash-and-resume and fault tests (and their longer script variants).
 */
import type { SeedRun } from './mlflow-seed.js';
import { prng } from './prng.js';

const T0 = 1_700_000_000_000;

export function mixedRuns(count: number, seed: number): SeedRun[] {
  const random = prng(seed);
  const runs: SeedRun[] = [];
  for (let i = 0; i < count; i++) {
    const size = random() < 0.1 ? 5_000 : random() < 0.5 ? 300 : 20;
    const parent = i % 7 === 3 ? `run-${i - 1}` : undefined;
    const metrics: SeedRun['metrics'] = {};
    for (const key of ['loss', 'acc']) {
      metrics[key] = Array.from({ length: size }, (_, step) => ({ value: random() * 10, timestamp: T0 + i * 100_000 + step, step }));
    }
    runs.push({
      name: `run-${i}`,
      parent,
      startTime: T0 + i * 100_000,
      endTime: T0 + i * 100_000 + 50_000,
      status: i % 11 === 5 ? 'FAILED' : 'FINISHED',
      params: { index: String(i), lr: String(random().toFixed(4)) },
      tags: { kind: size > 1000 ? 'long' : 'short' },
      metrics,
      files: i % 3 === 0 ? { 'model/weights.bin': Buffer.alloc(20_000 + i, i % 256), 'notes.txt': `run ${i}\n` } : undefined,
    });
  }
  return runs;
}
