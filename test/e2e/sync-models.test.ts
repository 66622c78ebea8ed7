/**
 * A re-run of `copy` brings logged-model copies up to date (docs/sync.md "Logged models"), end to
 * end through the CLI: from an MLflow stand-in into another MLflow stand-in, an mlruns folder and
 * a SQLite mlflow.db at once; then from an mlruns folder, where a param can be edited by hand
 * (a conflict) and a file rewritten with the same size is found through its mtime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';
import { seedModels } from '../support/mlflow-models-seed.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { runCli, tempDir } from '../support/cli-process.js';

const T0 = 1_700_000_000_000;
const RUNS: SeedRun[] = [
  { name: 'trainer', startTime: T0, endTime: T0 + 1000, params: { lr: '0.1' }, metrics: { loss: [{ value: 1, timestamp: T0, step: 0 }] } },
  { name: 'evaluator', startTime: T0 + 2000, endTime: T0 + 3000, metrics: { loss: [{ value: 2, timestamp: T0, step: 0 }] } },
];

/** Routes that only read: anything else seen at the target server is a write. */
const READ_ROUTES = new Set([
  'runs/search', 'runs/get', 'experiments/get-by-name', 'experiments/get', 'metrics/get-history', 'artifacts/list', 'mlflow-artifacts/list',
  'mlflow-artifacts/download', 'logged-models/search', 'logged-models/get', 'logged-models/list-artifacts', 'logged-models/get-artifact', 'server-info',
  'traces/search', 'datasets/search', 'scorers/list', 'registered-models/search',
]);

function writesSince(before: Record<string, number>, after: Record<string, number>): string[] {
  return Object.keys(after).filter((route) => after[route] !== (before[route] ?? 0) && !READ_ROUTES.has(route));
}

