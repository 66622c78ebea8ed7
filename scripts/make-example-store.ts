/**
 * Writes the example mlruns store through the mlruns backend's own writer:
 *
 *   node --import tsx scripts/make-example-store.ts out/example-mlruns [--replace]
 *
 * `npm run example` writes it into out/example-mlruns before copying from it, and the tests
 * write their own (test/support/example-store.ts): run meta.yaml files hold absolute file://
 * artifact URIs, as MLflow writes them, so a store written where it is used is one MLflow's UI
 * can serve artifacts from, wherever the repository is cloned. Nothing of it is committed.
 *
 * Deterministic: a seeded PRNG makes every value, run ids and experiment ids come from it, and
 * every time is fixed, so the same output path always gives the same bytes (a different path
 * changes only the artifact URIs); test/unit/mlruns-example-store.test.ts pins the bytes. The store looks like one MLflow itself wrote: no provenance tags; the tag finish()
 * writes last is an ordinary MLflow system tag.
 *
 * Contents: experiment `churn` (a baseline, a parent sweep run with two nested children, a FAILED
 * run whose loss diverges to NaN, a deleted KILLED run; params, system tags, a dataset input,
 * 1,000-5,000-step histories, artifacts with a nested model/ folder) and experiment `vision`
 * (2 runs). About 0.7 MB.
 */
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Readable } from 'node:stream';
import type { TargetProject } from '../src/backends/contract.js';
import { openMlrunsStore } from '../src/backends/mlruns/index.js';
import { STAGING_DIR } from '../src/backends/mlruns/layout.js';
import type { DatasetInput, KeyValue, MetricPoint, RunStatus } from '../src/model/run.js';
import { prng } from '../test/support/prng.js';

const SEED = 20260305;
/** 2025-03-01T09:00:00Z: every time in the store is counted from here. */
const T0 = Date.UTC(2025, 2, 1, 9, 0, 0);


// Reset by writeExampleStore, so that every store written in one process is the same.
let random = prng(SEED);
const hex = (length: number): string => Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');
const round = (value: number): number => Math.round(value * 1e4) / 1e4;

/** A training curve: decays from `from` towards `to` with noise, one point every `everyMs`. */
function curve(start: number, steps: number, from: number, to: number, everyMs = 60): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (let step = 0; step < steps; step++) {
    const progress = 1 - Math.exp((-4 * step) / steps);
    const noise = (random() - 0.5) * 0.02 * Math.abs(from - to);
    points.push({ value: round(from + (to - from) * progress + noise), timestamp: start + step * everyMs, step });
  }
  return points;
}

interface ExampleRun {
  name: string;
  user: string;
  start: number;
  minutes: number;
  status: RunStatus;
  deleted?: boolean;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, MetricPoint[]>;
  inputs?: DatasetInput[];
  files?: Record<string, Buffer>;
}

const CHURN_DATASET: DatasetInput = {
  dataset: {
    name: 'churn-train',
    digest: 'a3f9c2e1',
    sourceType: 'local',
    source: '{"uri": "data/churn-2025-02.csv"}',
    schema: '{"mlflow_colspec": [{"type": "double", "name": "tenure"}, {"type": "double", "name": "monthly_charges"}, {"type": "long", "name": "churned"}]}',
    profile: '{"num_rows": 7043, "num_elements": 21129}',
  },
  tags: [{ key: 'mlflow.data.context', value: 'training' }],
};

function systemTags(user: string, note?: string): Record<string, string> {
  return {
    'mlflow.user': user,
    'mlflow.source.name': 'train.py',
    'mlflow.source.git.commit': hex(40),
    ...(note ? { 'mlflow.note.content': note } : {}),
  };
}

function modelFiles(flavor: string): Record<string, Buffer> {
  const weights = Buffer.from(Array.from({ length: 512 }, () => Math.floor(random() * 256)));
  return {
    'model/MLmodel': Buffer.from(`artifact_path: model\nflavors:\n  ${flavor}:\n    serialization_format: cloudpickle\nmlflow_version: 2.21.0\n`),
    'model/model.pkl': weights,
    'model/requirements.txt': Buffer.from('mlflow==2.21.0\nscikit-learn==1.6.1\n'),
    'model/metadata/input_example.json': Buffer.from('{"columns": ["tenure", "monthly_charges"], "data": [[12, 70.35]]}\n'),
  };
}

