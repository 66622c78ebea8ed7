/**
 * The HTML report in a real browser (Debian's chromium, headless): a clean copy of the example
 * store reads as clean, with the right counts and one two-series chart per metric; a copy with one
 * metric point and one file changed afterwards shows the run as different, curves that differ
 * and the file as a mismatch; hostile run data stays text. Screenshots: out/screenshots/.
 *
 * Needs /usr/bin/chromium (.ci/run installs it). Without it these tests are skipped, and say so,
 * except under CI, where they fail.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli-process.js';
import { exampleStore } from '../support/example-store.js';
import { haveChromium, launchChromium, openReport, screenshot } from '../support/browser.js';
import type { CopyReport } from '../../src/engine/types.js';
import { HtmlReportCollector } from '../../src/report/collect.js';
import { writeHtmlReport } from '../../src/report/html.js';

const runBrowserTests = haveChromium() || Boolean(process.env.CI);
if (!runBrowserTests) console.warn('html-report tests skipped: /usr/bin/chromium is not installed (apt-get install chromium)');

/** The metric keys of a run in an mlruns store, from its metrics folder. */
function metricKeys(runDir: string): string[] {
  const root = join(runDir, 'metrics');
  return (readdirSync(root, { recursive: true }) as string[]).filter((name) => statSync(join(root, name)).isFile()).sort();
}

function runDirOf(mlruns: string, runId: string): string {
  for (const experiment of readdirSync(mlruns)) {
    const dir = join(mlruns, experiment, runId);
    try {
      if (statSync(dir).isDirectory()) return dir;
    } catch {
      // not in this experiment
    }
  }
  throw new Error(`run ${runId} not found in ${mlruns}`);
}

async function tileValue(page: Page, stat: string): Promise<string> {
  return (await page.locator(`.tile[data-stat="${stat}"] .value`).textContent()) ?? '';
}

async function expand(page: Page, runId: string): Promise<void> {
  await page.locator(`tr.run-row[data-run-id="${runId}"]`).click();
  await page.waitForSelector(`tr.detail-row[data-run-id="${runId}"]`);
}

/** The parts of a chart card the tests read (the tests compile without the DOM's types). */
interface ChartCard {
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): { uplot?: { series: Array<{ label?: string }>; data: Array<Array<number | null>> } } | null;
}

/** Per chart of the expanded run: its metric, verdict, and the uPlot series with their data. */
function chartsOf(page: Page, runId: string) {
  return page.locator(`tr.detail-row[data-run-id="${runId}"] .chart-card`).evaluateAll((nodes) =>
    nodes.map((node) => {
      const card = node as unknown as ChartCard;
      const plot = card.querySelector('.plot');
      return {
        metric: card.dataset.metric!,
        same: card.dataset.same === 'true',
        differingPoints: Number(card.dataset.differingPoints ?? 0),
        labels: plot?.uplot?.series.slice(1).map((series) => series.label) ?? [],
        data: plot?.uplot?.data ?? [],
      };
    }),
  );
}

