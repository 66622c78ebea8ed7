/**
 * Reading neptune-exporter archives written by DuckDB (an independent writer) in the shapes the
 * 2.x and 3.x exporters produce: every attribute type, runs over several parts, .tmp parts,
 * all-null parameter rows, NaN stored as null, forks, 2.x and 3.x file layouts, project
 * discovery from the project_id column, and corrupt parts.
 */
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceProject, SourceRun } from '../../src/backends/contract.js';
import { openNeptuneArchive, neptuneExportFactory } from '../../src/backends/neptune-export/index.js';
import { sanitizePathPart } from '../../src/backends/neptune-export/sanitise.js';
import type { KeyValue, MetricPoint, RunInfo } from '../../src/model/run.js';
import { NotFoundError } from '../../src/util/errors.js';
import { partFile, projectDir, writePart, type FixtureRow } from './neptune-fixtures.js';
import { collect, readAll } from '../support/streams.js';

const T0 = 1_700_000_000_123;

async function history(run: SourceRun, key: string): Promise<MetricPoint[]> {
  return (await collect(run.metricHistory(key))).flat();
}

function byKey(items: KeyValue[]): Record<string, KeyValue> {
  return Object.fromEntries(items.map((item) => [item.key, item]));
}

async function openRun(source: SourceProject, runId: string, includeDeleted = false): Promise<SourceRun> {
  const infos = await collect(source.listRuns({ includeDeleted }));
  const info = infos.find((candidate) => candidate.runId === runId);
  if (!info) throw new Error(`run ${runId} not listed`);
  return source.openRun(info);
}

let root: string;
let data: string;
let files: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'neptune-read-'));
  data = join(root, 'exports', 'data');
  files = join(root, 'exports', 'files');
  await write2x();
  await write3x();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// A 2.x export: project ws2/proj, run SAN-1 over two parts (+ a stray .tmp), SAN-2 only .tmp,
// SAN-3 trashed. Files in the 2.x layout: <ws>/<proj>/<RUN-ID>/<attribute path>, raw segments.

const P2 = 'ws2/proj';
const FILES_LIST = '[{"filePath":"a.csv","fileHash":"abc","type":"Local","size":3,"metadata":[]}]';

