/**
 * A whole server in one command, with one report (issue 20): `copy --all-projects --all-workspaces
 * --report PATH --html PATH` from a workspaces stand-in to another gives ONE JSON report with a
 * section per experiment (verify's verdict in each) and ONE HTML page, opened in a real browser
 * (Debian's chromium, like test/e2e/html-report.test.ts): a row per experiment, every run of every
 * experiment in the runs table, a click on an experiment shows its runs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { haveChromium, launchChromium, openReport, screenshot } from '../support/browser.js';

const runBrowserTests = haveChromium() || Boolean(process.env.CI);
if (!runBrowserTests) console.warn('all-projects-html browser test skipped: /usr/bin/chromium is not installed (apt-get install chromium)');

function runs(prefix: string, count: number): SeedRun[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${i}`,
    startTime: 1_700_000_000_000 + i * 1000,
    endTime: 1_700_000_000_900 + i * 1000,
    params: { i: String(i) },
    metrics: { acc: [{ value: i / 10, timestamp: 1_700_000_000_100 + i, step: i }] },
  }));
}

async function createWorkspace(server: StandinServer, name: string): Promise<void> {
  const response = await fetch(`${server.url}/api/3.0/mlflow/workspaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  expect(response.status).toBe(201);
}

describe('copy --all-projects --report --html: one report and one page for a whole server', () => {
  let source: StandinServer;
  let target: StandinServer;
  let cwd: string;
  let stdout: string;
  beforeAll(async () => {
    source = await startStandin({ workspaces: true });
    target = await startStandin({ workspaces: true });
    await createWorkspace(source, 'team-a');
    await createWorkspace(source, 'team-b');
    await seedProject(new MlflowApi(source.url), 'shared', runs('d', 2));
    await seedProject(new MlflowApi(source.url, { workspace: 'team-a' }), 'churn', runs('a', 3));
    await seedProject(new MlflowApi(source.url, { workspace: 'team-b' }), 'churn', runs('b', 1));
    cwd = tempDir('all-projects-html');
    const result = await runCli(
      ['copy', '--source-uri', source.url, '--target-uri', target.url, '--all-projects', '--all-workspaces', '--no-progress',
        '--report', 'whole.json', '--html', 'pages/whole.html'],
      { cwd },
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    stdout = result.stdout;
  }, 180_000);
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  it('writes one JSON report, named by --report, with a section per experiment and verify clean in each', () => {
    expect(stdout).toContain(`Whole-store report at ${join(cwd, 'whole.json')}`);
    expect(statSync(join(cwd, 'whole.json')).mode & 0o777).toBe(0o600);
    const whole = JSON.parse(readFileSync(join(cwd, 'whole.json'), 'utf8'));
    const projects = Number(/(\d+) project\(s\) in/.exec(stdout)![1]);
    expect(whole.projects).toHaveLength(projects);
    const byName = new Map<string, any>(whole.projects.map((p: any) => [p.project, p]));
    expect(byName.get('default/shared')).toMatchObject({ exitCode: 0, summary: { copied: 2 }, verify: { clean: true, summary: { ok: 2 } } });
    expect(byName.get('team-a/churn')).toMatchObject({ exitCode: 0, summary: { copied: 3 }, verify: { clean: true, summary: { ok: 3 } } });
    expect(byName.get('team-b/churn')).toMatchObject({ exitCode: 0, summary: { copied: 1 }, verify: { clean: true, summary: { ok: 1 } } });
    // Each experiment keeps its own full report beside its log; no other file takes the --report name.
    expect(readFileSync(byName.get('team-a/churn').report, 'utf8')).toContain('"copied": 3');
    expect(byName.get('team-a/churn').report).not.toBe(join(cwd, 'whole.json'));
  });

  it('writes one HTML page for the whole server, no page per experiment', () => {
    expect(stdout.match(/HTML report at /g)).toHaveLength(1);
    expect(stdout).toContain(`HTML report at ${join(cwd, 'pages/whole.html')}`);
    expect(readdirSync(join(cwd, 'pages'))).toEqual(['whole.html']);
    expect(readdirSync(cwd).filter((name) => name.endsWith('.html'))).toEqual([]);
    expect(statSync(join(cwd, 'pages/whole.html')).mode & 0o777).toBe(0o600);
  });

  describe.runIf(runBrowserTests)('in a browser', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('shows a row per experiment and every run; a click on an experiment shows its runs', async () => {
      const { page, problems } = await openReport(browser, join(cwd, 'pages/whole.html'));
      const projects = Number(/(\d+) project\(s\) in/.exec(stdout)![1]);
      expect(await page.locator('#verdict').textContent()).toBe('Copied, verify clean');
      expect(await page.locator('.tile[data-stat="copied"] .value').textContent()).toBe('6');
      expect(await page.locator('tr.project-row').count()).toBe(projects);
      expect(await page.locator('tr.project-row.problem').count()).toBe(0);
      const teamA = page.locator('tr.project-row[data-project="team-a/churn"]');
      expect(await teamA.locator('td').allTextContents()).toEqual(['team-a/churn', '3', '3', '0', '0', '0', 'clean', '0']);
      expect(await page.locator('tr.run-row').count()).toBe(6);

      await teamA.click();
      expect(await page.locator('tr.run-row').count()).toBe(3);
      expect(await page.locator('tr.run-row td.project').allTextContents()).toEqual(['team-a/churn', 'team-a/churn', 'team-a/churn']);
      expect((await page.locator('tr.run-row .name').allTextContents()).sort()).toEqual(['a-0', 'a-1', 'a-2']);
      await page.locator('tr.project-row[data-project="team-b/churn"]').click();
      expect(await page.locator('tr.run-row .name').allTextContents()).toEqual(['b-0']);
      await screenshot(page, 'all-projects-html');
      expect(problems).toEqual([]);
    });
  });
});
