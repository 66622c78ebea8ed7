/**
 * Downsampling a metric history for display while it streams, in bounded memory, whatever order
 * the points arrive in.
 *
 * LTTB needs the whole series (or at least its x range) before it can cut buckets; verify reads
 * each history once, as pages, in the store's order. So the curves are cut on an adaptive grid:
 * `buckets` buckets of width w (a power of two), the first aligned on a multiple of w. A point
 * outside the grid widens it: w doubles (adjacent buckets merge) until the smallest and largest x
 * seen fit, and the grid re-anchors on the smallest x. Each bucket keeps, per side (source and
 * copy), the lowest and the highest value with their x and a count - the min/max envelope that
 * line-chart decimation uses (M4 without first/last), so a spike or a changed extreme is never
 * averaged away. Memory is O(buckets) per metric, independent of the history's length.
 *
 * The result depends only on the set of points, not on their order: w ends as the smallest power
 * of two whose grid spans all x (the span only shrinks as w grows, and w never grows further than
 * the points seen so far need), the anchor is floor(min x / w), and ties keep the smaller x.
 * Both sides share one grid, so their buckets line up and the overlay compares like with like.
 */

export type Side = 0 | 1;

/** Per side: min value and its x, max value and its x, points in the bucket. */
interface SideBuckets {
  minY: Float64Array;
  minX: Float64Array;
  maxY: Float64Array;
  maxX: Float64Array;
  count: Float64Array;
}

function sideBuckets(size: number): SideBuckets {
  return {
    minY: new Float64Array(size),
    minX: new Float64Array(size),
    maxY: new Float64Array(size),
    maxX: new Float64Array(size),
    count: new Float64Array(size),
  };
}

/** Aligned rows for a chart: x ascending (equal x allowed), a value or null per side. */
export interface CurveRows {
  x: number[];
  source: Array<number | null>;
  copy: Array<number | null>;
}

export class CurveGrid {
  private width = 1;
  private lo = 0;
  private xMin = Infinity;
  private xMax = -Infinity;
  private sides: [SideBuckets, SideBuckets];

  constructor(readonly buckets = 500) {
    if (!Number.isInteger(buckets) || buckets < 2) throw new Error('a curve grid needs at least 2 buckets');
    this.sides = [sideBuckets(buckets), sideBuckets(buckets)];
  }

  /** Smallest and largest x seen (Infinity/-Infinity when empty). */
  get range(): [number, number] {
    return [this.xMin, this.xMax];
  }

  /** Adds one point; `y` must be finite (the caller counts the others). */
  add(side: Side, x: number, y: number): void {
    if (x < this.xMin || x > this.xMax) this.extend(Math.min(x, this.xMin), Math.max(x, this.xMax));
    const index = Math.floor(x / this.width) - Math.floor(this.lo / this.width);
    const b = this.sides[side];
    if (b.count[index] === 0) {
      b.minY[index] = b.maxY[index] = y;
      b.minX[index] = b.maxX[index] = x;
    } else {
      if (y < b.minY[index]! || (y === b.minY[index] && x < b.minX[index]!)) {
        b.minY[index] = y;
        b.minX[index] = x;
      }
      if (y > b.maxY[index]! || (y === b.maxY[index] && x < b.maxX[index]!)) {
        b.maxY[index] = y;
        b.maxX[index] = x;
      }
    }
    b.count[index]!++;
  }

  /** Makes the grid cover [low, high]: the smallest doubling of w that spans it, anchored at low. */
  private extend(low: number, high: number): void {
    let width = this.width;
    while (Math.floor(high / width) - Math.floor(low / width) >= this.buckets) width *= 2;
    const lo = Math.floor(low / width) * width;
    const first = this.xMin === Infinity;
    this.xMin = low;
    this.xMax = high;
    if (first) {
      this.width = width;
      this.lo = lo;
      return;
    }
    if (width === this.width && lo === this.lo) return;
    const oldSides = this.sides;
    const oldLo = this.lo;
    const oldWidth = this.width;
    this.sides = [sideBuckets(this.buckets), sideBuckets(this.buckets)];
    this.width = width;
    this.lo = lo;
    for (const side of [0, 1] as const) {
      const from = oldSides[side];
      const to = this.sides[side];
      for (let i = 0; i < this.buckets; i++) {
        if (from.count[i] === 0) continue;
        // Old buckets nest inside new ones: w grew by a power of two and both grids are aligned.
        const j = Math.floor((oldLo + i * oldWidth) / width) - Math.floor(lo / width);
        if (to.count[j] === 0) {
          to.minY[j] = from.minY[i]!;
          to.minX[j] = from.minX[i]!;
          to.maxY[j] = from.maxY[i]!;
          to.maxX[j] = from.maxX[i]!;
        } else {
          if (from.minY[i]! < to.minY[j]! || (from.minY[i] === to.minY[j] && from.minX[i]! < to.minX[j]!)) {
            to.minY[j] = from.minY[i]!;
            to.minX[j] = from.minX[i]!;
          }
          if (from.maxY[i]! > to.maxY[j]! || (from.maxY[i] === to.maxY[j] && from.maxX[i]! < to.maxX[j]!)) {
            to.maxY[j] = from.maxY[i]!;
            to.maxX[j] = from.maxX[i]!;
          }
        }
        to.count[j]! += from.count[i]!;
      }
    }
  }

  /** At most 2 points per bucket and side, merged into rows on a shared x. */
  rows(): CurveRows {
    const out: CurveRows = { x: [], source: [], copy: [] };
    for (let i = 0; i < this.buckets; i++) {
      const s = this.bucketPoints(0, i);
      const c = this.bucketPoints(1, i);
      let a = 0;
      let b = 0;
      while (a < s.length || b < c.length) {
        const ps = s[a];
        const pc = c[b];
        if (ps && pc && ps[0] === pc[0]) {
          out.x.push(ps[0]);
          out.source.push(ps[1]);
          out.copy.push(pc[1]);
          a++;
          b++;
        } else if (ps && (!pc || ps[0] < pc[0])) {
          out.x.push(ps[0]);
          out.source.push(ps[1]);
          out.copy.push(null);
          a++;
        } else {
          out.x.push(pc![0]);
          out.source.push(null);
          out.copy.push(pc![1]);
          b++;
        }
      }
    }
    return out;
  }

  private bucketPoints(side: Side, i: number): Array<[number, number]> {
    const b = this.sides[side];
    if (b.count[i] === 0) return [];
    const low: [number, number] = [b.minX[i]!, b.minY[i]!];
    const high: [number, number] = [b.maxX[i]!, b.maxY[i]!];
    if (low[0] === high[0] && low[1] === high[1]) return [low];
    return high[0] < low[0] ? [high, low] : [low, high];
  }
}