async function write2x(): Promise<void> {
  const dir = await projectDir(data, P2);
  const runFiles = join(files, sanitizePathPart(P2), 'ws2', 'proj', 'SAN-1');
  await mkdir(join(runFiles, 'model'), { recursive: true });
  await writeFile(join(runFiles, 'model', 'weights'), Buffer.from([1, 2, 3, 4, 5]));
  await mkdir(join(runFiles, 'images', 'preds'), { recursive: true });
  await writeFile(join(runFiles, 'images', 'preds', '0.png'), Buffer.from('png-0'));
  await writeFile(join(runFiles, 'images', 'preds', '1.jpeg'), Buffer.from('jpeg-1!'));
  await mkdir(join(runFiles, 'source_code', 'files'), { recursive: true });
  await writeFile(join(runFiles, 'source_code', 'files', 'files.zip'), Buffer.from('PK-zip-bytes'));
  await mkdir(join(runFiles, 'datasets', 'train'), { recursive: true });
  await writeFile(join(runFiles, 'datasets', 'train', 'files_list.json'), FILES_LIST);

  const base = 'ws2/proj/SAN-1';
  const atoms: FixtureRow[] = [
    { attribute_path: 'sys/id', attribute_type: 'string', string_value: 'SAN-1' },
    { attribute_path: 'sys/name', attribute_type: 'string', string_value: 'my display name' },
    { attribute_path: 'sys/owner', attribute_type: 'string', string_value: 'alice' },
    { attribute_path: 'sys/description', attribute_type: 'string', string_value: 'the description' },
    { attribute_path: 'sys/creation_time', attribute_type: 'datetime', datetime_value: T0 },
    { attribute_path: 'sys/modification_time', attribute_type: 'datetime', datetime_value: T0 + 5000 },
    { attribute_path: 'sys/ping_time', attribute_type: 'datetime', datetime_value: T0 + 6000 },
    { attribute_path: 'sys/running_time', attribute_type: 'float', float_value: 12.5 },
    { attribute_path: 'sys/monitoring_time', attribute_type: 'int', int_value: 42 },
    { attribute_path: 'sys/size', attribute_type: 'float', float_value: 6973 },
    { attribute_path: 'sys/failed', attribute_type: 'bool', bool_value: true },
    { attribute_path: 'sys/trashed', attribute_type: 'bool', bool_value: false },
    { attribute_path: 'sys/hostname', attribute_type: 'string', string_value: 'host-1' },
    { attribute_path: 'sys/tags', attribute_type: 'string_set', string_set_value: ['b', 'a'] },
    { attribute_path: 'sys/group_tags', attribute_type: 'string_set', string_set_value: [] },
    // provenance of a run the seed migrator copied before: kept, one clash moved down a level
    { attribute_path: 'old_sys/id', attribute_type: 'string', string_value: 'OLD-7' },
    { attribute_path: 'old_sys/modification_time', attribute_type: 'datetime', datetime_value: T0 - 1000 },
    { attribute_path: 'parameters/lr', attribute_type: 'float', float_value: 0.001 },
    { attribute_path: 'parameters/neg_zero', attribute_type: 'float', float_value: -0 },
    { attribute_path: 'parameters/epochs', attribute_type: 'int', int_value: 10 },
    { attribute_path: 'parameters/big', attribute_type: 'int', int_value: 9007199254740993n },
    { attribute_path: 'parameters/flag', attribute_type: 'bool', bool_value: false },
    { attribute_path: 'parameters/when', attribute_type: 'datetime', datetime_value: 1_600_000_000_000 },
    { attribute_path: 'parameters/name', attribute_type: 'string', string_value: "it's" },
    { attribute_path: 'parameters/set', attribute_type: 'string_set', string_set_value: ['z', 'y'] },
    // 3.x-style melted row: all value columns null = absent
    { attribute_path: 'parameters/absent', attribute_type: 'float' },
    { attribute_path: 'source_code/git', attribute_type: 'git_ref' },
  ];
  const series = (from: number, to: number): FixtureRow[] => {
    const rows: FixtureRow[] = [];
    for (let step = from; step < to; step++) {
      // interleaved keys, the NaN point stored as null
      rows.push({ attribute_path: 'metrics/loss', attribute_type: 'float_series', step, timestamp: T0 + step * 10, float_value: step === 2 ? null : 1 / (step + 1) });
      rows.push({ attribute_path: 'metrics/acc', attribute_type: 'float_series', step, timestamp: T0 + step * 10 + 1, float_value: step === 7 ? Infinity : step / 10 });
    }
    return rows;
  };
  const rest: FixtureRow[] = [
    { attribute_path: 'monitoring/stdout', attribute_type: 'string_series', step: 0, timestamp: T0, string_value: 'epoch 0' },
    { attribute_path: 'monitoring/stdout', attribute_type: 'string_series', step: 1, timestamp: T0 + 1, string_value: 'epoch 1; done' },
    { attribute_path: 'model/weights', attribute_type: 'file', file_value: { path: `${base}/model/weights` } },
    { attribute_path: 'images/preds', attribute_type: 'file_series', step: 0, file_value: { path: `${base}/images/preds/0.png` } },
    { attribute_path: 'images/preds', attribute_type: 'file_series', step: 1, file_value: { path: `${base}/images/preds/1.jpeg` } },
    { attribute_path: 'source_code/files', attribute_type: 'file_set', file_value: { path: `${base}/source_code/files` } },
    { attribute_path: 'datasets/train', attribute_type: 'artifact', file_value: { path: `${base}/datasets/train/files_list.json` } },
    { attribute_path: 'missing/file', attribute_type: 'file', file_value: { path: `${base}/missing/file` } },
  ];
  const run = { project_id: P2, run_id: 'SAN-1' };
  await writePart(partFile(dir, 'SAN-1', 0), [...atoms, ...series(0, 5), ...rest], run);
  await writePart(partFile(dir, 'SAN-1', 1), series(5, 10), run);
  // An interrupted rewrite: never read.
  await writeFile(partFile(dir, 'SAN-1', 2, true), 'not parquet yet');

  await writePart(partFile(dir, 'SAN-2', 0, true), [{ attribute_path: 'sys/id', attribute_type: 'string', string_value: 'SAN-2' }], { project_id: P2, run_id: 'SAN-2' });
  await writePart(
    partFile(dir, 'SAN-3', 0),
    [
      { attribute_path: 'sys/id', attribute_type: 'string', string_value: 'SAN-3' },
      { attribute_path: 'sys/trashed', attribute_type: 'bool', bool_value: true },
    ],
    { project_id: P2, run_id: 'SAN-3' },
  );
}

