/**
 * Issue 10's benchmark: the HTML report for 10,000 runs - its size, and the time Debian's chromium
 * takes to open it (load + first render) - and what its curves cost while verify streams.
 *
 *   node --expose-gc --import tsx bench/html-report.ts [--runs 10000]
 *
 * The runs are synthetic and go through the same collector verify feeds (HtmlReportCollector):
 * 10 params, 20 tags, 3 metrics of 1,000 points per side, 5 files each. Two reports: a typical
 * one (1 % of the runs differ: one metric point and one file) and the worst case for size (every
 * run differs, so every run asks for its details and the budgets decide).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { VerifyReport, VerifyRunResult } from '../src/engine/verify.js';
import { addPoint, canonicalPoint, newFingerprint } from '../src/engine/fingerprint.js';
import type { MetricPoint } from '../src/model/run.js';
import { HtmlReportCollector } from '../src/report/collect.js';
import { writeHtmlReport } from '../src/report/html.js';
import { MetricCurve } from '../src/report/metric-curve.js';
import { arg } from './support.js';

const RUNS = arg('runs', 10_000);
const POINTS = 1000;
const METRICS = ['train/loss', 'val/loss', 'val/auc'];

function history(seed: number): MetricPoint[] {
  let value = 1 + (seed % 7) / 10;
  return Array.from({ length: POINTS }, (_, step) => {
    value = value * 0.997 + Math.sin(seed + step) * 0.004;
    return { step, timestamp: 1_700_000_000_000 + step * 1000, value };
  });
}

function verifyRun(collector: HtmlReportCollector, index: number, different: boolean): VerifyRunResult {
  const runId = `run${String(index).padStart(6, '0')}${'0'.repeat(22)}`;
  const observer = collector.observe({ runId, name: `sweep-${index}`, status: 'FINISHED', deleted: false });
  const params = Array.from({ length: 10 }, (_, k) => ({ key: `param_${k}`, value: String((index * 31 + k) % 97) }));
  const tags = Array.from({ length: 20 }, (_, k) => ({ key: `tag.${k}`, value: `value ${k} of run ${index}` }));
  observer.keyValues?.('param', params, params, new Set());
  observer.keyValues?.('tag', tags, tags, new Set());
  observer.issues?.([]);
  const differences: string[] = [];
  METRICS.forEach((key, k) => {
    const source = history(index * 3 + k);
    const copy = different && k === 0 ? source.map((point) => (point.step === 500 ? { ...point, value: point.value + 0.5 } : point)) : source;
    for (let start = 0; start < POINTS; start += 250) observer.metricPage?.(key, 'source', source.slice(start, start + 250));
    for (let start = 0; start < POINTS; start += 250) observer.metricPage?.(key, 'copy', copy.slice(start, start + 250));
    observer.metricCompared?.(key, copy === source);
    if (copy !== source) differences.push(`metric ${key}: histories differ (source ${POINTS} points, copy ${POINTS})`);
  });
  for (let f = 0; f < 5; f++) {
    const sha = `${index}`.padStart(64, 'a');
    const mismatch = different && f === 0;
    observer.file?.({ path: `model/part-${f}.bin`, sourceSize: 1000 + f, copySize: 1000 + f, sourceSha256: sha, copySha256: mismatch ? sha.replace('a', 'b') : sha });
    if (mismatch) differences.push(`file model/part-${f}.bin: sha256 differs`);
  }
  const result: VerifyRunResult = {
    sourceRunId: runId,
    sourceName: `sweep-${index}`,
    targetRunIds: [`copy${String(index).padStart(28, '0')}`],
    status: different ? 'different' : 'ok',
    differences,
    points: POINTS * METRICS.length,
    files: 5,
    bytes: 5010,
  };
  collector.runChecked(result);
  return result;
}

function report(runs: VerifyRunResult[]): VerifyReport {
  return {
    tool: 'runs-migrator',
    version: 'bench',
    command: 'verify',
    checkedAt: new Date().toISOString(),
    source: { uri: 'http://mlflow-a:5000', project: 'team-a/churn', kind: 'mlflow' },
    target: { uri: 'http://mlflow-b:5000', project: 'team-b/churn', kind: 'mlflow' },
    clean: runs.every((run) => run.status === 'ok'),
    summary: {
      runs: runs.length,
      ok: runs.filter((run) => run.status === 'ok').length,
      missing: 0,
      partial: 0,
      duplicated: 0,
      different: runs.filter((run) => run.status === 'different').length,
      error: 0,
      extra: 0,
      points: runs.reduce((sum, run) => sum + run.points, 0),
      files: runs.reduce((sum, run) => sum + run.files, 0),
      bytes: runs.reduce((sum, run) => sum + run.bytes, 0),
    },
    runs,
    extra: [],
  };
}

async function openTimes(file: string): Promise<{ loadMs: number; expandMs: number }> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    // One warm-up open, so the figure is the page's and not the browser's first start.
    const warm = await browser.newPage();
    await warm.goto(pathToFileURL(file).href);
    await warm.waitForSelector('html[data-rendered="true"]', { timeout: 60_000 });
    await warm.close();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const started = performance.now();
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('html[data-rendered="true"]', { timeout: 60_000 });
    const loadMs = performance.now() - started;
    const expandStarted = performance.now();
    await page.locator('tr.run-row').first().click();
    await page.waitForSelector('.uplot');
    const expandMs = performance.now() - expandStarted;
    return { loadMs, expandMs };
  } finally {
    await browser.close();
  }
}

async function scenario(name: string, dir: string, differentEvery: number): Promise<void> {
  const started = performance.now();
  const collector = new HtmlReportCollector();
  const runs: VerifyRunResult[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(verifyRun(collector, i, i % differentEvery === 0));
  const data = collector.build({ command: 'verify', verify: report(runs), durationMs: 0, exitStatus: 1 });
  const file = join(dir, `${name}.html`);
  writeHtmlReport(file, data);
  const buildMs = performance.now() - started;
  const size = statSync(file).size;
  const withDetail = data.runs.filter((run) => run.detail).length;
  const { loadMs, expandMs } = await openTimes(file);
  console.log(
    `${name}: ${RUNS} runs (${runs.filter((run) => run.status !== 'ok').length} different), details kept for ${withDetail}: ` +
      `${(size / 1e6).toFixed(2)} MB (< 20 MB: ${size < 20e6 ? 'met' : 'NOT met'}); collected and written in ${(buildMs / 1000).toFixed(1)} s; ` +
      `chromium load + first render ${Math.round(loadMs)} ms (< 3 s: ${loadMs < 3000 ? 'met' : 'NOT met'}); expanding a run with 3 charts ${Math.round(expandMs)} ms`,
  );
}

/** verify's per-point work (fingerprint), alone and with the report's curve, over one history. */
function curveCost(points: number): { alone: number; withCurve: number; heapMb: number } {
  const page: MetricPoint[] = Array.from({ length: 1000 }, (_, i) => ({ step: i, timestamp: 1_700_000_000_000 + i, value: Math.sin(i) }));
  const pass = (curve?: MetricCurve) => {
    const print = newFingerprint();
    const t = performance.now();
    for (let done = 0; done < points; done += page.length) {
      const shifted = page.map((point) => ({ ...point, step: (point.step as number) + done }));
      for (const point of shifted) addPoint(print, canonicalPoint(point));
      curve?.add(0, shifted);
    }
    curve?.chart(true);
    return performance.now() - t;
  };
  const gc = (globalThis as { gc?: () => void }).gc;
  // The machine is shared: alternate the two passes three times and keep each one's best.
  let alone = Infinity;
  let withCurve = Infinity;
  let heapMb = 0;
  for (let round = 0; round < 3; round++) {
    alone = Math.min(alone, pass());
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const curve = new MetricCurve('m');
    withCurve = Math.min(withCurve, pass(curve));
    gc?.();
    heapMb = Math.max(heapMb, (process.memoryUsage().heapUsed - before) / 1e6);
  }
  return { alone, withCurve, heapMb };
}

const dir = mkdtempSync(join(tmpdir(), 'bench-html-'));
try {
  for (const points of [100_000, 1_000_000]) {
    const { alone, withCurve, heapMb } = curveCost(points);
    console.log(
      `curves while verify streams ${points.toLocaleString('en-US')} points (best of 3): fingerprint alone ${Math.round(alone)} ms, with the curve ${Math.round(withCurve)} ms ` +
        `(x${(withCurve / alone).toFixed(2)}); heap held by the curve afterwards ${heapMb.toFixed(2)} MB`,
    );
  }
  await scenario('typical', dir, 100);
  await scenario('all-different', dir, 1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
