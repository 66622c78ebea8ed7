/**
 * The HTML report's file and data, without a browser: the data cannot end its script element,
 * the page allows no network and only its own scripts, secrets are redacted, the file is private,
 * and what is kept per run stays within the published limits.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TraceResult, TracesReport } from '../../src/engine/traces/types.js';
import type { VerifyTraceResult, VerifyTracesReport } from '../../src/engine/traces/verify-traces.js';
import type { CopyReport, RunResult } from '../../src/engine/types.js';
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

/** A copy report with the given runs (and traces), as copy writes it. */
function copyReport(runs: RunResult[], traces?: TracesReport): CopyReport {
  const totals = { params: 0, tags: 0, metricKeys: 0, points: 0, files: 0, bytes: 0 } as CopyReport['summary']['totals'];
  const count = (outcome: string) => runs.filter((run) => run.outcome === outcome).length;
  return {
    tool: 'runs-migrator',
    version: '0.0.0-test',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    dryRun: false,
    source: { uri: 'http://mlflow-a:5000', project: 'default/src', kind: 'mlflow' },
    target: { uri: './mlruns', project: 'default/dst', kind: 'mlruns' },
    summary: {
      listed: runs.length,
      filteredOut: 0,
      outOfShard: 0,
      copied: count('copied'),
      updated: count('updated'),
      skipped: count('skipped'),
      failed: count('failed'),
      planned: 0,
      totals,
      retries: 0,
    },
    projectIssues: [],
    runs,
    ...(traces ? { traces } : {}),
  };
}

function runResult(sourceRunId: string, outcome: RunResult['outcome'], changes?: string[]): RunResult {
  return {
    sourceRunId,
    targetRunId: `copy-of-${sourceRunId}`,
    outcome,
    counts: { params: 1, tags: 0, metricKeys: 1, points: 10, files: 0, bytes: 0 } as RunResult['counts'],
    issues: [],
    ...(changes ? { changes } : {}),
  };
}

function trace(sourceTraceId: string, outcome: TraceResult['outcome'], extra: Partial<TraceResult> = {}): TraceResult {
  return { sourceTraceId, targetTraceId: `copy-of-${sourceTraceId}`, outcome, spans: 3, assessments: 1, notes: [], ...extra };
}

function verifiedTrace(sourceTraceId: string, differences: string[] = []): VerifyTraceResult {
  return { sourceTraceId, targetTraceIds: [`copy-of-${sourceTraceId}`], status: differences.length ? 'different' : 'ok', differences, spans: 3, assessments: 1 };
}

function verifyTracesReport(traces: VerifyTraceResult[]): VerifyTracesReport {
  const summary: VerifyTracesReport['summary'] = { traces: traces.length, ok: 0, missing: 0, partial: 0, duplicated: 0, different: 0, error: 0, extra: 0, spans: 0, assessments: 0 };
  for (const t of traces) {
    summary[t.status]++;
    summary.spans += t.spans;
    summary.assessments += t.assessments;
  }
  return { clean: summary.ok === traces.length, summary, traces, extra: [], notCopied: [] };
}

/** The report's JSON as the page reads it, from the written HTML. */
function embeddedData(html: string): HtmlReportData {
  const json = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html)?.[1];
  return JSON.parse(json!) as HtmlReportData;
}

