/**
 * Fills a project on an MLflow server (the stand-in or a real one) with MLflow 3 logged models,
 * run<->model links, model metrics and registry entries, through the REST API the way the MLflow
 * client does it.
 */
import { request } from 'undici';
import type { MlflowApi } from './mlflow-seed.js';

export interface SeededModels {
  experimentId: string;
  /** model name -> model id */
  models: Map<string, string>;
}

async function send(api: MlflowApi, method: 'PATCH' | 'DELETE', path: string, body: unknown, workspace?: string): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (workspace && workspace !== 'default') headers['x-mlflow-workspace'] = workspace;
  const response = await request(`${api.url.replace(/\/$/, '')}/api/2.0/mlflow/${path}`, { method, headers, body: JSON.stringify(body) });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${method} ${path}: HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

export const MODEL_FILES: Record<string, string | Buffer> = {
  MLmodel: 'artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n',
  'model.pkl': Buffer.from([0x80, 0x04, 0x95, 0x00, 0xff, 0x2e]),
  'empty.txt': '',
  'nested/deeper/conda.yaml': 'name: env\n',
};

/**
 * In experiment `experiment` (existing, with runs `runIds` by name):
 * - `clf` from run `trainer`: READY, params, tags, files, two metrics logged by `evaluator` on a dataset;
 * - `clf-failed` from `trainer`: UPLOAD_FAILED;
 * - `orphan`: no source run, READY, one file;
 * - links: trainer outputs clf (step 3) and clf-failed, evaluator inputs clf, evaluator outputs a model of
 *   another experiment (not copied: reported).
 * With `registry`: registered model `churn-clf` (description, tags) with version 1 from models:/clf,
 * version 2 from s3 (outside the project), version 3 deleted (a gap), version 4 from the trainer run's artifacts,
 * alias champion -> 1, stage Staging on 1.
 */
export async function seedModels(
  api: MlflowApi,
  experimentId: string,
  runIds: Map<string, string>,
  options: { registry?: boolean; workspace?: string; registeredName?: string } = {},
): Promise<SeededModels> {
  const ws = options.workspace;
  const models = new Map<string, string>();
  const create = async (body: Record<string, unknown>) => {
    const doc = await api.call('POST', 'logged-models', { experiment_id: experimentId, ...body });
    models.set(body.name as string, doc.model.info.model_id);
    return doc.model.info as { model_id: string; artifact_uri: string };
  };
  const trainer = runIds.get('trainer')!;
  const evaluator = runIds.get('evaluator')!;
  const clf = await create({
    name: 'clf',
    model_type: 'sklearn',
    source_run_id: trainer,
    params: [{ key: 'alpha', value: '0.1' }, { key: 'long', value: 'x'.repeat(6000) }],
    tags: [{ key: 'stage', value: 'dev' }, { key: 'mlflow.source.name', value: 'train.py' }],
  });
  for (const [path, bytes] of Object.entries(MODEL_FILES)) await api.upload(clf.artifact_uri, path, Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  await send(api, 'PATCH', `logged-models/${clf.model_id}`, { model_id: clf.model_id, status: 'LOGGED_MODEL_READY' }, ws);
  const failed = await create({ name: 'clf-failed', source_run_id: trainer });
  await send(api, 'PATCH', `logged-models/${failed.model_id}`, { model_id: failed.model_id, status: 'LOGGED_MODEL_UPLOAD_FAILED' }, ws);
  const orphan = await create({ name: 'orphan', model_type: 'pytorch' });
  await api.upload(orphan.artifact_uri, 'weights.bin', Buffer.from([1, 2, 3, 4]));
  await send(api, 'PATCH', `logged-models/${orphan.model_id}`, { model_id: orphan.model_id, status: 'LOGGED_MODEL_READY' }, ws);

  await api.call('POST', 'runs/log-batch', {
    run_id: evaluator,
    metrics: [
      { key: 'accuracy', value: 0.9, timestamp: 1_700_000_000_000, step: 0, model_id: clf.model_id, dataset_name: 'eval-set', dataset_digest: '0cc175b9' },
      { key: 'f1', value: 0.5, timestamp: 1_700_000_000_001, step: 1, model_id: clf.model_id },
    ],
  });
  await api.call('POST', 'runs/outputs', { run_id: trainer, models: [{ model_id: clf.model_id, step: 3 }, { model_id: failed.model_id, step: 0 }] });
  await api.call('POST', 'runs/log-inputs', { run_id: evaluator, models: [{ model_id: clf.model_id }] });
  await api.call('POST', 'runs/outputs', { run_id: evaluator, models: [{ model_id: 'm-0123456789abcdef0123456789abcdef', step: 1 }] });

  if (options.registry) {
    const name = options.registeredName ?? 'churn-clf';
    await api.call('POST', 'registered-models/create', { name, description: 'Churn classifier', tags: [{ key: 'domain', value: 'tabular' }] });
    await api.call('POST', 'model-versions/create', { name, source: `models:/${clf.model_id}`, model_id: clf.model_id, tags: [{ key: 'owner', value: 'vision' }], description: 'first' });
    await api.call('POST', 'model-versions/create', { name, source: 's3://elsewhere/model' });
    await api.call('POST', 'model-versions/create', { name, source: 's3://elsewhere/deleted' });
    await send(api, 'DELETE', 'model-versions/delete', { name, version: '3' }, ws);
    const trainerRun = await api.call('GET', 'runs/get', { run_id: trainer });
    await api.call('POST', 'model-versions/create', { name, source: `${trainerRun.run.info.artifact_uri}/model`, run_id: trainer });
    await api.call('POST', 'model-versions/transition-stage', { name, version: '1', stage: 'Staging', archive_existing_versions: false });
    await api.call('POST', 'registered-models/alias', { name, alias: 'champion', version: '1' });
    await api.call('POST', 'registered-models/alias', { name, alias: 'latest-run', version: '4' });
  }
  return { experimentId, models };
}