describe('a 2.x archive', () => {
  let source: SourceProject;
  beforeAll(async () => {
    source = await openNeptuneArchive({ dataPath: data }).openSource({ workspace: 'ws2', project: 'proj' });
  });

  it('lists complete runs only, hides trashed ones unless asked', async () => {
    const active = await collect(source.listRuns({ includeDeleted: false }));
    expect(active.map((info) => info.runId)).toEqual(['SAN-1']);
    const all = await collect(source.listRuns({ includeDeleted: true }));
    expect(all.map((info) => info.runId).sort()).toEqual(['SAN-1', 'SAN-3']);
    expect(all.find((info) => info.runId === 'SAN-3')?.deleted).toBe(true);
  });

  it('maps sys fields to run info: display name, owner, creation time, failed', async () => {
    const run = await openRun(source, 'SAN-1');
    expect(run.info).toEqual<RunInfo>({ runId: 'SAN-1', name: 'my display name', user: 'alice', startTime: T0, status: 'FAILED', deleted: false });
  });

  it('keeps read-only sys fields as typed old_sys tags and Neptune tags as JSON sets', async () => {
    const tags = byKey(await (await openRun(source, 'SAN-1')).tags());
    expect(tags['old_sys/modification_time']).toEqual({ key: 'old_sys/modification_time', value: new Date(T0 + 5000).toISOString(), type: 'datetime' });
    expect(tags['old_sys/ping_time']?.value).toBe(new Date(T0 + 6000).toISOString());
    expect(tags['old_sys/running_time']).toEqual({ key: 'old_sys/running_time', value: '12.5', type: 'float' });
    expect(tags['old_sys/monitoring_time']).toEqual({ key: 'old_sys/monitoring_time', value: '42', type: 'int' });
    expect(tags['old_sys/size']?.value).toBe('6973');
    expect(tags['old_sys/hostname']).toEqual({ key: 'old_sys/hostname', value: 'host-1' });
    expect(tags['mlflow.note.content']?.value).toBe('the description');
    expect(tags['neptune.tags']).toEqual({ key: 'neptune.tags', value: '["a","b"]', type: 'string_set' });
    expect(tags['neptune.group_tags']?.value).toBe('[]');
    // stored provenance from an earlier migration: kept; the clash moves one level down
    expect(tags['old_sys/id']?.value).toBe('OLD-7');
    expect(tags['old_sys/old_sys/modification_time']?.value).toBe(new Date(T0 - 1000).toISOString());
    // facts that are run info are not repeated as tags
    for (const key of ['old_sys/owner', 'old_sys/creation_time', 'old_sys/failed', 'old_sys/trashed', 'old_sys/name']) {
      expect(tags[key]).toBeUndefined();
    }
  });

  it('reads user atoms as typed params in their documented string forms; all-null rows are absent', async () => {
    const params = byKey(await (await openRun(source, 'SAN-1')).params());
    expect(Object.keys(params).sort()).toEqual([
      'parameters/big',
      'parameters/epochs',
      'parameters/flag',
      'parameters/lr',
      'parameters/name',
      'parameters/neg_zero',
      'parameters/set',
      'parameters/when',
    ]);
    expect(params['parameters/lr']).toEqual({ key: 'parameters/lr', value: '0.001', type: 'float' });
    expect(params['parameters/neg_zero']?.value).toBe('-0');
    expect(params['parameters/big']).toEqual({ key: 'parameters/big', value: '9007199254740993', type: 'int' });
    expect(params['parameters/flag']).toEqual({ key: 'parameters/flag', value: 'False', type: 'bool' });
    expect(params['parameters/when']?.value).toBe('2020-09-13T12:26:40.000Z');
    expect(params['parameters/name']).toEqual({ key: 'parameters/name', value: "it's" });
    expect(params['parameters/set']).toEqual({ key: 'parameters/set', value: '["y","z"]', type: 'string_set' });
  });

  it('streams metric histories spread over parts and interleaved, NaN and Infinity included', async () => {
    const run = await openRun(source, 'SAN-1');
    expect((await run.metricKeys()).sort()).toEqual(['metrics/acc', 'metrics/loss']);
    const loss = await history(run, 'metrics/loss');
    expect(loss.map((point) => point.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(loss.map((point) => point.timestamp)).toEqual(loss.map((_, step) => T0 + step * 10));
    expect(loss[2]!.value).toBeNaN();
    expect(loss[9]!.value).toBe(1 / 10);
    const acc = await history(run, 'metrics/acc');
    expect(acc[7]!.value).toBe(Infinity);
    expect(acc[3]).toEqual({ value: 0.3, timestamp: T0 + 31, step: 3 });
  });

  it('lists the 2.x file layout: extension-less file, file series by index, file set tree, artifact list, series text', async () => {
    const run = await openRun(source, 'SAN-1');
    const seriesText = `0; ${new Date(T0).toISOString()}; epoch 0\n1; ${new Date(T0 + 1).toISOString()}; epoch 1; done`;
    const listed = await collect(run.files());
    expect(listed).toEqual([
      { path: 'model/weights', size: 5 },
      { path: 'images/preds/step_0/0.png', size: 5 },
      { path: 'images/preds/step_1/1.jpeg', size: 7 },
      { path: 'source_code/files/files.zip', size: 12 },
      { path: 'datasets/train/files_list.json', size: FILES_LIST.length },
      { path: 'monitoring/stdout/series.txt', size: Buffer.byteLength(seriesText) },
    ]);
    expect(await readAll(await run.openFile('model/weights'))).toEqual(Buffer.from([1, 2, 3, 4, 5]));
    expect((await readAll(await run.openFile('monitoring/stdout/series.txt'))).toString()).toBe(seriesText);
    expect((await readAll(await run.openFile('datasets/train/files_list.json'))).toString()).toBe(FILES_LIST);
    await expect(run.openFile('../SAN-1/model/weights')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reports what it could not read: unsupported types, missing files, moved provenance', async () => {
    const run = await openRun(source, 'SAN-1');
    await run.params();
    const issues = run.readIssues!();
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: 'source_code/git', reason: 'attribute type "git_ref" is not supported; not copied' },
        expect.objectContaining({ field: 'missing/file', reason: expect.stringContaining('is missing from the archive') }),
        expect.objectContaining({ field: 'old_sys/modification_time', reason: expect.stringContaining('old_sys/old_sys/modification_time') }),
      ]),
    );
    expect(issues).toHaveLength(3);
  });
});

