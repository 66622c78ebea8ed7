/**
 * Metric history of one run and key, kept compact for large histories (typed arrays while all
 * timestamps/steps fit a double exactly, plain arrays once a bigint shows up).
 *
 * Semantics of the SQL store (recorded in metrics-* and logbatch-metric-* cases):
 *  - history order (timestamp, step, value) with NaN stored as value 0 (then NaN after numbers);
 *  - exact duplicates (timestamp, step, value, NaN-ness) are stored once;
 *  - +/-Infinity is stored as +/-1.7976931348623157e308, -0 as 0;
 *  - the "latest" value shown by runs/get is the max of (step, timestamp, value) - NaN counts as 0.
 * Appends in order stay O(1); out-of-order points flag the series and it is sorted (and
 * de-duplicated) once, on the next read.
 */
import { int64Json, type Int64 } from './json.js';

export const MAX_DOUBLE = 1.7976931348623157e308;

export interface Point {
  ts: Int64;
  step: Int64;
  value: number;
}

export function sanitizeValue(v: number): number {
  if (v === Infinity) return MAX_DOUBLE;
  if (v === -Infinity) return -MAX_DOUBLE;
  if (v === 0) return 0; // -0 -> 0
  return v;
}

const sortValue = (v: number) => (v !== v ? 0 : v);

function cmp(t1: Int64, s1: Int64, v1: number, t2: Int64, s2: Int64, v2: number): number {
  if (t1 !== t2) return t1 < t2 ? -1 : 1;
  if (s1 !== s2) return s1 < s2 ? -1 : 1;
  const a = sortValue(v1);
  const b = sortValue(v2);
  if (a !== b) return a < b ? -1 : 1;
  const na = v1 !== v1;
  const nb = v2 !== v2;
  if (na !== nb) return na ? 1 : -1;
  return 0;
}

/** true when point a is "more recent" than b for runs/get (step, then timestamp, then value). */
function newer(a: Point, b: Point): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.ts !== b.ts) return a.ts > b.ts;
  return sortValue(a.value) > sortValue(b.value);
}

type IntStore = Float64Array | Int64[];

export class Series {
  n = 0;
  latest: Point | undefined;
  private ts: IntStore = new Float64Array(16);
  private st: IntStore = new Float64Array(16);
  private vs = new Float64Array(16);
  private sorted = true;
  private readonly keyJson: string;

  constructor(readonly key: string) {
    this.keyJson = JSON.stringify(key);
  }

  add(ts: Int64, step: Int64, rawValue: number): void {
    const value = sanitizeValue(rawValue);
    const p: Point = { ts, step, value };
    if (!this.latest || newer(p, this.latest)) this.latest = p;
    const n = this.n;
    if (this.sorted && n > 0) {
      const c = cmp(ts, step, value, this.ts[n - 1]!, this.st[n - 1]!, this.vs[n - 1]!);
      if (c === 0) return; // exact duplicate of the last point
      if (c < 0) this.sorted = false;
    }
    if (this.ts instanceof Float64Array && (typeof ts === 'bigint' || typeof step === 'bigint')) this.toPlain();
    if (n === this.vs.length) this.grow();
    this.ts[n] = ts as never;
    this.st[n] = step as never;
    this.vs[n] = value;
    this.n = n + 1;
  }

  private toPlain(): void {
    this.ts = Array.from((this.ts as Float64Array).subarray(0, this.n));
    this.st = Array.from((this.st as Float64Array).subarray(0, this.n));
  }

  private grow(): void {
    const cap = this.vs.length * 2;
    const vs = new Float64Array(cap);
    vs.set(this.vs);
    this.vs = vs;
    if (this.ts instanceof Float64Array) {
      const ts = new Float64Array(cap);
      ts.set(this.ts);
      this.ts = ts;
      const st = new Float64Array(cap);
      st.set(this.st as Float64Array);
      this.st = st;
    }
  }

  /** Sort by (timestamp, step, value) and drop exact duplicates, if anything arrived out of order. */
  private ensureSorted(): void {
    if (this.sorted) return;
    const n = this.n;
    const { ts, st, vs } = this;
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort((a, b) => cmp(ts[a]!, st[a]!, vs[a]!, ts[b]!, st[b]!, vs[b]!));
    const plain = !(ts instanceof Float64Array);
    const nts: IntStore = plain ? [] : new Float64Array(vs.length);
    const nst: IntStore = plain ? [] : new Float64Array(vs.length);
    const nvs = new Float64Array(vs.length);
    let m = 0;
    for (let k = 0; k < n; k++) {
      const i = idx[k]!;
      if (m > 0 && cmp(ts[i]!, st[i]!, vs[i]!, nts[m - 1]!, nst[m - 1]!, nvs[m - 1]!) === 0) continue;
      nts[m] = ts[i]! as never;
      nst[m] = st[i]! as never;
      nvs[m] = vs[i]!;
      m++;
    }
    this.ts = nts;
    this.st = nst;
    this.vs = nvs;
    this.n = m;
    this.sorted = true;
  }

  /** Number of stored points (after de-duplication). */
  size(): number {
    this.ensureSorted();
    return this.n;
  }

  point(i: number): Point {
    this.ensureSorted();
    return { ts: this.ts[i]!, step: this.st[i]!, value: this.vs[i]! };
  }

  /** JSON texts of the points [from, to) in history order. */
  jsonRange(from: number, to: number): string[] {
    this.ensureSorted();
    const out: string[] = [];
    const end = Math.min(to, this.n);
    const head = '{"key":' + this.keyJson + ',"value":';
    for (let i = Math.max(0, from); i < end; i++) {
      const v = this.vs[i]!;
      out.push(
        head +
          (v !== v ? '"NaN"' : String(v)) +
          ',"timestamp":' +
          int64Json(this.ts[i]!) +
          ',"step":' +
          int64Json(this.st[i]!) +
          '}',
      );
    }
    return out;
  }
}

export function pointJson(key: string, p: Point): Record<string, unknown> {
  return { key, value: p.value, timestamp: p.ts, step: p.step };
}
