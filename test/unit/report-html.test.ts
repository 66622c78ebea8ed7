/**
 * The HTML report's file and data, without a browser: the data cannot end its script element,
 * the page allows no network and only its own scripts, secrets are redacted, the file is private,
 * and what is kept per run stays within the published limits.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VerifyReport, VerifyRunResult } from '../../src/engine/verify.js';
import { HtmlReportCollector } from '../../src/report/collect.js';
import { embeddedJson, renderHtmlReport, writeHtmlReport } from '../../src/report/html.js';
import type { HtmlReportData } from '../../src/report/report-data.js';
import { createRedactor } from '../../src/util/redact.js';

const dir = mkdtempSync(join(tmpdir(), 'report-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verifyReport(runs: VerifyRunResult[]): VerifyReport {
  return {
    tool: 'runs-migrator',
    version: '0.0.0-test',
    command: 'verify',
    checkedAt: '2026-01-01T00:00:00.000Z',
    source: { uri: 'http://mlflow-a:5000', project: 'default/src', kind: 'mlflow' },
    target: { uri: './mlruns', project: 'default/dst', kind: 'mlruns' },
    clean: runs.every((run) => run.status === 'ok'),
    summary: { runs: runs.length, ok: 0, missing: 0, partial: 0, duplicated: 0, different: 0, error: 0, extra: 0, points: 0, files: 0, bytes: 0 },
    runs,
    extra: [],
  };
}

/** Runs a run's comparison through the collector as verify would: params, a metric, a file. */
function compared(collector: HtmlReportCollector, runId: string, status: 'ok' | 'different', points = 2000): VerifyRunResult {
  const observer = collector.observe({ runId, status: 'FINISHED', deleted: false });
  observer.keyValues?.('param', [{ key: 'lr', value: '0.1' }], [{ key: 'lr', value: status === 'ok' ? '0.1' : '0.2' }], new Set());
  observer.issues?.([]);
  const page = Array.from({ length: points }, (_, step) => ({ step, timestamp: step, value: Math.sqrt(step) }));
  observer.metricPage?.('loss', 'source', page);
  observer.metricPage?.('loss', 'copy', page);
  observer.metricCompared?.('loss', true);
  observer.file?.({ path: 'model.pkl', sourceSize: 3, copySize: 3, sourceSha256: 'a', copySha256: status === 'ok' ? 'a' : 'b' });
  const result: VerifyRunResult = {
    sourceRunId: runId,
    targetRunIds: [`copy-of-${runId}`],
    status,
    differences: status === 'ok' ? [] : ['param lr: source "0.1", copy "0.2"', 'file model.pkl: sha256 differs'],
    points: points,
    files: 1,
    bytes: 3,
  };
  collector.runChecked(result);
  return result;
}

describe('the HTML report file', () => {
  it('embeds JSON that no run value can break out of', () => {
    const hostile = '</script><!--<script>alert(1)</script>\u2028&';
    const text = embeddedJson(JSON.stringify({ name: hostile }));
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual({ name: hostile });
  });

  it('allows only its own inlined scripts and style, and no network at all', () => {
    const collector = new HtmlReportCollector();
    const runs = [compared(collector, 'r1', 'ok')];
    const html = renderHtmlReport(collector.build({ command: 'verify', verify: verifyReport(runs), durationMs: 5, exitStatus: 0 }));
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    expect(csp).toMatch(/^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+' 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-[A-Za-z0-9+/=]+';/);
    expect(csp).not.toContain('unsafe');
    expect(html).not.toMatch(/<(link|img|iframe)\b|\ssrc=/i);
    expect(html.match(/<script>/g)).toHaveLength(2);
  });

  it('is written private, atomically, with credentials redacted', () => {
    const collector = new HtmlReportCollector();
    const runs = [compared(collector, 'r1', 'different')];
    runs[0]!.differences.push('error from http://user:s3cret-token@host');
    const data = collector.build({ command: 'verify', verify: verifyReport(runs), durationMs: 5, exitStatus: 1 });
    data.runs[0]!.reason = 'token s3cret-token leaked';
    const path = join(dir, 'report.html');
    writeHtmlReport(path, data, createRedactor(['s3cret-token']));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['report.html']);
    const html = readFileSync(path, 'utf8');
    expect(html).not.toContain('s3cret-token');
    expect(html).toContain('token *** leaked');
  });
});