// ---------------------------------------------------------------------------------------------
// A 3.x export: run ids are custom run ids, sys/name is the experiment, forks, histograms,
// fractional steps, 3.x file layout with extensions. Timestamps as MILLIS (TIMESTAMP_MS).

const P3 = 'ws3/proj';

async function write3x(): Promise<void> {
  // The directory name is not S(project): the reader must find the project by its rows.
  const dir = await projectDir(data, P3, 'renamed-by-hand');
  const root3 = join(files, sanitizePathPart(P3));
  await mkdir(join(root3, 'exp-base', 'files'), { recursive: true });
  await writeFile(join(root3, 'exp-base', 'files', 'file-value_txt.txt'), 'hello');
  await writeFile(join(root3, 'exp-base', 'files', 'model.bin'), Buffer.alloc(3, 7));
  await mkdir(join(root3, 'exp-base', 'preds'), { recursive: true });
  await writeFile(join(root3, 'exp-base', 'preds', 'step_3_000000.png'), 'p3');
  const base: FixtureRow[] = [
    { attribute_path: 'sys/custom_run_id', attribute_type: 'string', string_value: 'exp-base' },
    { attribute_path: 'sys/id', attribute_type: 'string', string_value: 'PRJ-1' },
    { attribute_path: 'sys/name', attribute_type: 'string', string_value: 'my-experiment' },
    { attribute_path: 'sys/experiment/name', attribute_type: 'string', string_value: 'my-experiment' },
    { attribute_path: 'sys/archived', attribute_type: 'bool', bool_value: false },
    { attribute_path: 'sys/failed', attribute_type: 'bool', bool_value: false },
    { attribute_path: 'sys/creation_time', attribute_type: 'datetime', datetime_value: T0 },
    { attribute_path: 'metrics/x', attribute_type: 'float_series', step: '0.5', timestamp: T0, float_value: 1 },
    { attribute_path: 'metrics/x', attribute_type: 'float_series', step: '1.000000', timestamp: T0 + 1, float_value: 2 },
    { attribute_path: 'metrics/x', attribute_type: 'float_series', step: '1.5', timestamp: T0 + 2, float_value: 3 },
    { attribute_path: 'hist/w', attribute_type: 'histogram_series', step: 0, timestamp: T0, histogram_value: { type: 'COUNTING', edges: [0, 1, 2], values: [3, 4] } },
    { attribute_path: 'hist/w', attribute_type: 'histogram_series', step: 1, timestamp: T0 + 1, histogram_value: { type: 'COUNTING', edges: [0, 1], values: [5] } },
    { attribute_path: 'files/file-value.txt', attribute_type: 'file', file_value: { path: 'exp-base/files/file-value_txt.txt' } },
    { attribute_path: 'files/model', attribute_type: 'file', file_value: { path: 'exp-base/files/model.bin' } },
    { attribute_path: 'preds', attribute_type: 'file_series', step: 3, timestamp: T0, file_value: { path: 'exp-base/preds/step_3_000000.png' } },
  ];
  await writePart(partFile(dir, 'exp-base', 0), base, { project_id: P3, run_id: 'exp-base' }, { timestamps: 'TIMESTAMP_MS' });
  await writePart(
    partFile(dir, 'exp-child', 0),
    [
      { attribute_path: 'sys/custom_run_id', attribute_type: 'string', string_value: 'exp-child' },
      { attribute_path: 'sys/name', attribute_type: 'string', string_value: 'my-experiment' },
      { attribute_path: 'sys/forking/parent', attribute_type: 'string', string_value: 'exp-base' },
      { attribute_path: 'sys/forking/step', attribute_type: 'float', float_value: 1 },
      { attribute_path: 'sys/forking/depth', attribute_type: 'int', int_value: 1 },
      { attribute_path: 'metrics/x', attribute_type: 'float_series', step: 2, timestamp: T0 + 3, float_value: 4 },
    ],
    { project_id: P3, run_id: 'exp-child' },
    { timestamps: 'TIMESTAMP_MS' },
  );
}

