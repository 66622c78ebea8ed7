/**
 * The HTML report's "Prompts and scorers" section in a real browser (Debian's chromium,
 * headless): a copy --registry --html between two MLflow stand-ins where one scorer conflicts
 * with the target's own lists every prompt and scorer with copy's outcome, verify's status and
 * the difference, the conflicting scorer marked as a problem.
 * Needs /usr/bin/chromium; without it the test is skipped, and says so.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { haveChromium, launchChromium, openReport } from '../support/browser.js';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { guidelinesScorer, registerScorer } from '../support/scorer-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';

vi.setConfig({ testTimeout: 180_000 });
// In CI a missing browser is a failure, not a skip (.ci/run installs it).
const runBrowserTests = haveChromium() || Boolean(process.env.CI);
if (!runBrowserTests) console.warn('html-report-genai test skipped: /usr/bin/chromium is not installed (apt-get install chromium)');

describe.skipIf(!runBrowserTests)('prompts and scorers in the HTML report', () => {
  let browser: Browser;
  let source: StandinServer;
  let target: StandinServer;
  beforeAll(async () => {
    browser = await launchChromium();
    source = await startStandin();
    target = await startStandin();
  });
  afterAll(async () => {
    await browser?.close();
    await source?.close();
    await target?.close();
  });

  it('lists each prompt and scorer with its outcome, status and differences', async () => {
    const cwd = tempDir('html-genai');
    const api = new MlflowApi(source.url);
    await seedProject(api, 'judged', [{ name: 'eval', startTime: 1_700_000_000_000, endTime: 1_700_000_001_000 }]);
    const experiment = (await api.experimentId('judged'))!;
    await api.call('POST', 'registered-models/create', { name: 'qa', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }, { key: '_mlflow_experiment_ids', value: `,${experiment},` }] });
    await api.call('POST', 'model-versions/create', { name: 'qa', source: 'dummy-source', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }, { key: 'mlflow.prompt.text', value: 'Q: {{q}}' }] });
    await registerScorer(source.url, experiment, 'polite', guidelinesScorer('polite', ['Be polite']));
    await registerScorer(source.url, experiment, 'tone', guidelinesScorer('tone', ['Stay neutral']));
    // The target experiment exists already with its own "tone": a conflict.
    const targetApi = new MlflowApi(target.url);
    await targetApi.call('POST', 'experiments/create', { name: 'judged' });
    await registerScorer(target.url, (await targetApi.experimentId('judged'))!, 'tone', guidelinesScorer('tone', ['Be loud']));

    const result = await runCli([
      'copy', '--source-uri', source.url, '--source-project', 'default/judged', '--target-uri', target.url, '--target-project', 'default/judged',
      '--registry', '--no-progress', '--quiet', '--html', 'out/report.html',
    ], { cwd });
    expect(result.code).toBe(1);
    const { page, problems } = await openReport(browser, join(cwd, 'out/report.html'));
    const rows = page.locator('#prompts-and-scorers tr.genai-row');
    expect(await rows.count()).toBe(3);
    const row = (kind: string, name: string) => page.locator(`#prompts-and-scorers tr.genai-row[data-kind="${kind}"][data-name="${name}"]`);
    expect(await row('prompt', 'qa').locator('.badge').allTextContents()).toEqual(['created', 'ok']);
    expect(await row('scorer', 'polite').locator('.badge').allTextContents()).toEqual(['copied', 'ok']);
    const tone = row('scorer', 'tone');
    expect(await tone.getAttribute('class')).toContain('problem');
    expect(await tone.locator('.badge').allTextContents()).toEqual(['failed', 'different']);
    expect(await tone.locator('ul.differences li').first().textContent()).toContain('holds another serialized scorer');
    expect(problems).toEqual([]);
    await page.close();
  });
});