describe('a sync in the HTML report', () => {
  it('counts updated runs beside copied and skipped, and lists each updated run\'s changes', () => {
    const collector = new HtmlReportCollector();
    const copy = copyReport([
      runResult('new', 'copied'),
      runResult('grown', 'updated', ['status RUNNING -> FINISHED', 'metric loss: 30 new point(s)']),
      runResult('same', 'skipped'),
    ]);
    const verify = verifyReport(['new', 'grown', 'same'].map((id) => compared(collector, id, 'ok', 10)));
    const data = collector.build({ command: 'copy', copy, verify, durationMs: 1, exitStatus: 0 });
    expect(data.summary).toMatchObject({ runs: 3, copied: 1, updated: 1, skipped: 1, failed: 0 });
    const grown = data.runs.find((row) => row.id === 'grown')!;
    expect(grown).toMatchObject({ outcome: 'updated', status: 'ok', changes: 2, changeList: ['status RUNNING -> FINISHED', 'metric loss: 30 new point(s)'] });
    expect(grown.changesOmitted).toBeUndefined();
    expect(data.runs.find((row) => row.id === 'same')!.changes).toBeUndefined();
  });

  it('keeps listing changes only within its size limit, and says how many are not listed', () => {
    const collector = new HtmlReportCollector({ changeBytes: 25, listRows: 3 });
    const copy = copyReport([
      runResult('a', 'updated', ['0123456789', '0123456789', 'x', 'y', 'z']),
      runResult('b', 'updated', ['0123456789']),
    ]);
    const data = collector.build({ command: 'copy', copy, durationMs: 1, exitStatus: 0 });
    const [a, b] = data.runs;
    // listRows caps one run's list at 3 (21 characters); the next run's change would pass the 25 in all.
    expect(a).toMatchObject({ changes: 5, changeList: ['0123456789', '0123456789', 'x'], changesOmitted: '2 more changes not listed (report size limit)' });
    expect(b).toMatchObject({ changes: 1, changeList: [], changesOmitted: '1 more change not listed (report size limit)' });
  });

  it('keeps a change as text: markup in it never reaches the page as markup', () => {
    const collector = new HtmlReportCollector();
    const hostile = 'tag note: "</script><img src=x onerror=alert(1)>"';
    const html = renderHtmlReport(collector.build({ command: 'copy', copy: copyReport([runResult('a', 'updated', [hostile])]), durationMs: 1, exitStatus: 0 }));
    expect(html).not.toContain('<img');
    expect(embeddedData(html).runs[0]!.changeList).toEqual([hostile]);
  });
});

