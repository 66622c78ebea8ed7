/**
 * The report's curves: downsampled while they stream, bounded whatever the history's length, the
 * same whatever order a store returns the points in, extremes kept, both sides on one grid.
 */
import { describe, expect, it } from 'vitest';
import { CurveGrid } from '../../src/report/curve-grid.js';
import { MetricCurve } from '../../src/report/metric-curve.js';
import type { MetricPoint } from '../../src/model/run.js';
import { prng } from '../support/prng.js';

function history(length: number, value: (step: number) => number = (step) => Math.sin(step / 50)): MetricPoint[] {
  return Array.from({ length }, (_, step) => ({ step, timestamp: 1_700_000_000_000 + step * 10, value: value(step) }));
}

function shuffled<T>(items: T[], seed: number): T[] {
  const random = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function feed(curve: MetricCurve, side: 0 | 1, points: MetricPoint[], pageSize = 1000): void {
  for (let i = 0; i < points.length; i += pageSize) curve.add(side, points.slice(i, i + pageSize));
}

describe('report curves', () => {
  it('keep at most four points per bucket and side (1,000 per series), for a million-point history', () => {
    const curve = new MetricCurve('loss');
    const points = history(1_000_000);
    feed(curve, 0, points);
    feed(curve, 1, points);
    const chart = curve.chart(true);
    expect(chart.points).toEqual([1_000_000, 1_000_000]);
    expect(chart.rows.x.length).toBeLessThanOrEqual(1000);
    expect(chart.rows.x.length).toBeGreaterThan(900);
    expect(chart.rows.source).toEqual(chart.rows.copy);
    expect(chart.rows.x[0]).toBe(0);
    expect(chart.rows.x.at(-1)).toBe(999_999);
    expect([...chart.rows.x].sort((a, b) => a - b)).toEqual(chart.rows.x);
  });

  it('are the same whatever order the points arrive in', () => {
    const points = history(20_000, (step) => Math.cos(step / 300) + (step % 97 === 0 ? 3 : 0));
    const inOrder = new MetricCurve('m', 100);
    feed(inOrder, 0, points);
    const reversed = new MetricCurve('m', 100);
    feed(reversed, 0, [...points].reverse());
    const random = new MetricCurve('m', 100);
    feed(random, 0, shuffled(points, 7), 333);
    expect(reversed.chart(true).rows).toEqual(inOrder.chart(true).rows);
    expect(random.chart(true).rows).toEqual(inOrder.chart(true).rows);
  });

  it('keep a single spike and a single changed point of the copy visible', () => {
    const source = history(100_000, () => 1);
    const copy = source.map((point) => (point.step === 54_321 ? { ...point, value: 1.5 } : point));
    source[77_777] = { ...source[77_777]!, value: -40 };
    copy[77_777] = { ...copy[77_777]!, value: -40 };
    const curve = new MetricCurve('m', 200);
    feed(curve, 0, source);
    feed(curve, 1, copy);
    const { rows } = curve.chart(false);
    expect(rows.source).toContain(-40);
    expect(rows.copy).toContain(-40);
    expect(rows.copy).toContain(1.5);
    expect(rows.source).not.toContain(1.5);
    const differing = rows.x.filter((_, i) => rows.source[i] !== rows.copy[i]);
    expect(differing.length).toBeGreaterThan(0);
    expect(differing.length).toBeLessThanOrEqual(2);
  });

  it('grow their grid both ways: negative steps, a late far step, steps beyond 2^53', () => {
    const grid = new CurveGrid(10);
    grid.add(0, 5, 1);
    grid.add(0, -3, 2);
    grid.add(0, 1_000_000, 3);
    grid.add(0, 2 ** 60, 4);
    const rows = grid.rows();
    expect(rows.source).toEqual([2, 1, 3, 4]);
    expect(rows.x).toEqual([-3, 5, 1_000_000, 2 ** 60]);
    expect(new MetricCurve('big').chart(true).rows.x).toEqual([]);
    const curve = new MetricCurve('big');
    curve.add(0, [{ step: 2n ** 63n - 1n, timestamp: 1, value: 1 }]);
    expect(curve.chart(true).rows.x).toEqual([2 ** 63]);
  });

  it('count NaN and infinities (and the +-MAX_VALUE SQL stores keep for them) without drawing them', () => {
    const curve = new MetricCurve('m');
    curve.add(0, [
      { step: 0, timestamp: 0, value: NaN },
      { step: 1, timestamp: 0, value: Infinity },
      { step: 2, timestamp: 0, value: 0.5 },
    ]);
    curve.add(1, [
      { step: 0, timestamp: 0, value: NaN },
      { step: 1, timestamp: 0, value: Number.MAX_VALUE },
      { step: 2, timestamp: 0, value: 0.5 },
    ]);
    const chart = curve.chart(true);
    expect(chart).toMatchObject({ points: [3, 3], nonFinite: [2, 2] });
    expect(chart.rows).toEqual({ x: [2], source: [0.5], copy: [0.5] });
  });

  it('use wall-clock time as x when every point has the same step', () => {
    const curve = new MetricCurve('lr');
    const points = Array.from({ length: 50 }, (_, i) => ({ step: 0, timestamp: 1_700_000_000_000 + i * 1000, value: i }));
    feed(curve, 0, points);
    feed(curve, 1, points);
    const chart = curve.chart(true);
    expect(chart.axis).toBe('time');
    expect(chart.rows.x[0]).toBe(1_700_000_000);
    expect(chart.rows.x).toHaveLength(50);
  });
});