describe('what the HTML report keeps per run', () => {
  it('gives every run a row, details to every run with a difference and to the first clean runs', () => {
    const collector = new HtmlReportCollector({ cleanRuns: 2 });
    const runs = [
      compared(collector, 'c1', 'ok'),
      compared(collector, 'd1', 'different'),
      compared(collector, 'c2', 'ok'),
      compared(collector, 'c3', 'ok'),
      compared(collector, 'd2', 'different'),
    ];
    const data: HtmlReportData = collector.build({ command: 'verify', verify: verifyReport(runs), durationMs: 1, exitStatus: 1 });
    expect(data.runs.map((row) => [row.id, row.detail !== undefined])).toEqual([
      ['c1', true],
      ['d1', true],
      ['c2', true],
      ['c3', false],
      ['d2', true],
    ]);
    expect(data.runs[3]!.detailOmitted).toMatch(/first 2 clean runs/);
    expect(data.limits.detailsLeftOut).toBe(1);
    expect(data.summary).toMatchObject({ runs: 5, verified: true, clean: false, statuses: { ok: 3, different: 2 }, exitStatus: 1 });

    const d1 = data.runs[1]!;
    expect(d1).toMatchObject({ status: 'different', reason: 'param lr: source "0.1", copy "0.2"', differences: 2, counts: { params: 1, metrics: 1, points: 2000 } });
    expect(d1.detail!.params).toEqual([['lr', '0.1', '0.2', 'differs']]);
    expect(d1.detail!.files).toEqual([{ path: 'model.pkl', sourceSize: 3, copySize: 3, sha256Match: false, sourceSha256: 'a', copySha256: 'b' }]);
    const chart = d1.detail!.metrics[0]!;
    expect(chart).toMatchObject({ key: 'loss', same: true, axis: 'step', points: [2000, 2000] });
    expect(chart.rows.x.length).toBeLessThanOrEqual(data.limits.pointsPerSeries);
  });

  it('drops chart points first, then whole details, when the size budget runs out', () => {
    // A budget that takes one run's details without their chart points, and not two.
    const unlimited = new HtmlReportCollector();
    const detail = unlimited.build({ command: 'verify', verify: verifyReport([compared(unlimited, 'd0', 'different', 500)]), durationMs: 1, exitStatus: 1 }).runs[0]!.detail!;
    for (const chart of detail.metrics) Object.assign(chart, { rows: { x: [], source: [], copy: [] }, omitted: 'not drawn: the report reached its size limit' });
    const withoutPoints = JSON.stringify(detail).length;
    const collector = new HtmlReportCollector({ otherBytes: Math.floor(withoutPoints * 1.5) });
    const runs = [compared(collector, 'd1', 'different', 500), compared(collector, 'd2', 'different', 500)];
    const data = collector.build({ command: 'verify', verify: verifyReport(runs), durationMs: 1, exitStatus: 1 });
    const [first, second] = data.runs;
    expect(first!.detail!.metrics[0]).toMatchObject({ rows: { x: [] }, omitted: 'not drawn: the report reached its size limit' });
    expect(first!.detail!.params).toHaveLength(1);
    expect(second!.detail).toBeUndefined();
    expect(second!.detailOmitted).toBe('details left out: the report reached its size limit');
  });

  it('keeps a chart that differs before one that does not, within a run', () => {
    const collector = new HtmlReportCollector({ chartBytesPerRun: 40_000 });
    const observer = collector.observe({ runId: 'r', status: 'FINISHED', deleted: false });
    const page = Array.from({ length: 5000 }, (_, step) => ({ step, timestamp: step, value: Math.sin(step) }));
    for (const [key, same] of [['a', true], ['b', false]] as const) {
      observer.metricPage?.(key, 'source', page);
      observer.metricPage?.(key, 'copy', page);
      observer.metricCompared?.(key, same);
    }
    const run = compared(new HtmlReportCollector(), 'unused', 'ok');
    collector.runChecked({ ...run, sourceRunId: 'r', status: 'different', differences: ['metric b: histories differ'] });
    const data = collector.build({ command: 'verify', verify: verifyReport([{ ...run, sourceRunId: 'r', status: 'different' }]), durationMs: 1, exitStatus: 1 });
    const [a, b] = data.runs[0]!.detail!.metrics;
    expect(a).toMatchObject({ key: 'a', rows: { x: [] } });
    expect(a!.omitted).toBe("not drawn: the report keeps about 40 kB of curves per run");
    expect(b!.key).toBe('b');
    expect(b!.rows.x.length).toBeGreaterThan(0);
  });
});
