/**
 * The HTML report's "Evaluation datasets" section in a real browser (Debian's chromium,
 * headless): the real genai-sqlite dataset copied into an MLflow server with --html shows one
 * dataset copied and verified ok with its five records; a dataset verify found different is a
 * problem row with its differences, and hostile names stay text.
 *
 * Needs /usr/bin/chromium; without it these tests are skipped and say so, except under CI.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli, tempDir } from '../support/cli-process.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { haveChromium, launchChromium, openReport } from '../support/browser.js';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import type { CopyReport } from '../../src/engine/types.js';
import type { VerifyReport } from '../../src/engine/verify.js';
import { HtmlReportCollector } from '../../src/report/collect.js';
import { writeHtmlReport } from '../../src/report/html.js';

vi.setConfig({ testTimeout: 240_000 });

const runBrowserTests = haveChromium() || Boolean(process.env.CI);
if (!runBrowserTests) console.warn('html-report-datasets tests skipped: /usr/bin/chromium is not installed (apt-get install chromium)');

const GOLDEN_DATASET = 'd-db4e85f8d0da465082ac875e79d87b4a';

async function tileValue(page: Page, stat: string): Promise<string> {
  return (await page.locator(`#datasets .tile[data-stat="${stat}"] .value`).textContent()) ?? '';
}

describe.skipIf(!runBrowserTests)('evaluation datasets in the HTML report', () => {
  let browser: Browser;
  let standin: StandinServer;
  const cwd = tempDir('html-datasets');
  let copyReport: CopyReport;
  let verifyReport: VerifyReport;

  beforeAll(async () => {
    browser = await launchChromium();
    standin = await startStandin();
    const locations = ['--source-uri', `sqlite:///${join(GOLDEN_STORES_DIR, 'genai-sqlite', 'mlflow.db')}`, '--source-project', 'genai-fixture', '--target-uri', standin.url, '--target-project', 'copied'];
    const copy = await runCli(['copy', ...locations, '--no-progress', '--report', 'copy.json', '--html', 'out/copy.html'], { cwd });
    expect(copy.code, copy.stderr).toBe(0);
    copyReport = JSON.parse(readFileSync(join(cwd, 'copy.json'), 'utf8')) as CopyReport;
    const verify = await runCli(['verify', ...locations, '--report', 'verify.json'], { cwd });
    expect(verify.code, verify.stderr).toBe(0);
    verifyReport = JSON.parse(readFileSync(join(cwd, 'verify.json'), 'utf8')) as VerifyReport;
  });
  afterAll(async () => {
    await browser?.close();
    await standin?.close();
  });

  it('a copy into a server: one dataset copied, verified ok, five records, no problem row', async () => {
    const { page, problems } = await openReport(browser, join(cwd, 'out/copy.html'));
    expect(await page.locator('#datasets h2').textContent()).toBe('Evaluation datasets');
    expect(await tileValue(page, 'datasets')).toBe('1');
    expect(await tileValue(page, 'datasets copied')).toBe('1');
    expect(await tileValue(page, 'datasets verified ok')).toBe('1');
    expect(await tileValue(page, 'dataset records')).toBe('5');
    const row = page.locator(`tr.dataset-row[data-dataset-id="${GOLDEN_DATASET}"]`);
    expect(await row.locator('.name').textContent()).toBe('genai-fixture-eval');
    expect(await page.locator('tr.dataset-row.problem').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a dataset verify found different is a problem row with its differences; hostile text stays text', async () => {
    const hostile = '</script><script>window.__owned=5</script><img src=x onerror="window.__owned=6">';
    const copy: CopyReport = { ...copyReport, datasets: { ...copyReport.datasets!, datasets: copyReport.datasets!.datasets.map((d) => ({ ...d, name: hostile })) } };
    const checked = verifyReport.datasets!;
    const verify: VerifyReport = {
      ...verifyReport,
      clean: false,
      datasets: {
        ...checked,
        clean: false,
        summary: { ...checked.summary, ok: 0, different: 1 },
        datasets: checked.datasets.map((d) => ({ ...d, status: 'different' as const, differences: [`record dr-1: expectations differ ${hostile}`] })),
      },
    };
    const file = join(cwd, 'different.html');
    writeHtmlReport(file, new HtmlReportCollector().build({ command: 'copy', copy, verify, durationMs: 1, exitStatus: 1 }));
    const { page, problems } = await openReport(browser, file);
    expect(await tileValue(page, 'datasets different')).toBe('1');
    const row = page.locator('tr.dataset-row.problem');
    expect(await row.count()).toBe(1);
    expect(await row.locator('.name').textContent()).toBe(hostile);
    expect(await row.locator('ul.differences li').allTextContents()).toEqual([`record dr-1: expectations differ ${hostile}`]);
    expect(await page.evaluate(() => (globalThis as unknown as { __owned?: number }).__owned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
