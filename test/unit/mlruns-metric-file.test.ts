/**
 * metrics/<key> files: `"{timestamp} {value} {step}\n"` per point (FileStore `_log_run_metric`),
 * read with `line.strip().split(" ")` into 2 or 3 fields (`_get_metric_from_line`).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetricPoint } from '../../src/model/run.js';
import {
  formatMetricLine,
  MetricAppender,
  parseMetricLine,
  readMetricFile,
  writeMetricFile,
} from '../../src/backends/mlruns/metric-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlruns-metric-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(path: string, batchSize?: number) {
  const bad: Array<[number, string]> = [];
  const batches: MetricPoint[][] = [];
  for await (const batch of readMetricFile(path, (line, reason) => bad.push([line, reason]), batchSize)) batches.push(batch);
  return { batches, points: batches.flat(), bad };
}

describe('metric line format', () => {
  it('writes timestamp, Python float repr and step, one line per point', () => {
    expect(formatMetricLine({ timestamp: 1700000000000, value: 0.1, step: 0 })).toBe('1700000000000 0.1 0\n');
    expect(formatMetricLine({ timestamp: 5, value: 1e-5, step: 3 })).toBe('5 1e-05 3\n');
    expect(formatMetricLine({ timestamp: 5, value: 2, step: -1 })).toBe('5 2.0 -1\n');
    expect(formatMetricLine({ timestamp: 5, value: NaN, step: 1 })).toBe('5 nan 1\n');
    expect(formatMetricLine({ timestamp: 5, value: Infinity, step: 1 })).toBe('5 inf 1\n');
    expect(formatMetricLine({ timestamp: 5, value: -Infinity, step: 1 })).toBe('5 -inf 1\n');
    expect(formatMetricLine({ timestamp: 5, value: 1, step: 9007199254740993n })).toBe('5 1.0 9007199254740993\n');
  });

  it('reads the same lines back, steps beyond 2^53 as bigint, step 0 when the line has two fields', () => {
    expect(parseMetricLine('1700000000000 0.1 0')).toEqual({ timestamp: 1700000000000, value: 0.1, step: 0 });
    expect(parseMetricLine('5 -inf 9007199254740993\r')).toEqual({ timestamp: 5, value: -Infinity, step: 9007199254740993n });
    expect(parseMetricLine('5 3')).toEqual({ timestamp: 5, value: 3, step: 0 });
    expect(parseMetricLine('5 nan 2').value).toBeNaN();
  });

  it('refuses lines MLflow cannot read', () => {
    expect(() => parseMetricLine('5')).toThrow(/2 or 3/);
    expect(() => parseMetricLine('5  1.0 2')).toThrow(/2 or 3/);
    expect(() => parseMetricLine('5.5 1.0 2')).toThrow(/not a Python int/);
    expect(() => parseMetricLine('5 one 2')).toThrow(/not a Python float/);
  });
});

describe('reading a metric file', () => {
  it('streams in bounded batches and keeps a last line without newline', async () => {
    const path = join(dir, 'loss');
    const lines = Array.from({ length: 25 }, (_, i) => `${1000 + i} ${i}.5 ${i}`);
    await writeFile(path, lines.join('\n')); // no trailing newline
    const { batches, points, bad } = await readAll(path, 10);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(points[24]).toEqual({ timestamp: 1024, value: 24.5, step: 24 });
    expect(bad).toEqual([]);
  });

  it('skips blank lines and reports each unreadable line with its number', async () => {
    const path = join(dir, 'acc');
    await writeFile(path, '1 0.5 0\n\n2 garbage 1\n3 0.75 2\n');
    const { points, bad } = await readAll(path);
    expect(points).toEqual([
      { timestamp: 1, value: 0.5, step: 0 },
      { timestamp: 3, value: 0.75, step: 2 },
    ]);
    expect(bad).toEqual([[3, 'not a Python float: "garbage"']]);
  });

  it('appends batches in order and reads them back exactly', async () => {
    const path = join(dir, 'nested', 'train', 'loss');
    const appender = new MetricAppender();
    await appender.append(path, [{ timestamp: 1, value: 0.25, step: 0 }]);
    await appender.append(path, [
      { timestamp: 2, value: NaN, step: 1 },
      { timestamp: 3, value: 1e-7, step: 2n ** 62n },
    ]);
    expect(await readFile(path, 'utf8')).toBe('1 0.25 0\n2 nan 1\n3 1e-07 4611686018427387904\n');
    const { points } = await readAll(path);
    expect(points[2]).toEqual({ timestamp: 3, value: 1e-7, step: 4611686018427387904n });
  });
});

describe('a metric file copied as bytes between mlruns stores', () => {
  it('is written unchanged, its points counted, and a last line without newline closed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raw-metric-'));
    const text = '1700000000000 0.5 0\n1700000000001 nan 1\n\n1700000000002 -inf 9007199254740993';
    let told = 0;
    const points = await writeMetricFile(join(dir, 'sub', 'loss'), Readable.from([Buffer.from(text.slice(0, 25)), Buffer.from(text.slice(25))]), (count) => (told += count));
    expect(points).toBe(3);
    expect(told).toBe(3);
    expect(await readFile(join(dir, 'sub', 'loss'), 'latin1')).toBe(`${text}\n`);
    await rm(dir, { recursive: true, force: true });
  });
});
