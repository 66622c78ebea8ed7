/**
 * One metric's source and copy histories, downsampled for an overlay chart as the pages stream
 * past (curve-grid.ts). Steps are the x axis, as in MLflow's UI; when every point has the same
 * step (a metric logged without steps), the points' wall-clock time is the x axis instead.
 */
import type { MetricPoint } from '../model/run.js';
import { CurveGrid, type CurveRows, type Side } from './curve-grid.js';

export interface MetricChart {
  key: string;
  /** verify's exact comparison (fingerprints of the full histories) found them equal. */
  same: boolean;
  axis: 'step' | 'time';
  /** Points read per side, and how many of them were NaN or +-Infinity (+-MAX_VALUE included; not drawn). */
  points: [number, number];
  nonFinite: [number, number];
  /** time axis: seconds since the epoch. */
  rows: CurveRows;
}

export class MetricCurve {
  private readonly steps: CurveGrid;
  private readonly times: CurveGrid;
  private readonly points: [number, number] = [0, 0];
  private readonly nonFinite: [number, number] = [0, 0];

  constructor(readonly key: string, buckets = 250) {
    this.steps = new CurveGrid(buckets);
    this.times = new CurveGrid(buckets);
  }

  add(side: Side, page: readonly MetricPoint[]): void {
    for (const point of page) {
      this.points[side]++;
      // +-Number.MAX_VALUE is how SQL stores keep +-Infinity: as unplottable as the infinity itself.
      if (!Number.isFinite(point.value) || Math.abs(point.value) === Number.MAX_VALUE) {
        this.nonFinite[side]++;
        continue;
      }
      this.steps.add(side, Number(point.step), point.value);
      // Time is the x axis only while every step is the same: past that, the time grid is dead weight.
      if (this.steps.singleX) this.times.add(side, point.timestamp, point.value);
    }
  }

  chart(same: boolean): MetricChart {
    const [first, last] = this.times.range;
    const byTime = this.steps.singleX && first < last;
    const rows = byTime ? this.times.rows() : this.steps.rows();
    if (byTime) rows.x = rows.x.map((ms) => ms / 1000);
    return { key: this.key, same, axis: byTime ? 'time' : 'step', points: [...this.points], nonFinite: [...this.nonFinite], rows };
  }
}
