/**
 * Issue 11's benchmark: what logged models, their links and the registry add to a copy, MLflow
 * server -> MLflow server through the CLI, against the target's raw artifact-upload ceiling
 * measured in the same run.
 *
 *   npm run build && node --import tsx bench/models-copy.ts [--models 200] [--file-kb 256]
 *
 * Two source projects with the same N runs; one of them also has one logged model per run (two
 * files, params, a model metric, the run's output link) and a registered model with a version per
 * logged model. Prints the copy time of each, the extra time the models take (models/s and their
 * file throughput), and the raw ceiling: the same bytes PUT to the target's artifact proxy with
 * the same concurrency, nothing else done.
 */
import { request } from 'undici';
import { Api, arg, engineSeconds, runCli, startStandinProcess } from './support.js';

const MODELS = arg('models', 200);
const FILE_KB = arg('file-kb', 256);
const CONCURRENCY = 4; // the CLI's default workers
const T0 = 1_700_000_000_000;

async function put(url: string, path: string, bytes: Buffer): Promise<void> {
  const response = await request(`${url.replace(/\/$/, '')}/api/2.0/mlflow-artifacts/artifacts/${path}`, { method: 'PUT', body: bytes });
  await response.body.text();
  if (response.statusCode !== 200) throw new Error(`PUT ${path}: HTTP ${response.statusCode}`);
}

async function patch(url: string, path: string, body: unknown): Promise<void> {
  const response = await request(`${url.replace(/\/$/, '')}/api/2.0/mlflow/${path}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await response.body.text();
  if (response.statusCode !== 200) throw new Error(`PATCH ${path}: HTTP ${response.statusCode}`);
}

async function pool(count: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < count) await task(next++);
  }));
}

async function seed(api: Api, url: string, experiment: string, withModels: boolean, file: Buffer): Promise<void> {
  const experimentId = await api.createExperiment(experiment);
  if (withModels) await api.post('registered-models/create', { name: `${experiment}-clf` });
  const modelIds: string[] = new Array(MODELS);
  await pool(MODELS, async (index) => {
    const runId = await api.createRun(experimentId, `run-${index}`, T0 + index);
    await api.post('runs/log-batch', { run_id: runId, params: [{ key: 'i', value: String(index) }], metrics: [{ key: 'loss', value: 1 / (index + 1), timestamp: T0, step: 0 }] });
    if (withModels) {
      const model = (await api.post('logged-models', { experiment_id: experimentId, name: `model-${index}`, source_run_id: runId, params: [{ key: 'alpha', value: '0.1' }, { key: 'i', value: String(index) }] })).model.info;
      const root = String(model.artifact_uri).replace(/^mlflow-artifacts:\//, '');
      await put(url, `${root}/MLmodel`, Buffer.from('artifact_path: model\nflavors: {}\n'));
      await put(url, `${root}/model.bin`, file);
      await api.post('runs/log-batch', { run_id: runId, metrics: [{ key: 'acc', value: 0.5, timestamp: T0 + 1, step: 0, model_id: model.model_id }] });
      await api.post('runs/outputs', { run_id: runId, models: [{ model_id: model.model_id, step: 0 }] });
      await patch(url, `logged-models/${model.model_id}`, { model_id: model.model_id, status: 'LOGGED_MODEL_READY' });
      modelIds[index] = model.model_id;
    }
    await api.post('runs/update', { run_id: runId, status: 'FINISHED', end_time: T0 + 1000 + index });
  });
  // Versions in order, so that their numbers follow the models.
  if (withModels) for (const id of modelIds) await api.post('model-versions/create', { name: `${experiment}-clf`, source: `models:/${id}` });
}

async function main(): Promise<void> {
  const source = await startStandinProcess();
  const target = await startStandinProcess();
  const sourceApi = new Api(source.url);
  const targetApi = new Api(target.url);
  const file = Buffer.alloc(FILE_KB * 1024, 7);
  try {
    await seed(sourceApi, source.url, 'bench-runs', false, file);
    await seed(sourceApi, source.url, 'bench-models', true, file);

    // The ceiling: the same model bytes PUT to the target's proxy, CONCURRENCY in flight.
    const scratch = await targetApi.createExperiment('ceiling');
    const started = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < MODELS) await put(target.url, `${scratch}/ceiling/${next++}/model.bin`, file);
    }));
    const ceilingSeconds = (performance.now() - started) / 1000;

    const report = '/tmp/runs-migrator-bench-models.report.json';
    const copy = async (project: string, extra: string[]) => {
      const run = await runCli(['copy', '--source-uri', source.url, '--source-project', `default/${project}`, '--target-uri', target.url, '--target-project', `default/${project}-copy`, '--no-progress', '--quiet', '--log-file', '/tmp/runs-migrator-bench-models.log', '--report', report, ...extra]);
      if (run.exitCode !== 0) throw new Error(`copy of ${project} failed: ${run.stderr}`);
      return { ...run, engine: engineSeconds(report) };
    };
    const runsOnly = await copy('bench-runs', []);
    const withModels = await copy('bench-models', ['--registry']);
    const extra = withModels.engine - runsOnly.engine;
    const mb = (MODELS * file.length) / (1024 * 1024);

    console.log(`${MODELS} runs; the second project also has ${MODELS} logged models (${FILE_KB} KB each), links and ${MODELS} registry versions`);
    console.log(`  runs only:              ${runsOnly.engine.toFixed(1)} s engine (${runsOnly.seconds.toFixed(1)} s CLI, peak RSS ${runsOnly.maxRssMb.toFixed(0)} MB)`);
    console.log(`  runs + models --registry: ${withModels.engine.toFixed(1)} s engine (${withModels.seconds.toFixed(1)} s CLI, peak RSS ${withModels.maxRssMb.toFixed(0)} MB)`);
    console.log(`  models, links, versions: +${extra.toFixed(1)} s = ${(MODELS / extra).toFixed(1)} models/s, ${(mb / extra).toFixed(1)} MB/s of model files`);
    console.log(`  raw upload ceiling of the target: ${(mb / ceilingSeconds).toFixed(1)} MB/s (${MODELS} PUTs, ${CONCURRENCY} in flight); ratio ${((mb / extra) / (mb / ceilingSeconds)).toFixed(2)}`);
  } finally {
    await sourceApi.close();
    await targetApi.close();
    await source.stop();
    await target.stop();
  }
}

await main();
