import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceProject, SourceRun } from '../../src/backends/contract.js';
import { MlflowSqliteStore } from '../../src/backends/mlflow-sqlite/index.js';
import type { MetricPoint, RunInfo } from '../../src/model/run.js';
import { NotFoundError } from '../../src/util/errors.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { MlflowSqliteSeeder } from '../support/mlflow-sqlite-seed.js';
import { collect, readAll } from '../support/streams.js';

// One database holding runs of every shape, read back through the backend.

const T0 = 1_700_000_000_000;
const BIG_STEP = 9_007_199_254_740_993n; // 2^53 + 1: not a safe JS number

const LONG: MetricPoint[] = Array.from({ length: 30_000 }, (_, i) => ({ value: i / 7, timestamp: T0 + i, step: i }));

// Awkward points: a NaN and a real 0 at the same (timestamp, step) - MLflow stores both with
// value 0, told apart only by is_nan - infinities, a negative and an int64 step, equal
// (timestamp, step) with different values.
const SPECIAL: MetricPoint[] = [
  { value: Number.NaN, timestamp: T0, step: 0 },
  { value: 0, timestamp: T0, step: 0 },
  { value: -0.5, timestamp: T0, step: 0 },
  { value: Number.POSITIVE_INFINITY, timestamp: T0 + 1, step: 1 },
  { value: Number.NEGATIVE_INFINITY, timestamp: T0 + 2, step: -3 },
  { value: 2.5, timestamp: T0 + 3, step: BIG_STEP },
];

const SPECIAL_READ: MetricPoint[] = [
  { value: -0.5, timestamp: T0, step: 0 },
  { value: 0, timestamp: T0, step: 0 },
  { value: Number.NaN, timestamp: T0, step: 0 },
  { value: Number.MAX_VALUE, timestamp: T0 + 1, step: 1 },
  { value: -Number.MAX_VALUE, timestamp: T0 + 2, step: -3 },
  { value: 2.5, timestamp: T0 + 3, step: BIG_STEP },
];

let dir: string;
let store: MlflowSqliteStore;
let project: SourceProject;
type RunName = 'full' | 'child' | 'deleted' | 's3' | 'nostatus' | 'foreign';
const ids = {} as Record<RunName, string>;
let experimentId: number;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlflow-sqlite-read-'));
  const dbPath = path.join(dir, 'mlflow.db');
  createMlflowDatabase(dbPath);
  const seed = new MlflowSqliteSeeder(dbPath);
  experimentId = seed.experiment({
    name: 'vision/resnet',
    artifactLocation: path.join(dir, 'mlruns', '1'),
    creationTime: T0 - 5,
    tags: [
      { key: 'team', value: 'vision' },
      { key: 'mlflow.note.content', value: 'ResNet sweeps' },
    ],
  });
  const other = seed.experiment({ name: 'other' });

  const artifacts = (runId: string) => path.join(dir, 'mlruns', '1', runId, 'artifacts');
  ids.full = seed.run({ experimentId, runId: 'a'.repeat(32), name: 'full', user: 'alice', startTime: T0, artifactUri: artifacts('a'.repeat(32)) });
  seed.params(ids.full, [
    { key: 'lr', value: '0.01' },
    { key: 'optimizer/name', value: 'adam' },
  ]);
  seed.tags(ids.full, [
    { key: 'stage', value: 'dev' },
    { key: 'empty-by-accident', value: null },
  ]);
  seed.metrics(ids.full, 'loss', LONG);
  seed.metrics(ids.full, 'special', SPECIAL);
  seed.inputs(ids.full, experimentId, [
    {
      dataset: { name: 'iris', digest: 'd1', sourceType: 'local', source: '{"uri": "/data/iris.csv"}', schema: '{"mlflow_colspec": []}', profile: '{"num_rows": 150}' },
      tags: [
        { key: 'mlflow.data.context', value: 'training' },
        { key: 'split', value: 'train' },
      ],
    },
    { dataset: { name: 'cifar', digest: 'd2', sourceType: 'http', source: '{"url": "https://example.org/c"}' }, tags: [] },
  ]);
  seed.modelOutput(ids.full, 'm-0123456789abcdef', 3);
  seed.finish(ids.full, 'FINISHED', T0 + 60_000);
  const files = artifacts(ids.full);
  fs.mkdirSync(path.join(files, 'model', 'config'), { recursive: true });
  fs.writeFileSync(path.join(files, 'model', 'weights.bin'), Buffer.from([0, 1, 2, 253, 254, 255]));
  fs.writeFileSync(path.join(files, 'model', 'config', 'params.json'), '{"lr": 0.01}\n');
  fs.writeFileSync(path.join(files, 'notes.txt'), 'héllo\n');
  fs.writeFileSync(path.join(files, 'empty.txt'), '');

  // Named only by the mlflow.runName tag (runs.name NULL), nested under `full`, artifacts as a file: URI.
  ids.child = seed.run({ experimentId, runId: 'b'.repeat(32), name: null, artifactUri: `file://${artifacts('b'.repeat(32))}` });
  seed.tags(ids.child, [
    { key: 'mlflow.runName', value: 'child-from-tag' },
    { key: 'mlflow.parentRunId', value: ids.full },
  ]);
  fs.mkdirSync(artifacts(ids.child), { recursive: true });
  fs.writeFileSync(path.join(artifacts(ids.child), 'child.txt'), 'child');

  ids.deleted = seed.run({ experimentId, runId: 'c'.repeat(32), name: 'gone' });
  seed.finish(ids.deleted, 'KILLED', T0 + 5, true);

  ids.s3 = seed.run({ experimentId, runId: 'd'.repeat(32), name: 'on-s3', status: 'FAILED', artifactUri: 'gs://bucket/1/dddd/artifacts' });
  ids.nostatus = seed.run({ experimentId, runId: 'e'.repeat(32), name: 'no-status', status: null, artifactUri: null });
  ids.foreign = seed.run({ experimentId: other, runId: 'f'.repeat(32), name: 'elsewhere' });
  seed.close();
});