async function send(url: string, method: 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<void> {
  const response = await request(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${method} ${path}: HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
}

describe('a re-run of copy brings logged-model copies up to date', () => {
  let source: StandinServer;
  let target: StandinServer;
  let src: MlflowApi;
  let models: Map<string, string>;
  const cwd = tempDir('e2e-sync-models');
  const mlruns = join(cwd, 'mlruns');
  const db = join(cwd, 'db', 'mlflow.db');
  const targets = () => [
    { name: 'server', uri: target.url },
    { name: 'mlruns', uri: mlruns },
    { name: 'sqlite', uri: `sqlite:///${db}` },
  ];
  const copyArgs = (uri: string, extra: string[] = []) => [
    'copy', '--source-uri', source.url, '--source-project', 'default/churn', '--target-uri', uri, '--target-project', 'default/churn-copy',
    '--no-progress', '--report', 'report.json', ...extra,
  ];
  const verifyArgs = (uri: string) => ['verify', '--source-uri', source.url, '--source-project', 'default/churn', '--target-uri', uri, '--target-project', 'default/churn-copy'];
  const report = () => JSON.parse(readFileSync(join(cwd, 'report.json'), 'utf8'));
  const modelResult = (name: string) => report().models.models.find((m: any) => m.name === name);

  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    src = new MlflowApi(source.url);
    const runIds = await seedProject(src, 'churn', RUNS);
    models = (await seedModels(src, (await src.experimentId('churn'))!, runIds)).models;
    mkdirSync(join(cwd, 'db'));
    createMlflowDatabase(db);
    for (const { name, uri } of targets()) {
      const first = await runCli(copyArgs(uri), { cwd });
      expect(first.code, `${name}: ${first.stdout}${first.stderr}`).toBe(0);
      expect(report().models.summary, name).toMatchObject({ models: 3, copied: 3, failed: 0 });
    }
  }, 120_000);
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  it('nothing changed: every model is skipped without being opened, the target server gets no write', async () => {
    for (const { name, uri } of targets()) {
      const before = target.stats().byRoute;
      const sourceBefore = source.stats().byRoute;
      const again = await runCli(copyArgs(uri), { cwd });
      expect(again.code, again.stderr).toBe(0);
      expect(report().models.summary, name).toMatchObject({ copied: 0, updated: 0, skipped: 3, failed: 0 });
      expect(writesSince(before, target.stats().byRoute), name).toEqual([]);
      // No model was opened: its files were not listed at the source.
      expect(source.stats().byRoute['logged-models/list-artifacts'] ?? 0, name).toBe(sourceBefore['logged-models/list-artifacts'] ?? 0);
    }
  }, 120_000);

  it('status, params, tags (set, changed, deleted), metric rows and files (added, resized, deleted) follow the source', async () => {
    const clf = models.get('clf')!;
    const failed = models.get('clf-failed')!;
    const clfInfo = (await src.call('GET', `logged-models/${clf}`)).model.info;
    await send(source.url, 'PATCH', `/api/2.0/mlflow/logged-models/${clf}/tags`, { tags: [{ key: 'stage', value: 'prod' }, { key: 'reviewed', value: 'yes' }] });
    await send(source.url, 'DELETE', `/api/2.0/mlflow/logged-models/${clf}/tags/mlflow.source.name`);
    await src.call('POST', `logged-models/${clf}/params`, { model_id: clf, params: [{ key: 'max_iter', value: '100' }] });
    await src.upload(clfInfo.artifact_uri, 'eval/report.txt', Buffer.from('good\n'));
    await src.upload(clfInfo.artifact_uri, 'MLmodel', Buffer.from('artifact_path: model\nflavors: {}\nsigned: true\n'));
    const root = clfInfo.artifact_uri.replace(/^mlflow-artifacts:\//, '');
    await send(source.url, 'DELETE', `/api/2.0/mlflow-artifacts/artifacts/${root}/nested/deeper/conda.yaml`);
    await send(source.url, 'PATCH', `/api/2.0/mlflow/logged-models/${failed}`, { model_id: failed, status: 'LOGGED_MODEL_READY' });
    // A metric logged on the model later (through its run, as MLflow's client does).
    const runs = await src.searchRuns((await src.experimentId('churn'))!);
    const evaluator = runs.find((run) => run.info.run_name === 'evaluator').info.run_id;
    await src.call('POST', 'runs/log-batch', { run_id: evaluator, metrics: [{ key: 'recall', value: 0.75, timestamp: T0 + 9_000, step: 2, model_id: clf }] });

    for (const { name, uri } of targets()) {
      // --no-update keeps the snapshot; --dry-run says what would change and writes nothing.
      const before = target.stats().byRoute;
      const snapshot = await runCli(copyArgs(uri, ['--no-update']), { cwd });
      expect(snapshot.code, snapshot.stderr).toBe(0);
      expect(report().models.summary, name).toMatchObject({ updated: 0, skipped: 3 });
      const dry = await runCli(copyArgs(uri, ['--dry-run']), { cwd });
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/would update logged model clf \(m-[0-9a-f]+\) -> .*tag stage changed/);
      expect(report().models.summary, name).toMatchObject({ planned: 2, skipped: 1 });
      if (name === 'server') expect(writesSince(before, target.stats().byRoute)).toEqual([]);

      const sync = await runCli(copyArgs(uri), { cwd });
      expect(sync.code, `${name}: ${sync.stdout}${sync.stderr}`).toBe(0);
      expect(report().models.summary, name).toMatchObject({ updated: 2, skipped: 1, failed: 0 });
      expect(modelResult('clf').changes, name).toEqual(expect.arrayContaining([
        '1 new param(s): max_iter', 'tag stage changed', 'tag reviewed set', 'tag mlflow.source.name deleted',
        'file eval/report.txt added', '1 new metric row(s)', expect.stringMatching(/^file MLmodel changed \(\d+ -> 46 bytes\)$/), 'file nested/deeper/conda.yaml deleted',
      ]));
      expect(modelResult('clf-failed').changes, name).toEqual(['status FAILED -> READY']);
      expect(sync.stdout).toMatch(/updated logged model clf-failed .*status FAILED -> READY/);

      const verify = await runCli(verifyArgs(uri), { cwd });
      expect(verify.code, `${name}: ${verify.stdout}${verify.stderr}`).toBe(0);
      expect(verify.stdout).toContain('Models clean: 3/3 logged model(s) ok');

      // Up to date now: the next pass changes nothing.
      const quiet = await runCli(copyArgs(uri), { cwd });
      expect(quiet.code).toBe(0);
      expect(report().models.summary, name).toMatchObject({ updated: 0, skipped: 3, failed: 0 });
    }
    // The files are really gone, not only hidden from a listing.
    const copyDir = readdirSync(mlruns).filter((exp) => !exp.startsWith('.')).map((exp) => join(mlruns, exp, 'models')).find((dir) => existsSync(dir))!;
    const deleted = readdirSync(copyDir).map((id) => join(copyDir, id, 'artifacts', 'nested', 'deeper', 'conda.yaml'));
    expect(deleted.filter((file) => existsSync(file))).toEqual([]);
  }, 300_000);
});