describe('traces in the HTML report', () => {
  it('has no traces section when neither the copy nor verify reported traces', () => {
    const collector = new HtmlReportCollector();
    const data = collector.build({ command: 'copy', copy: copyReport([runResult('a', 'copied')]), durationMs: 1, exitStatus: 0 });
    expect(data.traces).toBeUndefined();
  });

  it("shows copy's counts, verify's statuses, and verify's differences per trace", () => {
    const collector = new HtmlReportCollector();
    const traces: TracesReport = {
      summary: { traces: 3, copied: 2, skipped: 0, failed: 1, planned: 0, unsupported: 0, spans: 6, assessments: 2 },
      traces: [
        trace('t1', 'copied', { name: 'chat', notes: ['run link r9 not pointed at a copy: run not copied'] }),
        trace('t2', 'copied'),
        trace('t3', 'failed', { reason: 'HTTP 500 from target' }),
      ],
      notCopied: [{ kind: 'scorers', count: 2, reason: 'not copied by this version (issue 17)' }],
    };
    const verify = verifyReport([]);
    verify.traces = verifyTracesReport([verifiedTrace('t1'), verifiedTrace('t2', ['span s1 (llm): its document differs']), { ...verifiedTrace('t3'), status: 'missing', targetTraceIds: [], differences: ['no copy in the target'] }]);
    const data = collector.build({ command: 'copy', copy: copyReport([], traces), verify, durationMs: 1, exitStatus: 1 });
    expect(data.traces!.copy).toEqual({ traces: 3, copied: 2, skipped: 0, failed: 1, planned: 0, unsupported: 0, spans: 6, assessments: 2 });
    expect(data.traces!.verify).toEqual({ clean: false, traces: 3, statuses: { ok: 1, different: 1, missing: 1 }, extra: 0, spans: 9, assessments: 3 });
    expect(data.traces!.notCopied).toEqual([{ kind: 'scorers', count: 2, reason: 'not copied by this version (issue 17)' }]);
    expect(data.traces!.rows).toEqual([
      { id: 't1', name: 'chat', targets: ['copy-of-t1'], outcome: 'copied', status: 'ok', spans: 3, assessments: 1, differences: 0, differenceList: [], notes: ['run link r9 not pointed at a copy: run not copied'] },
      { id: 't2', targets: ['copy-of-t2'], outcome: 'copied', status: 'different', spans: 3, assessments: 1, differences: 1, differenceList: ['span s1 (llm): its document differs'], notes: [] },
      { id: 't3', targets: [], outcome: 'failed', status: 'missing', reason: 'HTTP 500 from target', spans: 3, assessments: 1, differences: 1, differenceList: ['no copy in the target'], notes: [] },
    ]);
    expect(data.traces!.rowsLeftOut).toBe(0);
    expect(data.traces!.extra).toEqual([]);
  });

  it('lists trace copies in the target whose source trace is gone', () => {
    const collector = new HtmlReportCollector({ traceRows: 1 });
    const verify = verifyReport([]);
    const traces = verifyTracesReport([]);
    traces.extra = [{ sourceTraceId: 'gone-1', targetTraceId: 'copy-1' }, { sourceTraceId: 'gone-2', targetTraceId: 'copy-2' }];
    traces.summary.extra = 2;
    traces.clean = false;
    verify.traces = traces;
    const data = collector.build({ command: 'verify', verify, durationMs: 1, exitStatus: 1 });
    expect(data.traces!.verify).toMatchObject({ clean: false, extra: 2 });
    // Bounded like the rows: the count says how many there are, the list holds what fits.
    expect(data.traces!.extra).toEqual([{ sourceTraceId: 'gone-1', targetTraceId: 'copy-1' }]);
  });

  it('says why traces were not copied or not compared', () => {
    const collector = new HtmlReportCollector();
    const traces: TracesReport = { summary: { traces: 0, copied: 0, skipped: 0, failed: 0, planned: 0, unsupported: 0, spans: 0, assessments: 0 }, notApplicable: 'a Neptune archive holds no traces', traces: [], notCopied: [] };
    const verify = verifyReport([]);
    verify.traces = { ...verifyTracesReport([]), notCompared: 'the target cannot hold traces' };
    const data = collector.build({ command: 'copy', copy: copyReport([], traces), verify, durationMs: 1, exitStatus: 0 });
    expect(data.traces!.copy!.notApplicable).toBe('a Neptune archive holds no traces');
    expect(data.traces!.verify!.notCompared).toBe('the target cannot hold traces');
  });

  it('keeps traces with a problem first when not every trace fits, and bounds the differences listed', () => {
    const collector = new HtmlReportCollector({ traceRows: 2, traceBytes: 30, listRows: 2, textLength: 12 });
    const verify = verifyReport([]);
    verify.traces = verifyTracesReport([
      verifiedTrace('ok1'),
      verifiedTrace('bad1', ['a difference of more than twelve characters', 'second', 'third']),
      verifiedTrace('ok2'),
      verifiedTrace('bad2', ['0123456789', 'fits no more']),
    ]);
    const data = collector.build({ command: 'verify', verify, durationMs: 1, exitStatus: 1 });
    const section = data.traces!;
    expect(section.rows.map((row) => row.id)).toEqual(['bad1', 'bad2']);
    expect(section.rowsLeftOut).toBe(2);
    const [bad1, bad2] = section.rows;
    // Each text clipped to 12 characters (plus a note saying how much was cut), at most 2 per
    // list, 30 characters listed in all: what does not fit is counted, not listed.
    expect(bad1).toMatchObject({ differences: 3, differenceList: ['second', 'third'], leftOut: 1 });
    expect(bad2).toMatchObject({ differences: 2, differenceList: ['0123456789'], leftOut: 1 });
    const listed = [...bad1!.differenceList, ...bad2!.differenceList].join('').length;
    expect(listed).toBeLessThanOrEqual(30);
  });
});
