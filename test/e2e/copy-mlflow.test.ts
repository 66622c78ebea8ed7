/**
 * End to end through the CLI, between two real HTTP MLflow stand-ins: what a user sees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';
import { filesBelow, runCli, tempDir } from '../support/cli-process.js';

const T0 = 1_700_000_000_000;

function history(count: number, offset = 0) {
  return Array.from({ length: count }, (_, step) => ({ value: Math.cos(step + offset) * 10, timestamp: T0 + step * 1000, step }));
}

const RUNS: SeedRun[] = [
  {
    name: 'sweep',
    startTime: T0,
    endTime: T0 + 60_000,
    user: 'alice',
    params: { search: 'grid', 'optimizer/name': 'adam' },
    tags: { 'mlflow.note.content': 'the parent', 'mlflow.source.name': 'sweep.py', team: 'churn' },
    metrics: { best_auc: history(3) },
  },
  {
    name: 'trial-1',
    parent: 'sweep',
    startTime: T0 + 1_000,
    endTime: T0 + 30_000,
    status: 'FAILED',
    user: 'alice',
    params: { lr: '0.1' },
    metrics: {
      loss: history(3_500),
      odd: [
        { value: Number.NaN, timestamp: T0, step: 0 },
        { value: Number.POSITIVE_INFINITY, timestamp: T0 + 1, step: 1 },
        { value: -0.5, timestamp: T0 + 2, step: 2 },
      ],
    },
    files: { 'model/weights.bin': Buffer.from([0, 255, 1, 254, 10, 13]), 'model/conf/params.json': '{"lr": 0.1}\n', 'README.md': '# trial\n' },
    dataset: { name: 'churn-train', digest: 'd1g3st', context: 'training' },
  },
  { name: 'trial-2', parent: 'sweep', startTime: T0 + 2_000, endTime: T0 + 40_000, params: { lr: '0.01' }, metrics: { loss: history(500, 1) } },
  { name: 'scratch', startTime: T0 + 5_000, endTime: T0 + 6_000, status: 'KILLED', deleted: true, metrics: { x: history(10) } },
];

function copyArgs(source: StandinServer, target: StandinServer, extra: string[] = []): string[] {
  return ['copy', '--source-uri', source.url, '--source-project', 'default/churn', '--target-uri', target.url, '--target-project', 'default/churn-copy', '--no-progress', ...extra];
}

function verifyArgs(source: StandinServer, target: StandinServer, extra: string[] = []): string[] {
  return ['verify', '--source-uri', source.url, '--source-project', 'default/churn', '--target-uri', target.url, '--target-project', 'default/churn-copy', ...extra];
}

describe('copy between two MLflow servers', () => {
  let source: StandinServer;
  let target: StandinServer;
  let sourceIds: Map<string, string>;
  const cwd = tempDir('e2e-mlflow');

  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    sourceIds = await seedProject(new MlflowApi(source.url), 'churn', RUNS, { 'mlflow.note.content': 'churn models', owner: 'ml-team' });
  });
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  it('a dry run prints the plan with counts and writes nothing', async () => {
    const result = await runCli(copyArgs(source, target, ['--dry-run', '--include-deleted']), { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/to copy: +4 runs \(.*4016 points/);
    expect(result.stdout).toContain('nothing was written');
    expect(await new MlflowApi(target.url).experimentId('churn-copy')).toBeUndefined();
    expect(filesBelow(cwd)).toEqual([]);
  });

  it('copies every run with its info, params, tags, histories, inputs and artifacts, and verify is clean', async () => {
    const result = await runCli(copyArgs(source, target, ['--include-deleted', '--workers', '3', '--log-file', 'copy.log', '--report', 'copy.json']), { cwd });
    expect(result.stderr).not.toMatch(/failed/i);
    expect(result.code).toBe(0);

    const api = new MlflowApi(target.url);
    const experimentId = (await api.experimentId('churn-copy'))!;
    const experiment = await api.call('GET', 'experiments/get', { experiment_id: experimentId });
    const experimentTags = Object.fromEntries(experiment.experiment.tags.map((t: { key: string; value: string }) => [t.key, t.value]));
    expect(experimentTags).toMatchObject({ 'mlflow.note.content': 'churn models', owner: 'ml-team' });

    const runs = await api.searchRuns(experimentId);
    expect(runs).toHaveLength(4);
    const byName = new Map(runs.map((run: any) => [run.info.run_name, run]));
    const tagsOf = (run: any) => Object.fromEntries((run.data.tags ?? []).map((t: any) => [t.key, t.value]));
    const trial = byName.get('trial-1');
    expect(trial.info).toMatchObject({ start_time: T0 + 1_000, end_time: T0 + 30_000, status: 'FAILED', user_id: 'alice', lifecycle_stage: 'active' });
    expect(tagsOf(trial)).toMatchObject({
      'old_sys/run_id': sourceIds.get('trial-1'),
      'old_sys/project': 'default/churn',
      'old_sys/uri': source.url,
      'mlflow.parentRunId': byName.get('sweep').info.run_id,
      'old_sys/parent_run_id': sourceIds.get('sweep'),
    });
    expect(tagsOf(trial)['runs_migrator.completed']).toMatch(/^\d{4}-/);
    expect(byName.get('scratch').info.lifecycle_stage).toBe('deleted');

    const history = await api.call('GET', 'metrics/get-history', { run_id: trial.info.run_id, metric_key: 'odd', max_results: '100' });
    expect(history.metrics.map((m: any) => m.value)).toEqual(['NaN', 1.7976931348623157e308, -0.5]);

    const log = readFileSync(join(cwd, 'copy.log'), 'utf8');
    expect(log).toContain(`Copied default/churn/${sourceIds.get('trial-1')} to default/churn-copy/${trial.info.run_id}`);
    const report = JSON.parse(readFileSync(join(cwd, 'copy.json'), 'utf8'));
    expect(report.summary).toMatchObject({ copied: 4, failed: 0, skipped: 0 });
    const trialResult = report.runs.find((r: any) => r.sourceRunId === sourceIds.get('trial-1'));
    expect(trialResult.counts).toMatchObject({ params: 1, metricKeys: 2, points: 3_503, files: 3, inputs: 1 });
    // The source server already stores +Infinity as the largest double, so nothing is mapped on the way.
    expect(trialResult.issues).toEqual([]);

    const verify = await runCli(verifyArgs(source, target, ['--include-deleted']), { cwd });
    expect(verify.stdout).toContain('Verify clean');
    expect(verify.code).toBe(0);
  });

  it('a second run copies nothing and says so; a new source run is picked up', async () => {
    const again = await runCli(copyArgs(source, target, ['--include-deleted']), { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Copied 0, skipped 4/);

    const api = new MlflowApi(source.url);
    const experimentId = (await api.experimentId('churn'))!;
    const created = await api.call('POST', 'runs/create', { experiment_id: experimentId, run_name: 'late', start_time: T0 + 99_000 });
    await api.call('POST', 'runs/update', { run_id: created.run.info.run_id, status: 'FINISHED', end_time: T0 + 99_500 });

    const third = await runCli(copyArgs(source, target, ['--include-deleted']), { cwd });
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/Copied 1, skipped 4/);
    const targetRuns = await new MlflowApi(target.url).searchRuns((await new MlflowApi(target.url).experimentId('churn-copy'))!);
    expect(targetRuns).toHaveLength(5);
  });

  it('filters select runs by name, tag, status, id and start time, and shards split them', async () => {
    const dry = async (extra: string[]) => {
      const result = await runCli(copyArgs(source, target, ['--dry-run', '--target-project', 'default/filtered', ...extra]), { cwd });
      expect(result.code).toBe(0);
      return Number(/to copy: +(\d+) run/.exec(result.stdout)?.[1]);
    };
    expect(await dry(['--run-name', '^trial-'])).toBe(2);
    expect(await dry(['--tag', 'team=churn'])).toBe(1);
    expect(await dry(['--status', 'failed'])).toBe(1);
    expect(await dry(['--run-id', sourceIds.get('trial-2')!])).toBe(1);
    expect(await dry(['--since', String(T0 + 1_500), '--until', String(T0 + 10_000)])).toBe(1);
    expect(await dry(['--filter', "attributes.run_name = 'trial-2'"])).toBe(1);
    const shards = (await dry(['--shard', '0/2'])) + (await dry(['--shard', '1/2']));
    expect(shards).toBe(await dry([]));
  });
});