async function writeRun(project: TargetProject, run: ExampleRun, extraTags: KeyValue[] = []): Promise<string> {
  const target = await project.createRun({
    name: run.name,
    user: run.user,
    startTime: run.start,
    tags: [],
    source: { project: 'example', runId: run.name },
  });
  const entries = (record: Record<string, string>): KeyValue[] => Object.entries(record).map(([key, value]) => ({ key, value }));
  await target.logParams(entries(run.params));
  await target.setTags([...entries(run.tags), ...extraTags]);
  for (const [key, points] of Object.entries(run.metrics)) {
    for (let i = 0; i < points.length; i += 1000) await target.logMetrics([{ key, points: points.slice(i, i + 1000) }]);
  }
  if (run.inputs) await target.logInputs(run.inputs);
  for (const [path, bytes] of Object.entries(run.files ?? {})) {
    await target.writeFile(path, Readable.from([bytes]), bytes.length);
  }
  await target.finish({
    status: run.status,
    endTime: run.status === 'RUNNING' ? undefined : run.start + run.minutes * 60_000,
    deleted: run.deleted ?? false,
    // finish() writes its marker tag last; an MLflow-made run carries no runs-migrator marker.
    marker: { key: 'mlflow.source.type', value: 'LOCAL' },
  });
  return target.runId;
}

async function writeChurn(project: TargetProject): Promise<void> {
  const at = (hours: number): number => T0 + hours * 3_600_000;
  await writeRun(project, {
    name: 'baseline-logreg',
    user: 'alice',
    start: at(0),
    minutes: 4,
    status: 'FINISHED',
    params: { C: '1.0', penalty: 'l2', solver: 'lbfgs', max_iter: '1000' },
    tags: { ...systemTags('alice', 'Logistic regression baseline on the February extract.'), model_family: 'linear' },
    metrics: {
      'train/loss': curve(at(0), 1000, 0.69, 0.41),
      'val/loss': curve(at(0), 1000, 0.69, 0.44),
      'val/auc': curve(at(0), 1000, 0.5, 0.83),
    },
    inputs: [CHURN_DATASET],
    files: { ...modelFiles('sklearn'), 'confusion_matrix.txt': Buffer.from('      pred0 pred1\ntrue0  4721   453\ntrue1   802  1067\n') },
  });

  const parentId = await writeRun(project, {
    name: 'xgb-sweep',
    user: 'bob',
    start: at(2),
    minutes: 30,
    status: 'FINISHED',
    params: { search: 'grid', 'grid/max_depth': '[4, 8]', n_estimators: '400' },
    tags: systemTags('bob', 'Depth sweep; children hold the trials.'),
    metrics: { best_val_auc: curve(at(2), 20, 0.8, 0.87, 90_000) },
    inputs: [CHURN_DATASET],
  });
  for (const depth of [4, 8]) {
    const start = at(2) + depth * 60_000;
    await writeRun(
      project,
      {
        name: `xgb-depth-${depth}`,
        user: 'bob',
        start,
        minutes: 12,
        status: 'FINISHED',
        params: { max_depth: String(depth), learning_rate: '0.05', n_estimators: '400', subsample: '0.8' },
        tags: { ...systemTags('bob'), model_family: 'boosted-trees' },
        metrics: {
          'train/loss': curve(start, depth === 8 ? 5000 : 1500, 0.69, depth === 8 ? 0.28 : 0.35, 12),
          'val/auc': curve(start, 1500, 0.5, depth === 8 ? 0.86 : 0.87, 40),
        },
        inputs: [CHURN_DATASET],
        files: { ...modelFiles('xgboost'), 'feature_importance.csv': Buffer.from('feature,gain\ntenure,0.41\nmonthly_charges,0.33\ncontract,0.26\n') },
      },
      [{ key: 'mlflow.parentRunId', value: parentId }],
    );
  }

  // Diverged: the loss ends in NaN, as a real blow-up logs it.
  const diverged = curve(at(5), 400, 0.69, 0.2);
  for (const [offset, point] of diverged.slice(380).entries()) point.value = offset < 15 ? round(point.value * 10 ** (offset + 1)) : NaN;
  await writeRun(project, {
    name: 'lgbm-lr-too-high',
    user: 'carol',
    start: at(5),
    minutes: 2,
    status: 'FAILED',
    params: { learning_rate: '0.9', num_leaves: '255' },
    tags: { ...systemTags('carol', 'Diverged after ~380 steps; learning rate far too high.'), model_family: 'boosted-trees' },
    metrics: { 'train/loss': diverged, 'val/auc': curve(at(5), 400, 0.5, 0.61) },
  });

  await writeRun(project, {
    name: 'scratch-debug',
    user: 'carol',
    start: at(6),
    minutes: 1,
    status: 'KILLED',
    deleted: true,
    params: { debug: 'true' },
    tags: systemTags('carol'),
    metrics: { 'train/loss': curve(at(6), 1000, 0.69, 0.6) },
  });
}