describe('a 3.x archive', () => {
  let source: SourceProject;
  beforeAll(async () => {
    source = await openNeptuneArchive({ dataPath: data }).openSource({ workspace: 'ws3', project: 'proj' });
  });

  it('is found by the project_id in its rows, whatever its directory is called', async () => {
    const runs = await collect(source.listRuns({ includeDeleted: false }));
    expect(runs.map((info) => info.runId).sort()).toEqual(['exp-base', 'exp-child']);
  });

  it('names runs by their id and keeps the experiment as a tag', async () => {
    const run = await openRun(source, 'exp-base');
    expect(run.info).toEqual<RunInfo>({ runId: 'exp-base', name: 'exp-base', startTime: T0, status: 'FINISHED', deleted: false });
    const tags = byKey(await run.tags());
    expect(tags['neptune.experiment']?.value).toBe('my-experiment');
    expect(tags['neptune.custom_run_id']?.value).toBe('exp-base');
    expect(tags['old_sys/id']?.value).toBe('PRJ-1');
    expect(tags['old_sys/experiment/name']?.value).toBe('my-experiment');
    expect(tags['old_sys/archived']).toEqual({ key: 'old_sys/archived', value: 'False', type: 'bool' });
  });

  it('turns a fork into a parent link', async () => {
    const child = await openRun(source, 'exp-child');
    expect(child.info.parentRunId).toBe('exp-base');
    const tags = byKey(await child.tags());
    expect(tags['mlflow.parentRunId']?.value).toBe('exp-base');
    expect(tags['old_sys/forking/step']).toEqual({ key: 'old_sys/forking/step', value: '1', type: 'float' });
    expect(tags['old_sys/forking/depth']?.value).toBe('1');
  });

  it('rounds fractional steps half to even and reports it, unless a step multiplier makes them exact', async () => {
    const run = await openRun(source, 'exp-base');
    expect((await history(run, 'metrics/x')).map((point) => point.step)).toEqual([0, 1, 2]);
    await run.params();
    expect(run.readIssues!()).toEqual([
      { field: 'metrics/x', reason: expect.stringMatching(/not integers after step_multiplier=1; rounded .*\(2 times, first: 0\.5\)$/) },
    ]);

    const store = await neptuneExportFactory.open(`neptune-export:${data}?step_multiplier=10`, { credentials: {}, role: 'source' });
    const scaled = await openRun(await store.openSource({ workspace: 'ws3', project: 'proj' }), 'exp-base');
    expect((await history(scaled, 'metrics/x')).map((point) => point.step)).toEqual([5, 10, 15]);
    await scaled.params();
    expect(scaled.readIssues!()).toEqual([]);
    await store.close();
  });

  it('lists the 3.x file layout and generates histograms.json', async () => {
    const run = await openRun(source, 'exp-base');
    const listed = await collect(run.files());
    expect(listed.map((file) => file.path)).toEqual([
      'files/file-value.txt',
      'files/model.bin',
      'preds/step_3/step_3_000000.png',
      'hist/w/histograms.json',
    ]);
    expect((await readAll(await run.openFile('files/file-value.txt'))).toString()).toBe('hello');
    const histograms = JSON.parse((await readAll(await run.openFile('hist/w/histograms.json'))).toString()) as unknown;
    expect(histograms).toEqual({
      histograms: [
        { step: 0, timestamp: new Date(T0).toISOString(), type: 'COUNTING', edges: [0, 1, 2], values: [3, 4] },
        { step: 1, timestamp: new Date(T0 + 1).toISOString(), type: 'COUNTING', edges: [0, 1], values: [5] },
      ],
    });
    expect(listed.find((file) => file.path === 'hist/w/histograms.json')?.size).toBe(
      (await readAll(await run.openFile('hist/w/histograms.json'))).length,
    );
  });
});

