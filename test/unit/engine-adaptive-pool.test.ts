/**
 * The latency-following pool (experiment of issue 9): every item once, never more than the upper
 * bound in flight, and against a server that slows down past its capacity the pool stays near that
 * capacity instead of climbing to the bound.
 */
import { describe, expect, it } from 'vitest';
import { runAdaptivePool, type AdaptiveTrace } from '../../src/engine/adaptive-pool.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('adaptive worker pool', () => {
  it('runs every item exactly once and stays under its bound', async () => {
    const seen: number[] = [];
    let inFlight = 0;
    let most = 0;
    await runAdaptivePool(Array.from({ length: 200 }, (_, i) => i), 6, async (item) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(1);
      seen.push(item);
      inFlight--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(most).toBeLessThanOrEqual(6);
  });

  it('settles near what a server can serve when more in flight only adds queueing', async () => {
    // A server of capacity 4: beyond it, each task takes proportionally longer.
    const capacity = 4;
    let inFlight = 0;
    const trace: AdaptiveTrace = { limits: [] };
    await runAdaptivePool(Array.from({ length: 400 }, (_, i) => i), 64, async () => {
      inFlight++;
      await sleep(8 * Math.max(1, inFlight / capacity));
      inFlight--;
    }, trace);
    const late = trace.limits.slice(200);
    const mean = late.reduce((a, b) => a + b, 0) / late.length;
    expect(mean).toBeLessThan(24);
    expect(mean).toBeGreaterThanOrEqual(2);
  });
});
