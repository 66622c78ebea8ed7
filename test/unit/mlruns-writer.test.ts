/**
 * Writing into an mlruns store: the files a finished copy leaves are the ones MLflow's FileStore
 * writes, private to the user; hostile paths and keys are refused; existing experiments are
 * respected.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TargetProject } from '../../src/backends/contract.js';
import { openMlrunsStore, type MlrunsStore } from '../../src/backends/mlruns/index.js';
import { exists } from '../../src/backends/mlruns/fs-util.js';
import { PROVENANCE } from '../../src/model/provenance.js';
import { NotFoundError, UsageError } from '../../src/util/errors.js';
import { collect } from '../support/streams.js';

const REF = { workspace: 'default', project: 'churn' };
const MARKER = { key: PROVENANCE.completed, value: '2026-03-05T00:00:00.000Z' };
const NOW = 1_760_000_000_000;

let dir: string;
let root: string;
let runIds: string[];

async function open(): Promise<MlrunsStore> {
  let next = 0;
  return openMlrunsStore(root, 'target', {
    now: () => NOW,
    newRunId: () => runIds[next++] ?? `${String(next).padStart(32, 'f')}`,
    newExperimentId: () => '123456789012345678',
  });
}

async function target(store: MlrunsStore): Promise<TargetProject> {
  return (await store.openTarget(REF, { tags: [{ key: 'team', value: 'growth' }], description: 'Churn' }, { create: true }))!;
}

function provenance(runId: string) {
  return [
    { key: PROVENANCE.runId, value: runId },
    { key: PROVENANCE.project, value: 'ws/src' },
  ];
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlruns-writer-'));
  root = join(dir, 'mlruns');
  runIds = ['a1111111111111111111111111111111', 'b2222222222222222222222222222222'];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a new store', () => {
  it('is created the way FileStore creates one: private root, Default experiment 0, .trash', async () => {
    await target(await open());
    expect(await mode(root)).toBe(0o700);
    expect(await readFile(join(root, '0', 'meta.yaml'), 'utf8')).toBe(
      `artifact_location: file://${root}/0\ncreation_time: ${NOW}\nexperiment_id: '0'\nlast_update_time: ${NOW}\nlifecycle_stage: active\nname: Default\n`,
    );
    expect(await exists(join(root, '.trash'))).toBe(true);
    const experiment = join(root, '123456789012345678');
    expect(await readFile(join(experiment, 'meta.yaml'), 'utf8')).toContain('name: churn\n');
    expect(await readFile(join(experiment, 'tags', 'mlflow.note.content'), 'utf8')).toBe('Churn');
    expect(await mode(join(experiment, 'meta.yaml'))).toBe(0o600);
  });

  it('is not created by a dry run', async () => {
    const store = await open();
    expect(await store.openTarget(REF, { tags: [] }, { create: false })).toBeUndefined();
    expect(await exists(root)).toBe(false);
  });

  it('refuses workspaces other than default', async () => {
    const store = await open();
    await expect(store.openTarget({ workspace: 'team', project: 'x' }, { tags: [] }, { create: true })).rejects.toBeInstanceOf(NotFoundError);
    expect(await exists(root)).toBe(false);
  });
});

describe('a finished copy', () => {
  it('leaves the files FileStore writes: meta.yaml after an update, key files without newline, the marker', async () => {
    const project = await target(await open());
    const run = await project.createRun({ name: 'train', user: 'alice', startTime: 1700000000000, tags: provenance('s1'), source: { project: 'ws/src', runId: 's1' } });
    await run.logParams([{ key: 'lr', value: '0.01' }, { key: 'opt/name', value: 'adam' }]);
    await run.setTags([{ key: 'mlflow.runName', value: 'renamed' }]);
    await run.logMetrics([{ key: 'loss', points: [{ value: 0.5, timestamp: 1700000000000, step: 0 }, { value: NaN, timestamp: 1700000000001, step: 1 }] }]);
    await run.finish({ status: 'FINISHED', endTime: 1700000009000, deleted: false, marker: MARKER });

    const runDir = join(root, '123456789012345678', runIds[0]!);
    expect(await readFile(join(runDir, 'meta.yaml'), 'utf8')).toBe(
      [
        `artifact_uri: file://${root}/123456789012345678/${runIds[0]}/artifacts`,
        'end_time: 1700000009000',
        "entry_point_name: ''",
        "experiment_id: '123456789012345678'",
        'lifecycle_stage: active',
        `run_id: ${runIds[0]}`,
        // FileStore keeps run_name in step with the mlflow.runName tag.
        'run_name: renamed',
        `run_uuid: ${runIds[0]}`,
        "source_name: ''",
        'source_type: 4',
        "source_version: ''",
        'start_time: 1700000000000',
        'status: 3',
        'tags: []',
        'user_id: alice',
        '',
      ].join('\n'),
    );
    expect(await readFile(join(runDir, 'params', 'lr'), 'utf8')).toBe('0.01');
    expect(await readFile(join(runDir, 'params', 'opt', 'name'), 'utf8')).toBe('adam');
    expect(await readFile(join(runDir, 'tags', 'runs_migrator.completed'), 'utf8')).toBe(MARKER.value);
    expect(await readFile(join(runDir, 'metrics', 'loss'), 'utf8')).toBe('1700000000000 0.5 0\n1700000000001 nan 1\n');
    expect(await mode(join(runDir, 'params', 'lr'))).toBe(0o600);
    expect(await mode(runDir)).toBe(0o700);
  });

  it('of a deleted run is written with lifecycle_stage deleted and deleted_time, as delete_run leaves it', async () => {
    const project = await target(await open());
    const run = await project.createRun({ startTime: 1, tags: provenance('s2'), source: { project: 'ws/src', runId: 's2' } });
    await run.finish({ status: 'KILLED', deleted: true, marker: MARKER });
    const meta = await readFile(join(root, '123456789012345678', runIds[0]!, 'meta.yaml'), 'utf8');
    expect(meta).toContain(`deleted_time: ${NOW}\nend_time: null\n`);
    expect(meta).toContain('lifecycle_stage: deleted\n');
    expect(meta).toContain('status: 5\n');
    expect(await collect(project.listCopies())).toEqual([
      { sourceProject: 'ws/src', sourceRunId: 's2', targetRunId: runIds[0], complete: true, deleted: true },
    ]);
  });

  it('can be deleted later, and is never discarded once complete', async () => {
    const project = await target(await open());
    const run = await project.createRun({ startTime: 1, tags: provenance('s3'), source: { project: 'ws/src', runId: 's3' } });
    await run.finish({ status: 'FINISHED', endTime: 2, deleted: false, marker: MARKER });
    await expect(project.discardRun(run.runId)).rejects.toThrow(/completion marker/);
    await project.deleteRun(run.runId);
    expect((await collect(project.listCopies()))[0]).toMatchObject({ complete: true, deleted: true });
    await expect(run.setTags([{ key: 'late', value: 'x' }])).rejects.toThrow(/finished/);
  });
});

describe('hostile input', () => {
  it('refuses artifact paths and keys that would leave the run, and short streams', async () => {
    const project = await target(await open());
    const run = await project.createRun({ startTime: 1, tags: provenance('s4'), source: { project: 'ws/src', runId: 's4' } });
    await expect(run.writeFile('../../../escaped.txt', Readable.from([Buffer.from('x')]), 1)).rejects.toThrow(/refusing artifact path/);
    await expect(run.writeFile('/etc/escaped.txt', Readable.from([Buffer.from('x')]), 1)).rejects.toThrow(/refusing artifact path/);
    await expect(run.logParams([{ key: '../../meta', value: 'x' }])).rejects.toThrow(/refusing key/);
    await expect(run.logMetrics([{ key: '/abs', points: [{ value: 1, timestamp: 1, step: 0 }] }])).rejects.toThrow(/refusing key/);
    await expect(run.writeFile('short.bin', Readable.from([Buffer.from('abc')]), 10)).rejects.toThrow(/expected 10 bytes/);
    await expect(project.discardRun('../0')).rejects.toThrow(/refusing run id/);
    expect(await exists(join(dir, 'escaped.txt'))).toBe(false);
    expect(await exists(join(root, '0', 'meta.yaml'))).toBe(true);
  });

  it('reports two keys that collide as file and folder instead of mangling one', async () => {
    const project = await target(await open());
    const run = await project.createRun({ startTime: 1, tags: provenance('s5'), source: { project: 'ws/src', runId: 's5' } });
    await run.setTags([{ key: 'a', value: '1' }]);
    await expect(run.setTags([{ key: 'a/b', value: '2' }])).rejects.toThrow(/collides with another key/);
  });
});

describe('an existing experiment', () => {
  it('gets only the tags it lacks', async () => {
    await target(await open());
    const tagsDir = join(root, '123456789012345678', 'tags');
    await writeFile(join(tagsDir, 'team'), 'kept');
    const store = await open();
    await store.openTarget(REF, { tags: [{ key: 'team', value: 'other' }, { key: 'new', value: 'added' }] }, { create: true });
    expect(await readFile(join(tagsDir, 'team'), 'utf8')).toBe('kept');
    expect(await readFile(join(tagsDir, 'new'), 'utf8')).toBe('added');
  });

  it('that is deleted blocks its name with a clear error, in a dry run too', async () => {
    await mkdir(join(root, '.trash', '9'), { recursive: true });
    await writeFile(join(root, '.trash', '9', 'meta.yaml'), "experiment_id: '9'\nlifecycle_stage: deleted\nname: churn\nartifact_location: x\n");
    const store = await open();
    await expect(store.openTarget(REF, { tags: [] }, { create: false })).rejects.toBeInstanceOf(UsageError);
    await expect(store.openTarget(REF, { tags: [] }, { create: true })).rejects.toThrow(/exists in deleted state/);
  });

  it('with a local artifact_location elsewhere receives files there, and a discard removes them', async () => {
    const elsewhere = join(dir, 'artifacts-elsewhere');
    await mkdir(join(root, '77'), { recursive: true });
    await writeFile(join(root, '77', 'meta.yaml'), `artifact_location: file://${elsewhere}/77\nexperiment_id: '77'\nlifecycle_stage: active\nname: churn\n`);
    const project = await target(await open());
    const run = await project.createRun({ startTime: 1, tags: provenance('s6'), source: { project: 'ws/src', runId: 's6' } });
    await run.writeFile('model/w.bin', Readable.from([Buffer.from('w')]), 1);
    const artifact = join(elsewhere, '77', run.runId, 'artifacts', 'model', 'w.bin');
    expect(await readFile(artifact, 'utf8')).toBe('w');
    await project.discardRun(run.runId);
    expect(await exists(join(elsewhere, '77', run.runId))).toBe(false);

    const kept = await project.createRun({ startTime: 1, tags: provenance('s7'), source: { project: 'ws/src', runId: 's7' } });
    await kept.writeFile('a.txt', Readable.from([Buffer.from('abc')]), 3);
    await kept.finish({ status: 'FINISHED', endTime: 2, deleted: false, marker: MARKER });
    const source = await (await open()).openSource(REF);
    const info = (await collect(source.listRuns({ includeDeleted: false })))[0]!;
    expect(info.artifactUri).toBe(`file://${elsewhere}/77/${kept.runId}/artifacts`);
    expect(await collect((await source.openRun(info)).files())).toMatchObject([{ path: 'a.txt', size: 3 }]);
  });

  it('with a remote artifact_location takes runs but refuses files clearly', async () => {
    await mkdir(join(root, '78'), { recursive: true });
    await writeFile(join(root, '78', 'meta.yaml'), "artifact_location: gs://bucket/78\nexperiment_id: '78'\nlifecycle_stage: active\nname: churn\n");
    const project = await target(await open());
    const run = await project.createRun({ startTime: 1, tags: provenance('s8'), source: { project: 'ws/src', runId: 's8' } });
    await expect(run.writeFile('a.txt', Readable.from([Buffer.from('a')]), 1)).rejects.toThrow(/gs:\/\/bucket\/78, which is not a local path/);
    await run.finish({ status: 'FINISHED', endTime: 2, deleted: false, marker: MARKER });
    expect(await readdir(join(root, '78'))).toContain(run.runId);
  });
});