describe('a large archive, checked against DuckDB', () => {
  it('agrees with DuckDB point for point over many pages, row groups and parts', async () => {
    const big = join(root, 'big', 'data');
    const dir = await projectDir(big, 'ws/big');
    const { duckdb, sqlString } = await import('./neptune-fixtures.js');
    const db = await duckdb();
    const select = (from: number, to: number) => `
      SELECT 'ws/big' AS project_id, 'BIG-1' AS run_id, 'm/' || (i % 3) AS attribute_path, 'float_series' AS attribute_type,
        (i // 3)::DECIMAL(18,6) AS step, make_timestamptz(1700000000000000 + i * 1000) AS "timestamp", NULL::BIGINT AS int_value,
        CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 0.5) - 1000 END::DOUBLE AS float_value, NULL::VARCHAR AS string_value,
        NULL::BOOLEAN AS bool_value, NULL::TIMESTAMPTZ AS datetime_value, NULL::VARCHAR[] AS string_set_value,
        NULL::STRUCT(path VARCHAR) AS file_value, NULL::STRUCT(type VARCHAR, edges DOUBLE[], "values" DOUBLE[]) AS histogram_value
      FROM range(${from}, ${to}) t(i)`;
    await db.run(`COPY (${select(0, 250_000)}) TO ${sqlString(partFile(dir, 'BIG-1', 0))} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 100000)`);
    await db.run(`COPY (${select(250_000, 400_000)}) TO ${sqlString(partFile(dir, 'BIG-1', 1))} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 100000)`);
    const expected = (
      await db.runAndReadAll(
        `SELECT attribute_path AS key, count(*)::INTEGER AS points, count(*) FILTER (WHERE float_value IS NULL)::INTEGER AS nans,
           sum(float_value)::DOUBLE AS total, sum(step)::BIGINT::VARCHAR AS steps, sum(epoch_ms("timestamp"))::VARCHAR AS stamps
         FROM read_parquet(${sqlString(join(dir, '*.parquet'))}) GROUP BY 1 ORDER BY 1`,
      )
    ).getRowObjectsJson();

    const source = await openNeptuneArchive({ dataPath: big }).openSource({ workspace: 'ws', project: 'big' });
    const run = await openRun(source, 'BIG-1');
    const actual = [];
    for (const key of (await run.metricKeys()).sort()) {
      let points = 0;
      let nans = 0;
      let total = 0;
      let steps = 0n;
      let stamps = 0n;
      let batches = 0;
      for await (const batch of run.metricHistory(key)) {
        batches++;
        for (const point of batch) {
          points++;
          if (Number.isNaN(point.value)) nans++;
          else total += point.value;
          steps += BigInt(point.step);
          stamps += BigInt(point.timestamp);
        }
      }
      expect(batches).toBeGreaterThan(1);
      actual.push({ key, points, nans, total, steps: String(steps), stamps: String(stamps) });
    }
    expect(actual).toEqual(expected);
  });
});

