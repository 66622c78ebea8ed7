/**
 * End to end through the CLI between two MLflow stand-ins: logged models, run<->model links and
 * (with --registry) the model registry move with the runs, verify clean, re-runs converge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';
import { MODEL_FILES, seedModels } from '../support/mlflow-models-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { join } from 'node:path';

const T0 = 1_700_000_000_000;
const RUNS: SeedRun[] = [
  { name: 'trainer', startTime: T0, endTime: T0 + 1000, params: { lr: '0.1' }, metrics: { loss: [{ value: 1, timestamp: T0, step: 0 }] } },
  { name: 'evaluator', startTime: T0 + 2000, endTime: T0 + 3000, metrics: { loss: [{ value: 2, timestamp: T0, step: 0 }] } },
  { name: 'unrelated', startTime: T0 + 4000, endTime: T0 + 5000, params: { p: '1' } },
];

export function copyArgs(sourceUrl: string, targetUrl: string, project: string, targetProject: string, extra: string[] = []): string[] {
  return ['copy', '--source-uri', sourceUrl, '--source-project', project, '--target-uri', targetUrl, '--target-project', targetProject, '--no-progress', ...extra];
}

export function verifyArgs(sourceUrl: string, targetUrl: string, project: string, targetProject: string, extra: string[] = []): string[] {
  return ['verify', '--source-uri', sourceUrl, '--source-project', project, '--target-uri', targetUrl, '--target-project', targetProject, ...extra];
}

async function targetModels(api: MlflowApi, experimentId: string): Promise<any[]> {
  const out: any[] = [];
  let token: string | undefined;
  do {
    const page = await api.call('POST', 'logged-models/search', { experiment_ids: [experimentId], page_token: token });
    out.push(...(page.models ?? []));
    token = page.next_page_token;
  } while (token);
  return out;
}

const tag = (model: any, key: string) => (model.info.tags ?? []).find((t: any) => t.key === key)?.value;

describe('logged models, links and the registry between two MLflow servers', () => {
  let source: StandinServer;
  let target: StandinServer;
  let runIds: Map<string, string>;
  let modelIds: Map<string, string>;
  const cwd = tempDir('e2e-models');

  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    const api = new MlflowApi(source.url);
    runIds = await seedProject(api, 'churn', RUNS);
    const seeded = await seedModels(api, (await api.experimentId('churn'))!, runIds, { registry: true });
    modelIds = seeded.models;
  });
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  it('a dry run counts models, files and bytes and writes nothing', async () => {
    const result = await runCli(copyArgs(source.url, target.url, 'default/churn', 'default/churn-copy', ['--dry-run', '--registry', '--json']), { cwd });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    const bytes = Object.values(MODEL_FILES).reduce((n, b) => n + Buffer.from(b).length, 0) + 4;
    expect(report.models.summary).toMatchObject({ models: 3, planned: 3, files: 5, bytes });
    expect(report.models.registry[0].versions.map((v: any) => [v.sourceVersion, v.outcome])).toEqual([['1', 'planned'], ['2', 'outside'], ['4', 'planned']]);
    expect(await new MlflowApi(target.url).experimentId('churn-copy')).toBeUndefined();
  });

  it('copies every model with its fields, files, metrics and links, and the registry entries', async () => {
    const result = await runCli(copyArgs(source.url, target.url, 'default/churn', 'default/churn-copy', ['--registry', '--json']), { cwd });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.models.summary).toMatchObject({ models: 3, copied: 3, failed: 0, unresolvedLinks: 1, versionsCopied: 2, versionsOutside: 1 });

    const api = new MlflowApi(target.url);
    const experimentId = (await api.experimentId('churn-copy'))!;
    const copies = await targetModels(api, experimentId);
    const byName = new Map(copies.map((m) => [m.info.name, m]));
    expect([...byName.keys()].sort()).toEqual(['clf', 'clf-failed', 'orphan']);
    const runs = await api.searchRuns(experimentId);
    const runCopy = (name: string) => runs.find((r) => r.info.run_name === name)!.info.run_id as string;

    const clf = byName.get('clf')!;
    expect(clf.info).toMatchObject({ status: 'LOGGED_MODEL_READY', model_type: 'sklearn', source_run_id: runCopy('trainer') });
    expect(tag(clf, 'old_sys/model_id')).toBe(modelIds.get('clf'));
    expect(tag(clf, 'stage')).toBe('dev');
    expect(tag(clf, 'runs_migrator.completed')).toBeDefined();
    expect(clf.data.params.find((p: any) => p.key === 'long').value).toHaveLength(6000);
    expect(clf.data.metrics.map((m: any) => [m.key, m.value, m.run_id, m.model_id, m.dataset_name ?? ''])).toEqual([
      ['accuracy', 0.9, runCopy('evaluator'), clf.info.model_id, 'eval-set'],
      ['f1', 0.5, runCopy('evaluator'), clf.info.model_id, ''],
    ]);
    expect(byName.get('clf-failed')!.info.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');
    expect(byName.get('orphan')!.info).toMatchObject({ status: 'LOGGED_MODEL_READY', source_run_id: '' });

    const trainer = (await api.call('GET', 'runs/get', { run_id: runCopy('trainer') })).run;
    expect(trainer.outputs.model_outputs.map((o: any) => [o.model_id, o.step]).sort()).toEqual(
      [[clf.info.model_id, 3], [byName.get('clf-failed')!.info.model_id, 0]].sort(),
    );
    const evaluator = (await api.call('GET', 'runs/get', { run_id: runCopy('evaluator') })).run;
    expect(evaluator.inputs.model_inputs).toEqual([{ model_id: clf.info.model_id }]);
    expect(evaluator.outputs).toEqual({});
    const lost = evaluator.data.tags.find((t: any) => t.key === 'old_sys/model_outputs');
    expect(JSON.parse(lost.value)).toEqual([{ model_id: 'm-0123456789abcdef0123456789abcdef', step: '1' }]);

    const rm = (await api.call('GET', 'registered-models/get', { name: 'churn-clf' })).registered_model;
    expect(rm).toMatchObject({ description: 'Churn classifier', tags: [{ key: 'domain', value: 'tabular' }] });
    expect(rm.aliases).toEqual([{ alias: 'champion', version: '1' }, { alias: 'latest-run', version: '4' }]);
    const versions = (await api.call('GET', 'model-versions/search', { filter: "name='churn-clf'" })).model_versions;
    expect(versions.map((v: any) => v.version).sort()).toEqual(['1', '4']);
    const v1 = versions.find((v: any) => v.version === '1');
    expect(v1).toMatchObject({ source: `models:/${clf.info.model_id}`, run_id: runCopy('trainer'), current_stage: 'Staging', description: 'first' });
    const v4 = versions.find((v: any) => v.version === '4');
    expect(v4.source).toBe(`runs:/${runCopy('trainer')}/model`);
  });

  it('verify --registry is clean', async () => {
    const result = await runCli(verifyArgs(source.url, target.url, 'default/churn', 'default/churn-copy', ['--registry']), { cwd });
    expect(result.stdout + result.stderr).toContain('Models clean');
    expect(result.code).toBe(0);
  });

  it('a re-run skips complete models and versions and duplicates nothing', async () => {
    const result = await runCli(copyArgs(source.url, target.url, 'default/churn', 'default/churn-copy', ['--registry', '--json']), { cwd });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.models.summary).toMatchObject({ copied: 0, skipped: 3, versionsCopied: 2 });
    expect(report.models.registry[0].versions.filter((v: any) => v.outcome === 'skipped')).toHaveLength(2);
    const api = new MlflowApi(target.url);
    const experimentId = (await api.experimentId('churn-copy'))!;
    expect(await targetModels(api, experimentId)).toHaveLength(3);
    const versions = (await api.call('GET', 'model-versions/search', { filter: "name='churn-clf'" })).model_versions;
    expect(versions).toHaveLength(2);
    const verify = await runCli(verifyArgs(source.url, target.url, 'default/churn', 'default/churn-copy', ['--registry']), { cwd });
    expect(verify.code).toBe(0);
  });

  it('a run filter takes the models of the selected runs only', async () => {
    const result = await runCli(copyArgs(source.url, target.url, 'default/churn', 'default/churn-evaluator', ['--run-name', '^evaluator$', '--json']), { cwd });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.models.models).toEqual([]);
    // The evaluator's input (clf) and output (a model of another experiment) were not copied: reported, kept.
    expect(report.models.links[0].unresolved.map((u: any) => u.kind).sort()).toEqual(['input', 'output']);
    const verify = await runCli(verifyArgs(source.url, target.url, 'default/churn', 'default/churn-evaluator', ['--run-name', '^evaluator$']), { cwd });
    expect(verify.code).toBe(0);
  });

  it('two shards together copy every model exactly once, also the one without a run; a second pass links across shards', async () => {
    // A run may use a model that the other shard copies: its link can only be written once that
    // shard is done, so the shards are run a second time (as after any interruption).
    // On the first pass a model may wait for a run of the other shard (reported failed, exit 1).
    const codes: Array<number | null> = [];
    for (const shard of ['0/2', '1/2', '0/2', '1/2']) {
      const result = await runCli(copyArgs(source.url, target.url, 'default/churn', 'default/churn-sharded', ['--shard', shard, '--json']), { cwd });
      codes.push(result.code);
      for (const model of JSON.parse(result.stdout).models.models) {
        if (model.outcome === 'failed') expect(model.reason).toMatch(/which has no copy yet \(another shard, or its copy failed\)/);
      }
    }
    expect(codes.slice(2)).toEqual([0, 0]);
    const api = new MlflowApi(target.url);
    expect((await targetModels(api, (await api.experimentId('churn-sharded'))!)).map((m) => m.info.name).sort()).toEqual(['clf', 'clf-failed', 'orphan']);
    const verify = await runCli(verifyArgs(source.url, target.url, 'default/churn', 'default/churn-sharded'), { cwd });
    expect(verify.stdout, verify.stdout).toContain('Models clean: 3/3 logged model(s) ok');
    expect(verify.code).toBe(0);
  });

  it('a deleted run keeps its model in the copy; its links are reported as not written, not as a failure', async () => {
    const api = new MlflowApi(source.url);
    const experimentId = (await api.call('POST', 'experiments/create', { name: 'scrapped' })).experiment_id;
    const run = (await api.call('POST', 'runs/create', { experiment_id: experimentId, run_name: 'gone', start_time: T0 })).run.info;
    const model = (await api.call('POST', 'logged-models', { experiment_id: experimentId, name: 'gone-model', source_run_id: run.run_id })).model.info;
    await api.call('POST', 'runs/outputs', { run_id: run.run_id, models: [{ model_id: model.model_id, step: 0 }] });
    await api.call('POST', 'runs/log-batch', { run_id: run.run_id, metrics: [{ key: 'acc', value: 0.5, timestamp: T0, step: 0, model_id: model.model_id }] });
    await api.call('POST', 'runs/update', { run_id: run.run_id, status: 'FINISHED', end_time: T0 + 1 });
    await api.call('POST', 'runs/delete', { run_id: run.run_id });

    const result = await runCli(copyArgs(source.url, target.url, 'default/scrapped', 'default/scrapped', ['--include-deleted', '--json']), { cwd });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.models.models.map((m: any) => [m.name, m.outcome])).toEqual([['gone-model', 'copied']]);
    expect(report.models.models[0].issues).toEqual([
      expect.objectContaining({ field: 'metric', action: 'dropped', reason: expect.stringMatching(/^1 metric row\(s\) logged by deleted runs/) }),
      expect.objectContaining({ field: 'status', action: 'mapped', reason: expect.stringContaining('PENDING') }),
    ]);
    expect(report.models.links).toMatchObject([{ sourceRunId: run.run_id, outcome: 'skipped', outputs: 1 }]);
    const verify = await runCli(verifyArgs(source.url, target.url, 'default/scrapped', 'default/scrapped', ['--include-deleted']), { cwd });
    expect(verify.stdout).toContain(`NOT COMPARED model links of run ${run.run_id}`);
    expect(verify.stdout).toContain('NOT COMPARED logged model gone-model');
    expect(verify.code).toBe(0);
  });

  it('into a registered model that already has versions: the next numbers, mapped in a tag and the report, aliases follow', async () => {
    const other = await startStandin();
    try {
      const api = new MlflowApi(other.url);
      await api.call('POST', 'registered-models/create', { name: 'churn-clf', description: 'Churn classifier' });
      await api.call('POST', 'model-versions/create', { name: 'churn-clf', source: 's3://theirs/model' });
      const result = await runCli(copyArgs(source.url, other.url, 'default/churn', 'default/churn', ['--registry', '--json']), { cwd });
      expect(result.code).toBe(0);
      const registry = JSON.parse(result.stdout).models.registry[0];
      expect(registry.outcome).toBe('existing');
      expect(registry.versions.map((v: any) => [v.sourceVersion, v.targetVersion ?? null, v.outcome])).toEqual([
        ['1', '2', 'copied'],
        ['2', null, 'outside'],
        ['4', '3', 'copied'],
      ]);
      expect(registry.aliases.map((a: any) => [a.alias, a.targetVersion])).toEqual([['champion', '2'], ['latest-run', '3']]);
      const v2 = (await api.call('GET', 'model-versions/get', { name: 'churn-clf', version: '2' })).model_version;
      expect(v2.tags).toEqual(expect.arrayContaining([{ key: 'old_sys/model_version', value: '1' }, { key: 'old_sys/registered_model', value: 'churn-clf' }]));
      expect((await api.call('GET', 'registered-models/alias', { name: 'churn-clf', alias: 'champion' })).model_version.version).toBe('2');
      const verify = await runCli(verifyArgs(source.url, other.url, 'default/churn', 'default/churn', ['--registry']), { cwd });
      expect(verify.code).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('verify names a model copy whose source model is gone (extra) and is not clean', async () => {
    const api = new MlflowApi(source.url);
    const experimentId = (await api.experimentId('scrapped'))!;
    const [model] = (await api.call('POST', 'logged-models/search', { experiment_ids: [experimentId] })).models;
    const response = await request(`${source.url}/api/2.0/mlflow/logged-models/${model.info.model_id}`, { method: 'DELETE' });
    await response.body.text();
    const verify = await runCli(verifyArgs(source.url, target.url, 'default/scrapped', 'default/scrapped', ['--include-deleted']), { cwd });
    expect(verify.stdout).toMatch(new RegExp(`EXTRA logged model m-[0-9a-f]{32}: copy of ${model.info.model_id}, which is not in the source project`));
    expect(verify.code).toBe(1);
  });

  it('a model whose run failed to copy waits for it: reported failed, not copied without its link', async () => {
    const api = new MlflowApi(source.url);
    const runIds = await seedProject(api, 'clash', [
      // "x" and "x/y" cannot both be files of an mlruns run folder: this run fails to copy there.
      { name: 'trainer', startTime: T0, endTime: T0 + 1, params: { x: '1', 'x/y': '2' } },
      { name: 'evaluator', startTime: T0 + 2, endTime: T0 + 3 },
    ]);
    await seedModels(api, (await api.experimentId('clash'))!, runIds, { registry: true, registeredName: 'clash-clf' });
    const mlruns = join(tempDir('e2e-models-clash'), 'mlruns');
    const result = await runCli(copyArgs(source.url, mlruns, 'default/clash', 'default/clash', ['--registry', '--json']), { cwd });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    const outcomes = Object.fromEntries(report.models.models.map((m: any) => [m.name, [m.outcome, m.reason ?? '']]));
    expect(outcomes.orphan).toEqual(['copied', '']);
    expect(outcomes.clf[0]).toBe('failed');
    expect(outcomes.clf[1]).toMatch(/^its source run [0-9a-f]{32} failed to copy; the model is copied with it on the next copy$/);
    const versions = report.models.registry[0].versions.map((v: any) => [v.sourceVersion, v.outcome]);
    expect(versions).toEqual([['1', 'failed'], ['2', 'outside'], ['4', 'failed']]);
  });
});
