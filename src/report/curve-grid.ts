/**
 * Downsampling a metric history for display while it streams, in bounded memory, whatever order
 * the points arrive in.
 *
 * LTTB needs the whole series (or at least its x range) before it can cut buckets; verify reads
 * each history once, as pages, in the store's order. So the curves are cut on an adaptive grid:
 * `buckets` buckets of width w (a power of two), the first aligned on a multiple of w. A point
 * outside the grid widens it: w doubles (adjacent buckets merge) until the smallest and largest x
 * seen fit, and the grid re-anchors on the smallest x. Each bucket keeps, per side (source and
 * copy), its first and last point and its lowest and highest value with their x - the M4
 * decimation of line charts (Jugel et al., VLDB 2014) - so a spike or a changed extreme is never
 * averaged away and the line enters and leaves each bucket where it really does. Memory is
 * O(buckets) per metric, independent of the history's length.
 *
 * The result depends only on the set of points, not on their order: w ends as the smallest power
 * of two whose grid spans all x (the span only shrinks as w grows, and w never grows further than
 * the points seen so far need), the anchor is floor(min x / w), and every tie is broken by a fixed
 * rule (first: smaller y, last: larger y, min and max: smaller x). Both sides share one grid, so
 * their buckets line up and the overlay compares like with like.
 */

export type Side = 0 | 1;

/** Per side and bucket: first and last point (by x), min and max value with their x, a count. */
interface SideBuckets {
  firstX: Float64Array;
  firstY: Float64Array;
  lastX: Float64Array;
  lastY: Float64Array;
  minY: Float64Array;
  minX: Float64Array;
  maxY: Float64Array;
  maxX: Float64Array;
  count: Float64Array;
}

function sideBuckets(size: number): SideBuckets {
  return {
    firstX: new Float64Array(size),
    firstY: new Float64Array(size),
    lastX: new Float64Array(size),
    lastY: new Float64Array(size),
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

  constructor(readonly buckets = 250) {
    if (!Number.isInteger(buckets) || buckets < 2) throw new Error('a curve grid needs at least 2 buckets');
    this.sides = [sideBuckets(buckets), sideBuckets(buckets)];
  }

  /** Smallest and largest x seen (Infinity/-Infinity when empty). */
  get range(): [number, number] {
    return [this.xMin, this.xMax];
  }

  /** No two points with different x so far. */
  get singleX(): boolean {
    return this.xMin === this.xMax;
  }

  /** Adds one point; `y` must be finite (the caller counts the others). */
  add(side: Side, x: number, y: number): void {
    if (!(x >= this.xMin && x <= this.xMax)) {
      // Inside the grid's span the grid stays as it is (its anchor is min x's bucket): only the range moves.
      if (this.xMin !== Infinity && x >= this.lo && x < this.lo + this.buckets * this.width) {
        if (x < this.xMin) this.xMin = x;
        else this.xMax = x;
      } else this.extend(Math.min(x, this.xMin), Math.max(x, this.xMax));
    }
    const index = Math.floor(x / this.width) - Math.floor(this.lo / this.width);
    merge(this.sides[side], index, x, y, x, y, y, x, y, x, 1);
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
        merge(to, j, from.firstX[i]!, from.firstY[i]!, from.lastX[i]!, from.lastY[i]!, from.minY[i]!, from.minX[i]!, from.maxY[i]!, from.maxX[i]!, from.count[i]!);
      }
    }
  }

  /** At most 4 points per bucket and side, merged into rows on a shared x. */
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
    const points: Array<[number, number]> = [
      [b.firstX[i]!, b.firstY[i]!],
      [b.minX[i]!, b.minY[i]!],
      [b.maxX[i]!, b.maxY[i]!],
      [b.lastX[i]!, b.lastY[i]!],
    ];
    points.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
    return points.filter((p, k) => k === 0 || p[0] !== points[k - 1]![0] || p[1] !== points[k - 1]![1]);
  }
}

/** Folds a point, or a whole old bucket, into bucket j. */
function merge(
  to: SideBuckets,
  j: number,
  firstX: number,
  firstY: number,
  lastX: number,
  lastY: number,
  minY: number,
  minX: number,
  maxY: number,
  maxX: number,
  count: number,
): void {
  if (to.count[j] === 0) {
    to.firstX[j] = firstX;
    to.firstY[j] = firstY;
    to.lastX[j] = lastX;
    to.lastY[j] = lastY;
    to.minY[j] = minY;
    to.minX[j] = minX;
    to.maxY[j] = maxY;
    to.maxX[j] = maxX;
  } else {
    if (firstX < to.firstX[j]! || (firstX === to.firstX[j] && firstY < to.firstY[j]!)) {
      to.firstX[j] = firstX;
      to.firstY[j] = firstY;
    }
    if (lastX > to.lastX[j]! || (lastX === to.lastX[j] && lastY > to.lastY[j]!)) {
      to.lastX[j] = lastX;
      to.lastY[j] = lastY;
    }
    if (minY < to.minY[j]! || (minY === to.minY[j] && minX < to.minX[j]!)) {
      to.minY[j] = minY;
      to.minX[j] = minX;
    }
    if (maxY > to.maxY[j]! || (maxY === to.maxY[j] && maxX < to.maxX[j]!)) {
      to.maxY[j] = maxY;
      to.maxX[j] = maxX;
    }
  }
  to.count[j]! += count;
}
