/**
 * Exactly once under crashes and faults (DESIGN rule 2): a migration killed with SIGKILL at
 * seeded random moments and run again until it finishes leaves every run copied exactly once,
 * with no duplicated or missing points - and verify says so. The same for a target that fails
 * requests. (scripts/torture.ts runs the long variants.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { mixedRuns } from '../support/mixed-project.js';
import { prng } from '../support/prng.js';
import { runCli, startCli, tempDir } from '../support/cli-process.js';

const RUNS = 40;

describe('crash and resume', () => {
  let source: StandinServer;
  let target: StandinServer;

  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    await seedProject(new MlflowApi(source.url), 'mixed', mixedRuns(RUNS, 7));
  });
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  const args = (extra: string[] = []) => ['copy', '--source-uri', source.url, '--source-project', 'mixed', '--target-uri', target.url, '--target-project', 'mixed-copy', '--workers', '4', '--no-progress', ...extra];

  it('converges after SIGKILLs at random moments: every run exactly once, verify clean', async () => {
    const cwd = tempDir('crash');
    const random = prng(20261127);
    let kills = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      // Kill after a seeded number of finished runs (plus the moment the line arrives): mid-run somewhere.
      const after = 1 + Math.floor(random() * 8);
      const { done } = startCli(args(), { cwd, killWhen: (stderr) => (stderr.match(/\] copied /g)?.length ?? 0) >= after });
      const result = await done;
      if (result.signal === 'SIGKILL') kills++;
    }
    expect(kills).toBeGreaterThan(0);
    const final = await runCli(args(['--verify']), { cwd });
    expect(final.stdout).toContain('Verify clean');
    expect(final.code).toBe(0);

    const api = new MlflowApi(target.url);
    const runs = await api.searchRuns((await api.experimentId('mixed-copy'))!, 'ACTIVE_ONLY');
    const complete = runs.filter((run: any) => run.data.tags?.some((tag: any) => tag.key === 'runs_migrator.completed'));
    expect(complete).toHaveLength(RUNS);
    expect(runs).toHaveLength(RUNS);
    expect(new Set(complete.map((run: any) => run.data.tags.find((t: any) => t.key === 'old_sys/run_id').value)).size).toBe(RUNS);
  });

  it('completes through injected faults (503, 429, resets, truncated and slow responses) and counts retries', async () => {
    const cwd = tempDir('faults');
    // 8 % of requests: since a small run takes about 40 % fewer target requests (issue 9), 5 % no
    // longer reached the 10 faults this test asks for; a higher rate keeps it as hard as before.
    const faulty = await startStandin({ faults: { rate: 0.08, seed: 11, retryAfterSeconds: 0, slowMs: 1500 } });
    try {
      const env = { MLFLOW_HTTP_REQUEST_TIMEOUT: '1', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.05', MLFLOW_HTTP_REQUEST_MAX_RETRIES: '10' };
      const result = await runCli(
        ['copy', '--source-uri', source.url, '--source-project', 'mixed', '--target-uri', faulty.url, '--target-project', 'mixed-copy', '--workers', '4', '--no-progress', '--report', 'report.json'],
        { cwd, env },
      );
      expect(result.code).toBe(0);
      faulty.setFaults(undefined);
      const verify = await runCli(['verify', '--source-uri', source.url, '--source-project', 'mixed', '--target-uri', faulty.url, '--target-project', 'mixed-copy'], { cwd, env });
      expect(verify.stdout).toContain('Verify clean');
      expect(verify.code).toBe(0);
      const stats = faulty.stats();
      const injected = Object.values(stats.faults).reduce((a, b) => a + b, 0);
      expect(injected).toBeGreaterThan(10);
      const report = JSON.parse(readFileSync(join(cwd, 'report.json'), 'utf8'));
      expect(report.summary.retries).toBeGreaterThanOrEqual(injected - 2);
      const log = readdirSync(cwd).find((name) => name.endsWith('.log'))!;
      const retryLines = readFileSync(join(cwd, log), 'utf8').split('\n').filter((line) => / WARNING Retrying /.test(line));
      expect(retryLines.length).toBe(report.summary.retries);
    } finally {
      await faulty.close();
    }
  });
});