beforeAll(async () => {
  store = MlflowSqliteStore.open(`sqlite:///${path.join(dir, 'mlflow.db')}`);
  project = await store.openSource({ workspace: 'default', project: 'vision/resnet' });
});

afterAll(async () => {
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function open(name: RunName): Promise<SourceRun> {
  const infos = await collect(project.listRuns({ includeDeleted: true }));
  const info = infos.find((candidate) => candidate.runId === ids[name]);
  if (!info) throw new Error(`run ${name} not listed`);
  return project.openRun(info);
}

describe('mlflow-sqlite: experiment and run listing', () => {
  it('reads the experiment as project metadata; the description is its mlflow.note.content tag', () => {
    expect(project.meta).toEqual({
      id: String(experimentId),
      tags: [
        { key: 'mlflow.note.content', value: 'ResNet sweeps' },
        { key: 'team', value: 'vision' },
      ],
      description: 'ResNet sweeps',
      artifactLocation: path.join(dir, 'mlruns', '1'),
      creationTime: T0 - 5,
    });
  });

  it('lists active runs only unless deleted ones are asked for, never another experiment\'s', async () => {
    const active = await collect(project.listRuns({ includeDeleted: false }));
    expect(active.map((info) => info.runId)).toEqual([ids.full, ids.child, ids.s3, ids.nostatus]);
    const all = await collect(project.listRuns({ includeDeleted: true }));
    expect(all.map((info) => info.runId)).toEqual([ids.full, ids.child, ids.deleted, ids.s3, ids.nostatus]);
  });

  it('maps the runs row to RunInfo: name (or the mlflow.runName tag), user, times, status, parent', async () => {
    const all = new Map((await collect(project.listRuns({ includeDeleted: true }))).map((info) => [info.runId, info]));
    expect(all.get(ids.full)).toEqual<RunInfo>({
      runId: ids.full,
      name: 'full',
      user: 'alice',
      startTime: T0,
      endTime: T0 + 60_000,
      status: 'FINISHED',
      deleted: false,
      experimentId: String(experimentId),
      artifactUri: path.join(dir, 'mlruns', '1', ids.full, 'artifacts'),
      // A digest of its rows and local files (run-state.ts), for the sync.
      stateToken: expect.any(String),
    });
    expect(all.get(ids.child)).toMatchObject({ name: 'child-from-tag', parentRunId: ids.full, status: 'RUNNING' });
    expect(all.get(ids.deleted)).toMatchObject({ name: 'gone', deleted: true, status: 'KILLED' });
  });

  it('reads a NULL status as SCHEDULED (the column default) and reports it', async () => {
    const run = await open('nostatus');
    expect(run.info.status).toBe('SCHEDULED');
    expect(run.readIssues?.()).toContainEqual({ field: 'info/status', reason: expect.stringMatching(/status is NULL.*read as SCHEDULED/) });
  });

  it('refuses to open a run of another experiment', async () => {
    const foreign: RunInfo = { runId: ids.foreign, status: 'RUNNING', deleted: false };
    await expect(project.openRun(foreign)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('mlflow-sqlite: params, tags and inputs', () => {
  it('reads params and every tag as stored, system tags included', async () => {
    const run = await open('full');
    expect(await run.params()).toEqual([
      { key: 'lr', value: '0.01' },
      { key: 'optimizer/name', value: 'adam' },
    ]);
    const tags = await run.tags();
    expect(tags).toContainEqual({ key: 'stage', value: 'dev' });
    expect(tags).toContainEqual({ key: 'mlflow.runName', value: 'full' });
    expect(tags).toContainEqual({ key: 'mlflow.user', value: 'alice' });
  });

  it('reads a NULL tag value as an empty string and reports it', async () => {
    const run = await open('full');
    expect(await run.tags()).toContainEqual({ key: 'empty-by-accident', value: '' });
    expect(run.readIssues?.()).toContainEqual({ field: 'tags/empty-by-accident', reason: expect.stringMatching(/NULL/) });
  });

  it('reads dataset inputs with their tags, and logged-model links apart from them', async () => {
    const run = await open('full');
    expect(await run.inputs()).toEqual([
      { dataset: { name: 'cifar', digest: 'd2', sourceType: 'http', source: '{"url": "https://example.org/c"}' }, tags: [] },
      {
        dataset: { name: 'iris', digest: 'd1', sourceType: 'local', source: '{"uri": "/data/iris.csv"}', schema: '{"mlflow_colspec": []}', profile: '{"num_rows": 150}' },
        tags: [
          { key: 'mlflow.data.context', value: 'training' },
          { key: 'split', value: 'train' },
        ],
      },
    ]);
    expect(run.readIssues?.()).not.toContainEqual({ field: 'inputs', reason: expect.anything() });
    expect((await run.modelLinks!()).outputs).toHaveLength(1);
  });
});

describe('mlflow-sqlite: metric histories', () => {
  it('lists the metric keys of the run', async () => {
    expect(await (await open('full')).metricKeys()).toEqual(['loss', 'special']);
  });

  it('streams a 30k-point history in batches of at most 10,000 points, every point once, in order', async () => {
    const run = await open('full');
    const sizes: number[] = [];
    const points: MetricPoint[] = [];
    for await (const batch of run.metricHistory('loss')) {
      sizes.push(batch.length);
      points.push(...batch);
    }
    expect(sizes).toEqual([10_000, 10_000, 10_000]);
    expect(points).toEqual(LONG);
  });

  it('reads NaN (is_nan = 1), clamped infinities and int64 steps, and tells NaN from 0 at the same step', async () => {
    const run = await open('full');
    const points = (await collect(run.metricHistory('special'))).flat();
    expect(points).toEqual(SPECIAL_READ);
    expect(typeof points[5]!.step).toBe('bigint');
    expect(typeof points[4]!.step).toBe('number');
  });

  it('pages through ties correctly with any chunk size (keyset on timestamp, step, value, is_nan)', async () => {
    const tiny = MlflowSqliteStore.open(`sqlite:///${path.join(dir, 'mlflow.db')}`, { metricChunk: 2 });
    try {
      const source = await tiny.openSource({ workspace: 'default', project: 'vision/resnet' });
      const run = await source.openRun({ runId: ids.full, status: 'FINISHED', deleted: false });
      const batches = await collect(run.metricHistory('special'));
      expect(batches.map((batch) => batch.length)).toEqual([2, 2, 2]);
      expect(batches.flat()).toEqual(SPECIAL_READ);
    } finally {
      await tiny.close();
    }
  });

  it('yields nothing for a key the run does not have', async () => {
    expect(await collect((await open('full')).metricHistory('no-such-key'))).toEqual([]);
  });
});

describe('mlflow-sqlite: artifacts', () => {
  it('lists a local artifact tree with nested directories and streams identical bytes', async () => {
    const run = await open('full');
    expect(await collect(run.files())).toMatchObject([
      { path: 'empty.txt', size: 0 },
      { path: 'model/config/params.json', size: 13 },
      { path: 'model/weights.bin', size: 6 },
      { path: 'notes.txt', size: 7 },
    ]);
    expect(await readAll(await run.openFile('model/weights.bin'))).toEqual(Buffer.from([0, 1, 2, 253, 254, 255]));
    expect((await readAll(await run.openFile('notes.txt'))).toString('utf8')).toBe('héllo\n');
    expect(run.readIssues?.().filter((issue) => issue.field.startsWith('files'))).toEqual([]);
  });

  it('reads artifacts named by a file: URI', async () => {
    const run = await open('child');
    expect(await collect(run.files())).toMatchObject([{ path: 'child.txt', size: 5 }]);
  });

  it('lists no files of a run whose artifacts are in a store it does not read (gs:), and reports them lost (the copy fails)', async () => {
    const run = await open('s3');
    expect(await collect(run.files())).toEqual([]);
    expect(run.readIssues?.()).toContainEqual({ field: 'files', reason: expect.stringMatching(/gs:\/\/bucket.*does not read.*mlflow server/), lost: true });
    await expect(run.openFile('model.pkl')).rejects.toBeInstanceOf(NotFoundError);
    expect(await run.params()).toEqual([]);
  });
});