describe.skipIf(!runBrowserTests)('the HTML report in a browser', () => {
  let browser: Browser;
  let cwd: string;
  let copyReport: CopyReport;
  let EXAMPLE: string;
  const locations = () => [
    '--source-uri', EXAMPLE, '--source-project', 'default/churn',
    '--target-uri', join(cwd, 'mlruns'), '--target-project', 'default/churn-copy', '--include-deleted', '--quiet',
  ];

  beforeAll(async () => {
    browser = await launchChromium();
    EXAMPLE = await exampleStore();
    cwd = tempDir('html');
    const copy = await runCli(['copy', ...locations(), '--report', 'copy.json', '--html', 'out/copy.html'], { cwd });
    expect(copy.stderr).toBe('');
    expect(copy.code).toBe(0);
    expect(copy.stdout).toContain(`HTML report at ${join(cwd, 'out/copy.html')}`);
    copyReport = JSON.parse(readFileSync(join(cwd, 'copy.json'), 'utf8')) as CopyReport;
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('a clean copy: no console error, the right counts, one chart per metric with two series', async () => {
    const file = join(cwd, 'out/copy.html');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const { page, problems } = await openReport(browser, file);

    expect(await page.locator('#verdict').textContent()).toBe('Copied, verify clean');
    expect(await tileValue(page, 'runs')).toBe('6');
    expect(await tileValue(page, 'copied')).toBe('6');
    expect(await tileValue(page, 'failed')).toBe('0');
    expect(await tileValue(page, 'verified ok')).toBe('6');
    expect(await tileValue(page, 'different')).toBe('0');
    expect(await tileValue(page, 'points')).toBe('14,320');
    expect(await tileValue(page, 'files')).toBe('15');
    expect(await tileValue(page, 'exit status')).toBe('0');
    expect(await page.locator('tr.run-row').count()).toBe(6);
    expect(await page.locator('tr.run-row.problem').count()).toBe(0);

    // The run with the most metrics: every one of them is drawn, source and copy.
    const run = [...copyReport.runs].sort((a, b) => b.counts.metricKeys - a.counts.metricKeys)[0]!;
    const keys = metricKeys(runDirOf(EXAMPLE, run.sourceRunId));
    expect(keys.length).toBeGreaterThan(1);
    await expand(page, run.sourceRunId);
    const charts = await chartsOf(page, run.sourceRunId);
    expect(charts.map((chart) => chart.metric).sort()).toEqual(keys);
    for (const chart of charts) {
      expect(chart).toMatchObject({ same: true, differingPoints: 0, labels: ['source', 'copy'] });
      expect(chart.data[1]).toEqual(chart.data[2]);
      expect(chart.data[0]!.length).toBeGreaterThan(0);
    }
    expect(await page.locator(`tr.detail-row[data-run-id="${run.sourceRunId}"] .uplot`).count()).toBe(keys.length);
    expect(await page.locator('tr.file.differs').count()).toBe(0);
    await screenshot(page, 'html-report-clean');

    // Sortable and filterable: most points first; a filter by name keeps the matching runs.
    await page.locator('th[data-key="points"] button').click();
    const mostPoints = [...copyReport.runs].sort((a, b) => b.counts.points - a.counts.points)[0]!;
    expect(await page.locator('tr.run-row').first().getAttribute('data-run-id')).toBe(mostPoints.sourceRunId);
    await page.locator('input.search').fill('xgb-depth');
    expect(await page.locator('tr.run-row .name').allTextContents()).toEqual(expect.arrayContaining(['xgb-depth-4', 'xgb-depth-8']));
    expect(await page.locator('tr.run-row').count()).toBe(copyReport.runs.filter((r) => r.sourceName?.includes('xgb-depth')).length);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a tampered copy: the run is different, its curves differ, the file is a mismatch', async () => {
    const run = copyReport.runs.find((candidate) => candidate.counts.files > 0 && candidate.counts.metricKeys > 0)!;
    const targetDir = runDirOf(join(cwd, 'mlruns'), run.targetRunId!);
    const metric = metricKeys(targetDir)[0]!;
    // One point of the copy gets another value (same timestamp and step, same number of lines).
    const metricFile = join(targetDir, 'metrics', metric);
    const lines = readFileSync(metricFile, 'utf8').split('\n');
    const middle = Math.floor((lines.length - 1) / 2);
    const [timestamp, value, step] = lines[middle]!.split(' ');
    lines[middle] = `${timestamp} ${Number(value) + 5} ${step}`;
    writeFileSync(metricFile, lines.join('\n'));
    // One file of the copy gets other bytes of the same size.
    const filePath = 'model/requirements.txt';
    const copyFile = join(targetDir, 'artifacts', filePath);
    const bytes = readFileSync(copyFile);
    bytes[0] = bytes[0] === 0x58 ? 0x59 : 0x58;
    writeFileSync(copyFile, bytes);

    const verify = await runCli(['verify', ...locations(), '--html', 'verify.html'], { cwd });
    expect(verify.code).toBe(1);
    const { page, problems } = await openReport(browser, join(cwd, 'verify.html'));

    expect(await page.locator('#verdict').textContent()).toMatch(/^Verify found \d+ problems?$/);
    expect(await tileValue(page, 'different')).toBe('1');
    expect(await tileValue(page, 'verified ok')).toBe('5');
    expect(await tileValue(page, 'exit status')).toBe('1');
    const row = page.locator(`tr.run-row[data-run-id="${run.sourceRunId}"]`);
    expect(await row.getAttribute('class')).toContain('problem');
    expect(await row.locator('.badge').textContent()).toBe('different');
    // Problems first: the different run is the table's first row.
    expect(await page.locator('tr.run-row').first().getAttribute('data-run-id')).toBe(run.sourceRunId);

    await expand(page, run.sourceRunId);
    const charts = await chartsOf(page, run.sourceRunId);
    const changed = charts.find((chart) => chart.metric === metric)!;
    expect(changed.same).toBe(false);
    expect(changed.differingPoints).toBeGreaterThan(0);
    expect(changed.labels).toEqual(['source', 'copy', 'differs']);
    expect(changed.data[1]).not.toEqual(changed.data[2]);
    // The changed value is drawn on the copy's curve and not on the source's.
    expect(changed.data[2]).toContain(Number(value) + 5);
    expect(changed.data[1]).not.toContain(Number(value) + 5);
    for (const other of charts.filter((chart) => chart.metric !== metric)) expect(other).toMatchObject({ same: true, differingPoints: 0 });
    const detail = page.locator(`tr.detail-row[data-run-id="${run.sourceRunId}"]`);
    expect(await detail.locator(`.chart-card[data-metric="${metric}"] .badge`).textContent()).toBe('DIFFERS');

    const fileRow = detail.locator('tr.file', { hasText: filePath });
    expect(await fileRow.locator('.badge').textContent()).toBe('MISMATCH');
    expect(await detail.locator('tr.file .badge', { hasText: 'MISMATCH' }).count()).toBe(1);
    expect(await detail.locator('.differences li').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining(`metric ${metric}: histories differ`), expect.stringContaining(`file ${filePath}: sha256 differs`)]),
    );
    await screenshot(page, 'html-report-tampered');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('refuses an --html path it cannot write before anything is copied', async () => {
    const dir = tempDir('html-bad');
    writeFileSync(join(dir, 'a-file'), '');
    const args = ['copy', ...locations().map((arg) => arg.replace(join(cwd, 'mlruns'), join(dir, 'mlruns'))), '--html', 'a-file/report.html'];
    const result = await runCli(args, { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--html ${join(dir, 'a-file/report.html')}: cannot write in ${join(dir, 'a-file')}`);
    expect(readdirSync(dir)).toEqual(['a-file']);
  });

  it('shows hostile run data as text: no markup from a run reaches the document', async () => {
    const hostile = '</script><script>window.__owned=1</script><!-- <img src=x onerror="window.__owned=2">';
    const collector = new HtmlReportCollector();
    const report: CopyReport = {
      ...copyReport,
      runs: [{ ...copyReport.runs[0]!, sourceName: hostile, outcome: 'failed', reason: hostile }],
    };
    const file = join(cwd, 'hostile.html');
    writeHtmlReport(file, collector.build({ command: 'copy', copy: report, durationMs: 1, exitStatus: 1 }));
    const html = readFileSync(file, 'utf8');
    expect(html).not.toContain('<img src=x');
    expect(html.match(/<\/script>/g)).toHaveLength(3); // the data, uPlot and the page: nothing else closes a script
    const { page, problems } = await openReport(browser, file);
    expect(await page.evaluate(() => (globalThis as unknown as { __owned?: number }).__owned)).toBeUndefined();
    expect(await page.locator('tr.run-row .name').textContent()).toBe(hostile);
    expect(await page.locator('tr.run-row .reason').textContent()).toBe(hostile);
    expect(await page.locator('img').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a sync and traces: the updated tile, an updated run's changes, the traces section, all as text", async () => {
    const hostile = '</script><script>window.__owned=3</script><img src=x onerror="window.__owned=4">';
    const collector = new HtmlReportCollector();
    const run = copyReport.runs[0]!;
    const report: CopyReport = {
      ...copyReport,
      summary: { ...copyReport.summary, copied: 0, updated: 1, skipped: 0 },
      runs: [{ ...run, outcome: 'updated', changes: ['status RUNNING -> FINISHED', hostile] }],
      traces: {
        summary: { traces: 1, copied: 0, skipped: 0, failed: 1, planned: 0, unsupported: 0, spans: 0, assessments: 0 },
        traces: [{ sourceTraceId: 'tr-1', name: hostile, outcome: 'failed', reason: hostile, spans: 2, assessments: 1, notes: [] }],
        notCopied: [],
      },
    };
    const file = join(cwd, 'sync.html');
    writeHtmlReport(file, collector.build({ command: 'copy', copy: report, durationMs: 1, exitStatus: 1 }));
    const { page, problems } = await openReport(browser, file);
    expect(await tileValue(page, 'updated')).toBe('1');
    expect(await tileValue(page, 'traces failed')).toBe('1');
    await expand(page, run.sourceRunId);
    const changes = page.locator(`tr.detail-row[data-run-id="${run.sourceRunId}"] [data-list="changes"] li`);
    expect(await changes.allTextContents()).toEqual(['status RUNNING -> FINISHED', hostile]);
    expect(await page.locator('tr.trace-row[data-trace-id="tr-1"] .name').textContent()).toBe(hostile);
    expect(await page.evaluate(() => (globalThis as unknown as { __owned?: number }).__owned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
