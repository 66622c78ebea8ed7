/**
 * A re-run of `copy` is a sync (docs/sync.md), end to end through the CLI between two MLflow
 * stand-ins: post-hoc edits arrive, nothing changed means nothing written (counted at the
 * stand-in), --dry-run tells and writes nothing, --no-update keeps the snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { request } from 'undici';

const T0 = 1_700_000_000_000;

function history(count: number, from = 0) {
  return Array.from({ length: count }, (_, i) => ({ value: Math.sin(from + i), timestamp: T0 + (from + i) * 1000, step: from + i }));
}

const RUNS: SeedRun[] = [
  {
    name: 'edited',
    startTime: T0,
    endTime: T0 + 60_000,
    params: { lr: '0.1' },
    tags: { team: 'churn', 'mlflow.source.name': 'train.py', 'mlflow.note.content': 'first note', stale: 'x' },
    metrics: { loss: history(120) },
    files: { 'model/weights.bin': Buffer.from([1, 2, 3]) },
  },
  { name: 'live', startTime: T0 + 1_000, status: 'RUNNING', params: { lr: '0.2' }, metrics: { loss: history(50), acc: history(10) } },
  { name: 'to-delete', startTime: T0 + 2_000, endTime: T0 + 3_000, metrics: { x: history(5) } },
  { name: 'untouched', startTime: T0 + 3_000, endTime: T0 + 4_000, params: { a: '1' }, metrics: { y: history(7) } },
];

/** Routes that only read: anything else seen at a server is a write. */
const READ_ROUTES = new Set([
  'runs/search', 'runs/get', 'experiments/get-by-name', 'experiments/get', 'metrics/get-history', 'metrics/get-history-bulk-interval',
  'artifacts/list', 'mlflow-artifacts/list', 'mlflow-artifacts/download', 'logged-models/search', 'logged-models/get', 'server-info',
  // MLflow 3 GenAI objects are listed on each pass (traces/search is a POST that only reads).
  'traces/search', 'datasets/search', 'scorers/list', 'registered-models/search',
]);

function routesSince(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, count] of Object.entries(after)) if (count !== (before[route] ?? 0)) out[route] = count - (before[route] ?? 0);
  return out;
}