describe('bad input', () => {
  it('names the projects the archive holds when the one asked for is not there', async () => {
    const store = openNeptuneArchive({ dataPath: data });
    const error = await store.openSource({ workspace: 'ws9', project: 'nope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toContain('ws9/nope');
    expect((error as Error).message).toContain('ws2/proj');
    expect((error as Error).message).toContain('ws3/proj');
  });

  it('rejects a missing data path', async () => {
    const store = openNeptuneArchive({ dataPath: join(root, 'no-such-dir') });
    await expect(store.openSource({ workspace: 'a', project: 'b' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('gives a clear error naming a truncated part', async () => {
    const broken = join(root, 'broken', 'data');
    const dir = await projectDir(broken, 'ws/broken');
    await writePart(partFile(dir, 'RUN-1', 0), [{ attribute_path: 'sys/id', attribute_type: 'string', string_value: 'RUN-1' }], { project_id: 'ws/broken', run_id: 'RUN-1' });
    const bad = partFile(dir, 'RUN-2', 0);
    await writePart(bad, [{ attribute_path: 'sys/id', attribute_type: 'string', string_value: 'RUN-2' }], { project_id: 'ws/broken', run_id: 'RUN-2' });
    await truncate(bad, 100);
    const source = await openNeptuneArchive({ dataPath: broken }).openSource({ workspace: 'ws', project: 'broken' });
    const error = await collect(source.listRuns({ includeDeleted: true })).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/corrupt or truncated Neptune archive part .*RUN-2-[0-9a-f]{16}_part_0\.parquet/);
  });

  it('refuses the pre-2025-11 layout (many runs per part) with an explanation', async () => {
    const legacy = join(root, 'legacy', 'data');
    const dir = await projectDir(legacy, 'ws/old');
    await writePart(join(dir, 'part_0.parquet'), [{ attribute_path: 'sys/id', attribute_type: 'string', string_value: 'R-1' }], { project_id: 'ws/old', run_id: 'R-1' });
    const error = await openNeptuneArchive({ dataPath: legacy }).openSource({ workspace: 'ws', project: 'old' }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('pre-2025-11-11 layout');
  });
});
