/**
 * Reading a store laid out as MLflow's FileStore leaves it: files written here by hand, exactly
 * as MLflow 2.x/3.x writes them, including what FileStore skips (the registry's `models`, reserved
 * experiment folders, folders without meta.yaml, runs recording another experiment, `.trash`).
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceProject, SourceRun } from '../../src/backends/contract.js';
import { openMlrunsStore, type MlrunsStore } from '../../src/backends/mlruns/index.js';
import { datasetId, inputId } from '../../src/backends/mlruns/inputs.js';
import type { MetricPoint } from '../../src/model/run.js';
import { NotFoundError } from '../../src/util/errors.js';
import { collect } from '../support/streams.js';

const EXP = '5';
const RUN = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const CHILD = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const DELETED = 'cccccccccccccccccccccccccccccccc';
const STRAY = 'dddddddddddddddddddddddddddddddd';

let root: string;
let store: MlrunsStore;

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

function runMeta(runId: string, fields: Record<string, string>): string {
  const base: Record<string, string> = {
    artifact_uri: `file://${root}/${EXP}/${runId}/artifacts`,
    end_time: '1700000060000',
    entry_point_name: "''",
    experiment_id: `'${EXP}'`,
    lifecycle_stage: 'active',
    run_id: runId,
    run_name: 'train-1',
    run_uuid: runId,
    source_name: "''",
    source_type: '4',
    source_version: "''",
    start_time: '1700000000000',
    status: '3',
    tags: '[]',
    user_id: 'alice',
    ...fields,
  };
  return Object.entries(base).map(([k, v]) => `${k}: ${v}\n`).join('');
}

beforeAll(async () => {
  root = join(await mkdtemp(join(tmpdir(), 'mlruns-reader-')), 'mlruns');
  await put('0/meta.yaml', `artifact_location: file://${root}/0\ncreation_time: 1\nexperiment_id: '0'\nlast_update_time: 1\nlifecycle_stage: active\nname: Default\n`);
  await put('models/reg/meta.yaml', 'name: a registered model, not an experiment\n');
  await put('.trash/7/meta.yaml', `artifact_location: file://${root}/7\nexperiment_id: '7'\nlifecycle_stage: deleted\nname: old\n`);
  await put(`${EXP}/meta.yaml`, `artifact_location: file://${root}/${EXP}\ncreation_time: 1700000000000\nexperiment_id: '${EXP}'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: churn\n`);
  await put(`${EXP}/tags/mlflow.note.content`, 'Churn models');
  await put(`${EXP}/tags/team`, 'growth');
  await put(`${EXP}/traces/tr-1/trace_info.yaml`, 'request_id: tr-1\n');
  await mkdir(join(root, EXP, 'not-a-run'), { recursive: true });

  // A finished run, as MLflow leaves it after set_terminated (no deleted_time key).
  await put(`${EXP}/${RUN}/meta.yaml`, runMeta(RUN, {}));
  await put(`${EXP}/${RUN}/params/lr`, '0.01');
  await put(`${EXP}/${RUN}/params/optimizer/name`, 'adam');
  await put(`${EXP}/${RUN}/tags/mlflow.runName`, 'train-1');
  await put(`${EXP}/${RUN}/tags/mlflow.user`, 'alice');
  await put(`${EXP}/${RUN}/tags/note`, 'line one\nline two');
  await put(`${EXP}/${RUN}/metrics/loss`, '1700000000000 0.5 0\n1700000000001 nan 1\n1700000000002 -inf 9007199254740993\n1700000000003 0.25');
  await put(`${EXP}/${RUN}/metrics/train/acc`, '1700000000000 1\n');
  await put(`${EXP}/${RUN}/artifacts/model/weights.bin`, 'W');
  await put(`${EXP}/${RUN}/artifacts/README.md`, 'hello');
  await symlink('/etc', join(root, EXP, RUN, 'artifacts', 'escape'));
  await symlink('/etc/hostname', join(root, EXP, RUN, 'params', 'host'));
  const dataset = datasetId({ name: 'iris', digest: 'd1' });
  await put(`${EXP}/datasets/${dataset}/meta.yaml`, "digest: d1\nname: iris\nprofile: null\nschema: '{\"x\": 1}'\nsource: /data/iris.csv\nsource_type: local\n");
  await put(
    `${EXP}/${RUN}/inputs/${inputId(dataset, RUN)}/meta.yaml`,
    `destination_id: ${dataset}\ndestination_type: RUN\nsource_id: ${dataset}\nsource_type: DATASET\ntags:\n  mlflow.data.context: train\n`,
  );

  // A nested run without run_name (older MLflow): the name comes from the mlflow.runName tag.
  // Its artifact_uri names a path that no longer exists: the store was moved.
  await put(`${EXP}/${CHILD}/meta.yaml`, runMeta(CHILD, { run_name: "''", artifact_uri: `file:///moved/away/${EXP}/${CHILD}/artifacts`, status: '1', end_time: 'null', deleted_time: 'null' }));
  await put(`${EXP}/${CHILD}/tags/mlflow.runName`, 'child-from-tag');
  await put(`${EXP}/${CHILD}/tags/mlflow.parentRunId`, RUN);
  await put(`${EXP}/${CHILD}/artifacts/out.txt`, 'moved store');

  await put(`${EXP}/${DELETED}/meta.yaml`, runMeta(DELETED, { lifecycle_stage: 'deleted', deleted_time: '1700000099000', status: '5' }));
  // A run folder recording another experiment: FileStore ignores it.
  await put(`${EXP}/${STRAY}/meta.yaml`, runMeta(STRAY, { experiment_id: "'6'" }));

  store = await openMlrunsStore(root, 'source');
});

afterAll(async () => {
  await rm(dirname(root), { recursive: true, force: true });
});

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function openRun(project: SourceProject, runId: string): Promise<SourceRun> {
  const info = (await collect(project.listRuns({ includeDeleted: true }))).find((run) => run.runId === runId)!;
  return project.openRun(info);
}

describe('an MLflow-written mlruns store as a source', () => {
  it('finds the experiment by its meta.yaml name, with tags and description', async () => {
    const project = await store.openSource({ workspace: 'default', project: 'churn' });
    expect(project.meta).toEqual({
      id: EXP,
      tags: [{ key: 'team', value: 'growth' }],
      description: 'Churn models',
      artifactLocation: `file://${root}/${EXP}`,
      creationTime: 1700000000000,
    });
  });

  it('lists runs as FileStore does: deleted ones only on request, strays and non-runs skipped', async () => {
    const project = await store.openSource({ workspace: 'default', project: 'churn' });
    const active = await collect(project.listRuns({ includeDeleted: false }));
    expect(active.map((run) => run.runId)).toEqual([RUN, CHILD]);
    expect(active[0]).toEqual({
      runId: RUN,
      name: 'train-1',
      user: 'alice',
      startTime: 1700000000000,
      endTime: 1700000060000,
      status: 'FINISHED',
      deleted: false,
      experimentId: EXP,
      artifactUri: `file://${root}/${EXP}/${RUN}/artifacts`,
      // A digest of the run folder's file sizes and times, for sync (docs/sync.md).
      stateToken: expect.stringMatching(/^[\w-]{22}$/),
    });
    expect(active[1]).toMatchObject({ name: 'child-from-tag', status: 'RUNNING', parentRunId: RUN });
    expect(active[1]!.endTime).toBeUndefined();
    const all = await collect(project.listRuns({ includeDeleted: true }));
    expect(all.find((run) => run.runId === DELETED)).toMatchObject({ deleted: true, status: 'KILLED' });
    expect(all.some((run) => run.runId === STRAY)).toBe(false);
  });

  it('reads params and tags with "/" keys and values byte for byte, never through a symlink', async () => {
    const project = await store.openSource({ workspace: 'default', project: 'churn' });
    const run = await openRun(project, RUN);
    expect(await run.params()).toEqual([
      { key: 'lr', value: '0.01' },
      { key: 'optimizer/name', value: 'adam' },
    ]);
    expect(run.readIssues!()).toEqual([{ field: 'params/host', reason: 'symbolic link; not followed and not copied' }]);
    expect(await run.tags()).toEqual([
      { key: 'mlflow.runName', value: 'train-1' },
      { key: 'mlflow.user', value: 'alice' },
      { key: 'note', value: 'line one\nline two' },
    ]);
  });

  it('streams metric histories, two-field lines as step 0, a last line without newline included', async () => {
    const project = await store.openSource({ workspace: 'default', project: 'churn' });
    const run = await openRun(project, RUN);
    expect(await run.metricKeys()).toEqual(['loss', 'train/acc']);
    const loss: MetricPoint[] = (await collect(run.metricHistory('loss'))).flat();
    expect(loss).toHaveLength(4);
    expect(loss[1]!.value).toBeNaN();
    expect(loss[2]).toEqual({ timestamp: 1700000000002, value: -Infinity, step: 9007199254740993n });
    expect(loss[3]).toEqual({ timestamp: 1700000000003, value: 0.25, step: 0 });
    expect((await collect(run.metricHistory('train/acc'))).flat()).toEqual([{ timestamp: 1700000000000, value: 1, step: 0 }]);
  });

  it('reads dataset inputs through the experiment datasets folder', async () => {
    const project = await store.openSource({ workspace: 'default', project: 'churn' });
    const run = await openRun(project, RUN);
    expect(await run.inputs()).toEqual([
      {
        dataset: { name: 'iris', digest: 'd1', sourceType: 'local', source: '/data/iris.csv', schema: '{"x": 1}' },
        tags: [{ key: 'mlflow.data.context', value: 'train' }],
      },
    ]);
  });

  it('walks artifacts without following symlinks, and reports the symlink', async () => {
    const project = await store.openSource({ workspace: 'default', project: 'churn' });
    const run = await openRun(project, RUN);
    expect(await collect(run.files())).toMatchObject([
      { path: 'README.md', size: 5 },
      { path: 'model/weights.bin', size: 1 },
    ]);
    expect(run.readIssues!()).toEqual([{ field: 'artifacts/escape', reason: 'symbolic link; not followed and not copied' }]);
    expect(await text(await run.openFile('model/weights.bin'))).toBe('W');
  });

  it('refuses file paths that leave the artifact folder, through ".." or a symlink', async () => {
    const project = await store.openSource({ workspace: 'default', project: 'churn' });
    const run = await openRun(project, RUN);
    await expect(run.openFile('../meta.yaml')).rejects.toThrow(/refusing artifact path/);
    await expect(run.openFile('/etc/passwd')).rejects.toThrow(/refusing artifact path/);
    await expect(run.openFile('escape/passwd')).rejects.toThrow(/resolves outside/);
  });

  it('reads artifacts of a moved store from the run folder when artifact_uri points elsewhere', async () => {
    const project = await store.openSource({ workspace: 'default', project: 'churn' });
    const run = await openRun(project, CHILD);
    expect(await collect(run.files())).toMatchObject([{ path: 'out.txt', size: 11 }]);
    expect(await text(await run.openFile('out.txt'))).toBe('moved store');
  });

  it('says why an experiment cannot be read: deleted, missing, or a workspace mlruns does not have', async () => {
    await expect(store.openSource({ workspace: 'default', project: 'old' })).rejects.toThrow(/is deleted \(in \.trash\)/);
    await expect(store.openSource({ workspace: 'default', project: 'nope' })).rejects.toThrow(/it has "Default", "churn"/);
    const wrongWorkspace = store.openSource({ workspace: 'team-a', project: 'churn' });
    await expect(wrongWorkspace).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.openSource({ workspace: 'team-a', project: 'churn' })).rejects.toThrow(/only the "default" workspace/);
  });

  it('refuses to open a missing root as a source', async () => {
    await expect(openMlrunsStore(join(root, 'missing'), 'source')).rejects.toThrow(/no MLflow file store at/);
  });
});
