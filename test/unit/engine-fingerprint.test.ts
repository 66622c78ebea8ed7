import { describe, expect, it } from 'vitest';
import { addPoint, canonicalPoint, newFingerprint, sameFingerprint } from '../../src/engine/fingerprint.js';
import type { MetricPoint } from '../../src/model/run.js';

function print(points: MetricPoint[]) {
  const fp = newFingerprint();
  for (const point of points) addPoint(fp, canonicalPoint(point));
  return fp;
}

const points: MetricPoint[] = Array.from({ length: 1000 }, (_, i) => ({ value: i / 7, timestamp: 1_700_000_000_000 + i, step: i }));

describe('metric history fingerprints', () => {
  it('do not depend on the order points come in', () => {
    expect(sameFingerprint(print(points), print([...points].reverse()))).toBe(true);
  });

  it('change when a point is missing, duplicated or altered', () => {
    const base = print(points);
    expect(sameFingerprint(base, print(points.slice(1)))).toBe(false);
    expect(sameFingerprint(base, print([...points, points[5]!]))).toBe(false);
    const altered = points.map((p, i) => (i === 500 ? { ...p, value: p.value + 1e-12 } : p));
    expect(sameFingerprint(base, print(altered))).toBe(false);
    const moved = points.map((p, i) => (i === 42 ? { ...p, step: 43 } : p));
    expect(sameFingerprint(base, print(moved))).toBe(false);
  });

  it('spell NaN, -0 and big steps one way', () => {
    expect(canonicalPoint({ value: Number.NaN, timestamp: 1, step: 9_007_199_254_740_993n })).toBe('1|9007199254740993|NaN');
    expect(canonicalPoint({ value: -0, timestamp: 1, step: 0 })).toBe(canonicalPoint({ value: 0, timestamp: 1, step: 0 }));
  });
});
