/**
 * An order-independent fingerprint of a metric history: the point count plus two 32-bit sums of
 * per-point hashes. Two histories with the same multiset of (timestamp, step, value) points have
 * the same fingerprint whatever order the stores return them in, and memory stays constant
 * however long the history is - so verify can compare a million points without holding them.
 * A missing, extra, duplicated or changed point changes the sums (collisions: ~2^-64).
 */
import type { MetricPoint } from '../model/run.js';

export interface Fingerprint {
  count: number;
  sumA: number;
  sumB: number;
}

export function newFingerprint(): Fingerprint {
  return { count: 0, sumA: 0, sumB: 0 };
}

/** NaN, infinities and -0 get one spelling each; steps beyond 2^53 keep every digit. */
export function canonicalPoint(point: MetricPoint, value: number = point.value): string {
  const valueText = Number.isNaN(value) ? 'NaN' : Object.is(value, -0) ? '0' : String(value);
  return `${point.timestamp}|${String(point.step)}|${valueText}`;
}

export function addPoint(print: Fingerprint, canonical: string): void {
  // Two FNV-1a variants with different offsets; sums are kept modulo 2^32.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x9e3779b9;
  for (let i = 0; i < canonical.length; i++) {
    const code = canonical.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 15;
  }
  print.count++;
  print.sumA = (print.sumA + (a >>> 0)) >>> 0;
  print.sumB = (print.sumB + (b >>> 0)) >>> 0;
}

export function sameFingerprint(x: Fingerprint, y: Fingerprint): boolean {
  return x.count === y.count && x.sumA === y.sumA && x.sumB === y.sumB;
}