async function writeVision(project: TargetProject): Promise<void> {
  const at = (hours: number): number => T0 + (48 + hours) * 3_600_000;
  for (const [index, arch] of ['resnet18', 'vit-small'].entries()) {
    await writeRun(project, {
      name: `${arch}-cifar10`,
      user: 'dave',
      start: at(index * 3),
      minutes: 95,
      status: 'FINISHED',
      params: { arch, epochs: '20', batch_size: '128', optimizer: 'sgd', lr: '0.1' },
      tags: systemTags('dave', `${arch} on CIFAR-10.`),
      metrics: {
        'train/loss': curve(at(index * 3), 1000, 2.3, index === 0 ? 0.21 : 0.35, 5_000),
        'val/acc': curve(at(index * 3), 1000, 0.1, index === 0 ? 0.93 : 0.89, 5_000),
      },
      files: { 'model/config.json': Buffer.from(`{"arch": "${arch}", "num_classes": 10}\n`), 'samples.txt': Buffer.from('airplane\nautomobile\nbird\n') },
    });
  }
}

/**
 * Writes the example store into `out` (made absolute: meta.yaml files name it). A non-empty
 * folder is refused unless `replace` is set.
 */
export async function writeExampleStore(out: string, options: { replace?: boolean } = {}): Promise<string> {
  const root = resolve(out);
  const existing = await readdir(root).catch(() => []);
  if (existing.length > 0) {
    if (!options.replace) throw new Error(`${root} is not empty; pass --replace to write the example again`);
    await rm(root, { recursive: true });
  }
  random = prng(SEED);
  let experiment = 0;
  const store = await openMlrunsStore(root, 'target', {
    now: () => T0,
    newRunId: () => hex(32),
    newExperimentId: () => ['482915736104528397', '731640285917364052'][experiment++]!,
  });
  const churn = await store.openTarget(
    { workspace: 'default', project: 'churn' },
    { tags: [{ key: 'team', value: 'growth' }], description: 'Customer churn models for the retention campaign.' },
    { create: true },
  );
  const vision = await store.openTarget({ workspace: 'default', project: 'vision' }, { tags: [{ key: 'team', value: 'perception' }] }, { create: true });
  await writeChurn(churn!);
  await writeVision(vision!);
  await store.close();
  // The writer's staging folder holds nothing after finished runs; an MLflow-made store has none.
  await rm(join(root, STAGING_DIR), { recursive: true, force: true });
  return root;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const out = args.find((arg) => !arg.startsWith('--'));
  if (!out) throw new Error('usage: node --import tsx scripts/make-example-store.ts <output-dir> [--replace]');
  const root = await writeExampleStore(out, { replace: args.includes('--replace') });
  process.stdout.write(`wrote the example store to ${root}\n`);
}

// Run as a script (npm run example), not when imported by the tests.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