describe('a re-run of copy brings copies up to date (MLflow -> MLflow)', () => {
  let source: StandinServer;
  let target: StandinServer;
  let ids: Map<string, string>;
  let src: MlflowApi;
  let dst: MlflowApi;
  const cwd = tempDir('e2e-sync');
  const copyArgs = (extra: string[] = []) => [
    'copy', '--source-uri', source.url, '--source-project', 'default/churn', '--target-uri', target.url,
    '--target-project', 'default/churn-copy', '--no-progress', '--report', 'report.json', ...extra,
  ];
  const verifyArgs = () => ['verify', '--source-uri', source.url, '--source-project', 'default/churn', '--target-uri', target.url, '--target-project', 'default/churn-copy'];
  const report = () => JSON.parse(readFileSync(join(cwd, 'report.json'), 'utf8'));
  const copyOf = async (name: string) => {
    const runs = await dst.searchRuns((await dst.experimentId('churn-copy'))!);
    return runs.find((run) => run.data.tags.some((t: any) => t.key === 'old_sys/run_id' && t.value === ids.get(name)));
  };
  const tagsOf = (run: any) => Object.fromEntries(run.data.tags.map((t: any) => [t.key, t.value]));

  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    src = new MlflowApi(source.url);
    dst = new MlflowApi(target.url);
    ids = await seedProject(src, 'churn', RUNS, { owner: 'ml-team', 'mlflow.note.content': 'churn models' });
    const first = await runCli(copyArgs(), { cwd });
    expect(first.code, first.stderr).toBe(0);
    expect(report().summary).toMatchObject({ copied: 4, updated: 0, failed: 0 });
  });
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  it('nothing changed: every run is skipped, the target gets no write and the source only its listing', async () => {
    const sourceBefore = source.stats().byRoute;
    const targetBefore = target.stats().byRoute;
    const again = await runCli(copyArgs(), { cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(report().summary).toMatchObject({ copied: 0, updated: 0, skipped: 4, failed: 0 });
    const targetRoutes = routesSince(targetBefore, target.stats().byRoute);
    const sourceRoutes = routesSince(sourceBefore, source.stats().byRoute);
    expect(Object.keys(targetRoutes).filter((route) => !READ_ROUTES.has(route))).toEqual([]);
    // The source: the experiment, one listing page and (MLflow 3) the listings of logged models and
    // GenAI objects - no run read.
    const listings = ['datasets/search', 'experiments/get-by-name', 'logged-models/search', 'registered-models/search', 'runs/search', 'scorers/list', 'traces/search'];
    expect(Object.keys(sourceRoutes).sort()).toEqual(listings.filter((r) => r in sourceRoutes));
    expect(sourceRoutes['runs/search']).toBe(1);
    expect(sourceRoutes['metrics/get-history']).toBeUndefined();
  });

  it('post-hoc edits arrive: tags set, changed and deleted, note, name, files, points, status, param, deletion', async () => {
    const edited = ids.get('edited')!;
    const live = ids.get('live')!;
    await src.call('POST', 'runs/set-tag', { run_id: edited, key: 'reviewed', value: 'yes' });
    await src.call('POST', 'runs/set-tag', { run_id: edited, key: 'team', value: 'retention' });
    await src.call('POST', 'runs/set-tag', { run_id: edited, key: 'mlflow.note.content', value: 'second note' });
    await src.call('POST', 'runs/delete-tag', { run_id: edited, key: 'stale' });
    await src.call('POST', 'runs/update', { run_id: edited, run_name: 'edited-renamed' });
    await src.call('POST', 'runs/log-batch', { run_id: edited, metrics: [{ key: 'loss', value: 0.01, timestamp: T0 + 500_000, step: 500 }] });
    await src.call('POST', 'runs/log-batch', { run_id: edited, params: [{ key: 'late_param', value: 'z' }] });
    const artifactUri = (await src.call('GET', 'runs/get', { run_id: edited })).run.info.artifact_uri as string;
    await src.upload(artifactUri, 'eval/report.txt', Buffer.from('good\n'));
    // A file deleted in the source (through the artifact proxy, as `mlflow artifacts` does).
    const deleted = await request(`${source.url}/api/2.0/mlflow-artifacts/artifacts/${artifactUri.replace(/^mlflow-artifacts:\//, '')}/model/weights.bin`, { method: 'DELETE' });
    expect(deleted.statusCode, await deleted.body.text()).toBe(200);
    await src.call('POST', 'runs/log-batch', { run_id: live, metrics: [...history(30, 50).map((p) => ({ key: 'loss', ...p })), ...history(5, 10).map((p) => ({ key: 'acc', ...p }))] });
    await src.call('POST', 'runs/update', { run_id: live, status: 'FINISHED', end_time: T0 + 90_000 });
    await src.call('POST', 'runs/delete', { run_id: ids.get('to-delete')! });

    // --no-update: a snapshot stays as it is.
    const targetBefore = target.stats().byRoute;
    const snapshot = await runCli(copyArgs(['--no-update']), { cwd });
    expect(snapshot.code, snapshot.stderr).toBe(0);
    expect(report().summary).toMatchObject({ updated: 0, skipped: 3 });
    // --dry-run: says what would change, writes nothing.
    const dry = await runCli(copyArgs(['--dry-run']), { cwd });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/to update: +3 runs/);
    expect(dry.stdout).toContain('tag reviewed set');
    expect(Object.keys(routesSince(targetBefore, target.stats().byRoute)).filter((route) => !READ_ROUTES.has(route))).toEqual([]);

    // Experiment tags and the description changed too (after the checks above: --no-update still adds missing ones).
    const experimentId = (await src.experimentId('churn'))!;
    await src.call('POST', 'experiments/set-experiment-tag', { experiment_id: experimentId, key: 'owner', value: 'platform-team' });
    await src.call('POST', 'experiments/set-experiment-tag', { experiment_id: experimentId, key: 'mlflow.note.content', value: 'churn models, v2' });

    const sync = await runCli(copyArgs(), { cwd });
    expect(sync.code, sync.stderr).toBe(0);
    const result = report();
    expect(result.summary).toMatchObject({ copied: 0, updated: 3, skipped: 1, failed: 0 });
    expect(result.projectChanges).toEqual(['experiment tag owner changed', 'description changed']);
    const byName = new Map<string, any>(result.runs.map((run: any) => [run.sourceRunId, run]));
    expect(byName.get(edited).changes).toEqual(expect.arrayContaining([
      'name "edited" -> "edited-renamed"', 'tag reviewed set', 'tag team changed', 'tag mlflow.note.content changed', 'tag stale deleted',
      '1 new param(s): late_param', 'metric loss: 1 new point(s)', 'file eval/report.txt added', 'file model/weights.bin deleted',
    ]));
    expect(byName.get(live).changes).toEqual(expect.arrayContaining(['status RUNNING -> FINISHED', 'metric loss: 30 new point(s)', 'metric acc: 5 new point(s)']));
    expect(byName.get(ids.get('to-delete')!).changes).toContain('deleted like its source');

    const copy = await copyOf('edited');
    expect(copy.info.run_name).toBe('edited-renamed');
    expect(tagsOf(copy)).toMatchObject({ reviewed: 'yes', team: 'retention', 'mlflow.note.content': 'second note' });
    expect(tagsOf(copy).stale).toBeUndefined();
    expect((await copyOf('to-delete')).info.lifecycle_stage).toBe('deleted');
    const copyFiles = await dst.call('GET', 'artifacts/list', { run_id: copy.info.run_id, path: 'model' });
    expect(copyFiles.files ?? []).toEqual([]);

    const verify = await runCli(verifyArgs(), { cwd });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    // A second sync finds everything up to date again.
    const quiet = await runCli(copyArgs(), { cwd });
    expect(quiet.code).toBe(0);
    expect(report().summary).toMatchObject({ updated: 0, skipped: 3, failed: 0 });
    expect(report().projectChanges).toBeUndefined();
  }, 180_000);

  it('a run restored in the source is restored in the copy', async () => {
    await src.call('POST', 'runs/restore', { run_id: ids.get('to-delete')! });
    const sync = await runCli(copyArgs(), { cwd });
    expect(sync.code, sync.stderr).toBe(0);
    expect(report().summary).toMatchObject({ updated: 1, skipped: 3 });
    expect(report().runs.find((run: any) => run.sourceRunId === ids.get('to-delete')).changes).toContain('restored like its source');
    expect((await copyOf('to-delete')).info.lifecycle_stage).toBe('active');
    const verify = await runCli(verifyArgs(), { cwd });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
