/**
 * Copying a server in use (docs/sync.md): a writer keeps logging to RUNNING runs while the copy
 * runs, and an update pass is killed with SIGKILL at seeded random moments - every point arrives
 * exactly once, and verify says the copy equals the source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { prng } from '../support/prng.js';
import { runCli, startCli, tempDir } from '../support/cli-process.js';

const T0 = 1_700_000_000_000;

function points(key: string, from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({ key, value: Math.cos(from + i), timestamp: T0 + (from + i) * 10, step: from + i }));
}

async function logPoints(api: MlflowApi, runId: string, key: string, from: number, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    await api.call('POST', 'runs/log-batch', { run_id: runId, metrics: points(key, from + i, Math.min(1000, count - i)) });
  }
}

async function historyLength(api: MlflowApi, runId: string, key: string): Promise<number> {
  let total = 0;
  let pageToken: string | undefined;
  do {
    const page = await api.call('GET', 'metrics/get-history', { run_id: runId, metric_key: key, max_results: '25000', ...(pageToken ? { page_token: pageToken } : {}) });
    total += (page.metrics ?? []).length;
    pageToken = page.next_page_token;
  } while (pageToken);
  return total;
}

async function copyOf(api: MlflowApi, experiment: string, sourceRunId: string): Promise<string> {
  const runs = await api.searchRuns((await api.experimentId(experiment))!);
  const copies = runs.filter((run) => run.data.tags.some((t: any) => t.key === 'old_sys/run_id' && t.value === sourceRunId));
  expect(copies).toHaveLength(1);
  return copies[0].info.run_id as string;
}

describe('sync while the source is in use', () => {
  let source: StandinServer;
  let target: StandinServer;
  let src: MlflowApi;

  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    src = new MlflowApi(source.url);
  });
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  const args = (project: string, extra: string[] = []) => [
    'copy', '--source-uri', source.url, '--source-project', project, '--target-uri', target.url, '--target-project', `${project}-copy`, '--no-progress', ...extra,
  ];
  const verify = (project: string) => ['verify', '--source-uri', source.url, '--source-project', project, '--target-uri', target.url, '--target-project', `${project}-copy`];

  it('a writer logs to RUNNING runs while the copy runs three times: the final copy equals the source', async () => {
    const cwd = tempDir('sync-live');
    const ids = await seedProject(src, 'live', [
      { name: 'r1', startTime: T0, status: 'RUNNING', metrics: { loss: points('loss', 0, 10) } },
      { name: 'r2', startTime: T0 + 1, status: 'RUNNING', metrics: { loss: points('loss', 0, 10), acc: points('acc', 0, 3) } },
      { name: 'done', startTime: T0 + 2, endTime: T0 + 5, metrics: { loss: points('loss', 0, 100) } },
    ]);
    const running = [ids.get('r1')!, ids.get('r2')!];
    const next = new Map<string, number>(running.map((id) => [id, 10]));
    let writing = true;
    const writer = (async () => {
      while (writing) {
        for (const runId of running) {
          const from = next.get(runId)!;
          await src.call('POST', 'runs/log-batch', { run_id: runId, metrics: [...points('loss', from, 37), ...points('acc', from, 5)] });
          next.set(runId, from + 37);
        }
        await sleep(5);
      }
    })();

    const first = await runCli(args('live'), { cwd });
    expect(first.code, first.stderr).toBe(0);
    const second = await runCli(args('live'), { cwd });
    expect(second.code, second.stderr).toBe(0);
    writing = false;
    await writer;
    for (const runId of running) await src.call('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: T0 + 999_000 });
    expect(next.get(running[0]!)!).toBeGreaterThan(10 + 37); // the writer did log during the copies

    const third = await runCli(args('live', ['--report', 'third.json']), { cwd });
    expect(third.code, third.stderr).toBe(0);
    const check = await runCli(verify('live'), { cwd });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('Verify clean');
    const dst = new MlflowApi(target.url);
    for (const runId of running) {
      expect(await historyLength(dst, await copyOf(dst, 'live-copy', runId), 'loss')).toBe(next.get(runId)!);
    }
  });

  it('kill -9 during an update pass of 200,000 new points, then a re-run: every point exactly once', async () => {
    const cwd = tempDir('sync-kill');
    const ids = await seedProject(src, 'grow', [
      { name: 'big', startTime: T0, status: 'RUNNING', metrics: { loss: points('loss', 0, 1000) } },
      { name: 'small', startTime: T0 + 1, status: 'RUNNING', metrics: { acc: points('acc', 0, 1000) } },
    ]);
    const first = await runCli(args('grow'), { cwd });
    expect(first.code, first.stderr).toBe(0);
    await logPoints(src, ids.get('big')!, 'loss', 1000, 150_000);
    await logPoints(src, ids.get('small')!, 'acc', 1000, 50_000);
    for (const runId of ids.values()) await src.call('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: T0 + 5_000_000 });

    const random = prng(20261207);
    let kills = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      // Kill once the target took a seeded number of further log-batch requests: mid-append somewhere.
      const writesBefore = target.stats().byRoute['runs/log-batch'] ?? 0;
      const after = 5 + Math.floor(random() * 60);
      const { child, done } = startCli(args('grow'), { cwd });
      const watcher = (async () => {
        while (child.exitCode === null && child.signalCode === null) {
          if ((target.stats().byRoute['runs/log-batch'] ?? 0) - writesBefore >= after) {
            child.kill('SIGKILL');
            return;
          }
          await sleep(2);
        }
      })();
      const result = await done;
      await watcher;
      if (result.signal === 'SIGKILL') kills++;
    }
    expect(kills).toBeGreaterThan(0);

    const final = await runCli(args('grow', ['--report', 'final.json']), { cwd });
    expect(final.code, final.stderr).toBe(0);
    const check = await runCli(verify('grow'), { cwd });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('Verify clean');
    const dst = new MlflowApi(target.url);
    expect(await historyLength(dst, await copyOf(dst, 'grow-copy', ids.get('big')!), 'loss')).toBe(151_000);
    expect(await historyLength(dst, await copyOf(dst, 'grow-copy', ids.get('small')!), 'acc')).toBe(51_000);
  }, 300_000);
});