describe('from an mlruns source: a hand-edited param is a conflict; a same-size rewrite is found by its mtime', () => {
  let server: StandinServer;
  let copyTarget: StandinServer;
  const cwd = tempDir('e2e-sync-models-mlruns');
  const store = join(cwd, 'store');
  const copyArgs = (extra: string[] = []) => [
    'copy', '--source-uri', store, '--source-project', 'default/churn', '--target-uri', copyTarget.url, '--target-project', 'default/churn',
    '--no-progress', '--report', 'report.json', ...extra,
  ];
  const verifyArgs = () => ['verify', '--source-uri', store, '--source-project', 'default/churn', '--target-uri', copyTarget.url, '--target-project', 'default/churn'];
  const report = () => JSON.parse(readFileSync(join(cwd, 'report.json'), 'utf8'));
  let modelDir = '';

  beforeAll(async () => {
    server = await startStandin();
    copyTarget = await startStandin();
    const api = new MlflowApi(server.url);
    const runIds = await seedProject(api, 'churn', RUNS);
    await seedModels(api, (await api.experimentId('churn'))!, runIds);
    // An mlruns store with the models, written by a copy from the server.
    const made = await runCli(['copy', '--source-uri', server.url, '--source-project', 'default/churn', '--target-uri', store, '--target-project', 'default/churn', '--no-progress'], { cwd });
    expect(made.code, made.stderr).toBe(0);
    const experiment = readdirSync(store).find((name) => !name.startsWith('.') && existsSync(join(store, name, 'models')))!;
    const modelsDir = join(store, experiment, 'models');
    modelDir = readdirSync(modelsDir).map((id) => join(modelsDir, id)).find((dir) => readFileSync(join(dir, 'meta.yaml'), 'utf8').includes('name: clf\n'))!;
    const first = await runCli(copyArgs(), { cwd });
    expect(first.code, first.stderr).toBe(0);
    expect(report().models.summary).toMatchObject({ copied: 3, failed: 0 });
  }, 120_000);
  afterAll(async () => {
    await server.close();
    await copyTarget.close();
  });

  it('a file rewritten with the same size is written again', async () => {
    const file = join(modelDir, 'artifacts', 'model.pkl');
    const size = statSync(file).size;
    writeFileSync(file, Buffer.alloc(size, 7));
    const later = new Date(Date.now() + 5_000);
    utimesSync(file, later, later);
    const sync = await runCli(copyArgs(), { cwd });
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    expect(report().models.summary).toMatchObject({ updated: 1, skipped: 2 });
    expect(report().models.models.find((m: any) => m.name === 'clf').changes).toEqual([`file model.pkl rewritten (same size, ${size} bytes, modified after the copy)`]);
    const verify = await runCli(verifyArgs(), { cwd });
    expect(verify.code, verify.stdout).toBe(0);
  }, 120_000);

  it('a param changed by hand is a conflict: reported, the copy left as it is, exit non-zero', async () => {
    writeFileSync(join(modelDir, 'params', 'alpha'), '0.7');
    writeFileSync(join(modelDir, 'tags', 'stage'), 'prod');
    const before = copyTarget.stats().byRoute;
    const sync = await runCli(copyArgs(), { cwd });
    expect(sync.code).not.toBe(0);
    const clf = report().models.models.find((m: any) => m.name === 'clf');
    expect(clf.outcome).toBe('failed');
    expect(clf.conflicts).toEqual(['param alpha: the source now has "0.7", the copy keeps "0.1" (logged-model params are write-once)']);
    // Nothing was written for it (not even the tag that changed with it).
    expect(writesSince(before, copyTarget.stats().byRoute)).toEqual([]);
    // And it says so again on the next pass.
    const again = await runCli(copyArgs(), { cwd });
    expect(again.code).not.toBe(0);
    expect(report().models.models.find((m: any) => m.name === 'clf').outcome).toBe('failed');
  }, 120_000);
});
