/**
 * The archive writer, checked by DuckDB as an independent reader: the exact 14-column schema
 * (FIXED_LEN_BYTE_ARRAY decimal(18,6) steps, MILLIS UTC timestamps, 3-level lists, structs),
 * Snappy, the values of every row kind, part rollover, the .tmp-then-rename protocol under a
 * real crash, discardRun, private file modes, and exact round trips both ways.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceRun, TargetProject } from '../../src/backends/contract.js';
import { openNeptuneArchive, type NeptuneArchiveStore } from '../../src/backends/neptune-export/index.js';
import { sanitizePathPart } from '../../src/backends/neptune-export/sanitise.js';
import type { KeyValue, MetricPoint } from '../../src/model/run.js';
import { PROVENANCE } from '../../src/model/provenance.js';
import { query, sqlString } from './neptune-fixtures.js';
import { collect, readAll } from '../support/streams.js';

const T0 = 1_700_000_000_123;
const REF = { workspace: 'team', project: 'vision/models' };
const PROJECT_ID = 'team/vision/models';

function provenance(sourceRunId: string): KeyValue[] {
  return [
    { key: PROVENANCE.runId, value: sourceRunId },
    { key: PROVENANCE.project, value: 'src/project' },
  ];
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'neptune-write-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshStore(name: string, options: { rolloverBytes?: number; rowGroupRows?: number } = {}): Promise<{ store: NeptuneArchiveStore; data: string; files: string; target: TargetProject }> {
  const data = join(root, name, 'data');
  const store = openNeptuneArchive({ dataPath: data, ...options });
  const target = (await store.openTarget(REF, { tags: [] }, { create: true }))!;
  return { store, data, files: join(root, name, 'files'), target };
}

function projectDir(data: string): string {
  return join(data, sanitizePathPart(PROJECT_ID));
}

describe('the writer as DuckDB reads it', () => {
  let data: string;
  let runId: string;
  let glob: string;

  beforeAll(async () => {
    const made = await freshStore('schema');
    data = made.data;
    const run = await made.target.createRun({ name: 'run one', user: 'bob', startTime: T0, tags: provenance('mlflow-run-1'), source: { project: 'src/project', runId: 'mlflow-run-1' } });
    runId = run.runId;
    await run.logParams([
      { key: 'lr', value: '0.01' },
      { key: 'layers', value: '12', type: 'int' },
      { key: 'tags/set', value: '["b","a"]', type: 'string_set' },
      { key: 'when', value: '2024-01-02T03:04:05.678Z', type: 'datetime' },
      { key: 'flag', value: 'True', type: 'bool' },
      { key: 'ratio', value: 'NaN', type: 'float' },
    ]);
    await run.setTags([{ key: 'mlflow.note.content', value: 'notes' }, { key: 'team', value: 'cv' }]);
    await run.logMetrics([
      {
        key: 'loss',
        points: [
          { value: 0.5, timestamp: T0, step: 0 },
          { value: Number.NaN, timestamp: T0 + 1, step: 1 },
          { value: Infinity, timestamp: T0 + 2, step: -3 },
          { value: 2, timestamp: T0 + 3, step: 999_999_999_999 },
          { value: 3, timestamp: T0 + 4, step: 9_007_199_254_740_993n },
        ],
      },
    ]);
    await run.writeFile('model/weights.bin', Readable.from([Buffer.from([0, 1, 2])]), 3);
    await run.finish({ status: 'FINISHED', endTime: T0 + 10, deleted: false, marker: { key: PROVENANCE.completed, value: '2026-01-01T00:00:00Z' } });
    glob = join(projectDir(data), '*.parquet');
  });

  it('has the exporter column types, as DuckDB maps them', async () => {
    const rows = await query(`DESCRIBE SELECT * FROM read_parquet(${sqlString(glob)})`);
    expect(rows.map((row) => [row.column_name, row.column_type])).toEqual([
      ['project_id', 'VARCHAR'],
      ['run_id', 'VARCHAR'],
      ['attribute_path', 'VARCHAR'],
      ['attribute_type', 'VARCHAR'],
      ['step', 'DECIMAL(18,6)'],
      ['timestamp', 'TIMESTAMP WITH TIME ZONE'],
      ['int_value', 'BIGINT'],
      ['float_value', 'DOUBLE'],
      ['string_value', 'VARCHAR'],
      ['bool_value', 'BOOLEAN'],
      ['datetime_value', 'TIMESTAMP WITH TIME ZONE'],
      ['string_set_value', 'VARCHAR[]'],
      ['file_value', 'STRUCT(path VARCHAR)'],
      ['histogram_value', 'STRUCT("type" VARCHAR, edges DOUBLE[], "values" DOUBLE[])'],
    ]);
  });

  it('stores steps as FIXED_LEN_BYTE_ARRAY(8) decimals, timestamps as MILLIS UTC, 3-level lists, Snappy', async () => {
    const schema = await query(`SELECT name, type, type_length, converted_type, scale, precision, logical_type, repetition_type FROM parquet_schema(${sqlString(glob)}) WHERE file_name LIKE '%part_0.parquet'`);
    const element = (name: string) => schema.filter((row) => row.name === name);
    expect(element('step')[0]).toMatchObject({ type: 'FIXED_LEN_BYTE_ARRAY', type_length: '8', converted_type: 'DECIMAL', scale: '6', precision: '18' });
    expect(String(element('timestamp')[0]!.logical_type)).toMatch(/isAdjustedToUTC=1.*MILLIS=MilliSeconds\(\)/);
    expect(String(element('datetime_value')[0]!.logical_type)).toMatch(/isAdjustedToUTC=1.*MILLIS=MilliSeconds\(\)/);
    expect(element('string_set_value')[0]).toMatchObject({ converted_type: 'LIST', repetition_type: 'OPTIONAL' });
    expect(element('list').map((row) => row.repetition_type)).toEqual(['REPEATED', 'REPEATED', 'REPEATED']);
    expect(element('element').map((row) => [row.type, row.repetition_type])).toEqual([
      ['BYTE_ARRAY', 'OPTIONAL'],
      ['DOUBLE', 'OPTIONAL'],
      ['DOUBLE', 'OPTIONAL'],
    ]);
    expect(schema.every((row) => row.name === 'schema' || row.repetition_type !== 'REQUIRED')).toBe(true);
    const codecs = await query(`SELECT DISTINCT compression FROM parquet_metadata(${sqlString(glob)})`);
    expect(codecs).toEqual([{ compression: 'SNAPPY' }]);
  });

  it('writes metric points with decimal steps, NaN as null, Infinity kept, huge steps in int_value', async () => {
    const rows = await query(
      `SELECT project_id, run_id, CAST(step AS VARCHAR) AS step, epoch_ms("timestamp") AS ts, int_value::VARCHAR AS big, float_value
       FROM read_parquet(${sqlString(glob)}) WHERE attribute_type = 'float_series' AND attribute_path = 'loss' ORDER BY ts`,
    );
    expect(rows).toEqual([
      { project_id: PROJECT_ID, run_id: runId, step: '0.000000', ts: String(T0), big: null, float_value: 0.5 },
      { project_id: PROJECT_ID, run_id: runId, step: '1.000000', ts: String(T0 + 1), big: null, float_value: null },
      { project_id: PROJECT_ID, run_id: runId, step: '-3.000000', ts: String(T0 + 2), big: null, float_value: 'Infinity' },
      { project_id: PROJECT_ID, run_id: runId, step: '999999999999.000000', ts: String(T0 + 3), big: null, float_value: 2 },
      { project_id: PROJECT_ID, run_id: runId, step: null, ts: String(T0 + 4), big: '9007199254740993', float_value: 3 },
    ]);
  });

  it('writes run info, params and tags as typed atoms', async () => {
    const rows = await query(
      `SELECT attribute_path AS path, attribute_type AS type,
         coalesce(string_value, CAST(int_value AS VARCHAR), CAST(float_value AS VARCHAR), CAST(bool_value AS VARCHAR),
                  CAST(epoch_ms(datetime_value) AS VARCHAR), array_to_string(string_set_value, '|')) AS value
       FROM read_parquet(${sqlString(glob)}) WHERE step IS NULL AND attribute_type NOT IN ('file', 'float_series') ORDER BY path`,
    );
    const byPath = Object.fromEntries(rows.map((row) => [row.path, [row.type, row.value]]));
    expect(byPath).toEqual({
      'sys/id': ['string', runId],
      'sys/name': ['string', 'run one'],
      'sys/owner': ['string', 'bob'],
      'sys/creation_time': ['datetime', String(T0)],
      'sys/description': ['string', 'notes'],
      'sys/failed': ['bool', 'false'],
      'sys/trashed': ['bool', 'false'],
      'old_sys/run_id': ['string', 'mlflow-run-1'],
      'old_sys/project': ['string', 'src/project'],
      'runs_migrator/status': ['string', 'FINISHED'],
      'runs_migrator/end_time': ['datetime', String(T0 + 10)],
      'runs_migrator/tags/team': ['string', 'cv'],
      'runs_migrator/tags/runs_migrator.completed': ['string', '2026-01-01T00:00:00Z'],
      lr: ['string', '0.01'],
      layers: ['int', '12'],
      'tags/set': ['string_set', 'b|a'],
      when: ['datetime', String(Date.parse('2024-01-02T03:04:05.678Z'))],
      flag: ['bool', 'true'],
      ratio: ['float', 'nan'],
    });
  });

  it('points file rows into the files tree, relative to <files>/<S(project)>', async () => {
    const [row] = await query(`SELECT attribute_path, file_value.path AS path FROM read_parquet(${sqlString(glob)}) WHERE attribute_type = 'file'`);
    expect(row).toEqual({ attribute_path: 'model/weights.bin', path: `${sanitizePathPart(runId)}/model/weights.bin` });
  });
});

describe('parts and the completion protocol', () => {
  it('rolls over to a new part past the size threshold and keeps the history whole', async () => {
    const { store, data, target } = await freshStore('rollover', { rolloverBytes: 8 * 1024, rowGroupRows: 1000 });
    const run = await target.createRun({ name: 'long', startTime: T0, tags: provenance('r'), source: { project: 'src/project', runId: 'r' } });
    const points: MetricPoint[] = [];
    for (let i = 0; i < 20_000; i++) points.push({ value: Math.sin(i), timestamp: T0 + i, step: i });
    for (let i = 0; i < points.length; i += 5000) await run.logMetrics([{ key: 'm', points: points.slice(i, i + 5000) }]);
    await run.finish({ status: 'FINISHED', endTime: T0, deleted: false, marker: { key: PROVENANCE.completed, value: 'x' } });

    const names = (await readdir(projectDir(data))).filter((name) => name.includes('_part_')).sort((a, b) => partNumber(a) - partNumber(b));
    expect(names.length).toBeGreaterThan(2);
    expect(names.map(partNumber)).toEqual(names.map((_, index) => index));
    expect(names.every((name) => name.endsWith('.parquet'))).toBe(true);
    for (const name of names.slice(0, -1)) expect((await stat(join(projectDir(data), name))).size).toBeGreaterThan(8 * 1024);

    const [count] = await query(`SELECT count(*)::INTEGER AS n FROM read_parquet(${sqlString(join(projectDir(data), '*.parquet'))}) WHERE attribute_type = 'float_series'`);
    expect(count).toEqual({ n: 20_000 });
    const source = await store.openSource(REF);
    const [info] = await collect(source.listRuns({ includeDeleted: false }));
    const read = await source.openRun(info!);
    expect((await collect(read.metricHistory('m'))).flat()).toEqual(points);
    await store.close();
  });

  it('leaves only invisible .tmp parts when the process dies mid-run; discardRun removes every trace', async () => {
    const data = join(root, 'crash', 'data');
    const script = join(root, 'crash-writer.mts');
    const index = new URL('../../src/backends/neptune-export/index.ts', import.meta.url).pathname;
    await writeFile(
      script,
      `import { Readable } from 'node:stream';
       import { openNeptuneArchive } from ${JSON.stringify(index)};
       const store = openNeptuneArchive({ dataPath: ${JSON.stringify(data)}, rolloverBytes: 4096, rowGroupRows: 500 });
       const target = await store.openTarget(${JSON.stringify(REF)}, { tags: [] }, { create: true });
       const run = await target.createRun({ name: 'doomed', tags: [{ key: 'old_sys/run_id', value: 'src-crash' }, { key: 'old_sys/project', value: 'src/project' }], source: { project: 'src/project', runId: 'src-crash' } });
       await run.logParams([{ key: 'a', value: '1' }]);
       const points = Array.from({ length: 5000 }, (_, i) => ({ value: i, timestamp: ${T0} + i, step: i }));
       await run.logMetrics([{ key: 'm', points }]);
       await run.writeFile('out/file.txt', Readable.from([Buffer.from('partial')]), 7);
       process.kill(process.pid, 'SIGKILL');`,
    );
    const error = await promisify(execFile)(process.execPath, ['--import', 'tsx', script]).catch((e: { signal?: string }) => e);
    expect((error as { signal?: string }).signal).toBe('SIGKILL');

    const dir = projectDir(data);
    const left = await readdir(dir);
    expect(left.some((name) => name.endsWith('.parquet.tmp'))).toBe(true);
    expect(left.some((name) => name.endsWith('.parquet'))).toBe(false);

    const store = openNeptuneArchive({ dataPath: data });
    const source = await store.openSource(REF);
    expect(await collect(source.listRuns({ includeDeleted: true }))).toEqual([]);
    const target = (await store.openTarget(REF, { tags: [] }, { create: false }))!;
    const copies = await collect(target.listCopies());
    expect(copies).toEqual([{ sourceProject: 'src/project', sourceRunId: 'src-crash', targetRunId: expect.any(String), complete: false, deleted: false }]);

    await target.discardRun(copies[0]!.targetRunId);
    expect((await readdir(dir)).filter((name) => !name.startsWith('.'))).toEqual([]);
    expect(await readdir(join(root, 'crash', 'files', sanitizePathPart(PROJECT_ID)))).toEqual([]);
    expect(await collect(target.listCopies())).toEqual([]);
    await store.close();
  });

  it('creates private files and directories', async () => {
    const { store, data, files, target } = await freshStore('modes');
    const run = await target.createRun({ name: 'm', tags: provenance('p'), source: { project: 'src/project', runId: 'p' } });
    await run.writeFile('deep/dir/f.txt', Readable.from([Buffer.from('x')]), 1);
    await run.finish({ status: 'FINISHED', deleted: false, marker: { key: PROVENANCE.completed, value: 'x' } });
    const mode = async (path: string) => (await stat(path)).mode & 0o777;
    expect(await mode(data)).toBe(0o700);
    expect(await mode(projectDir(data))).toBe(0o700);
    for (const name of await readdir(projectDir(data))) expect(await mode(join(projectDir(data), name))).toBe(0o600);
    const runFiles = join(files, sanitizePathPart(PROJECT_ID), sanitizePathPart(run.runId));
    expect(await mode(join(runFiles, 'deep', 'dir'))).toBe(0o700);
    expect(await mode(join(runFiles, 'deep', 'dir', 'f.txt'))).toBe(0o600);
    await store.close();
  });

  it("keeps this copy's provenance when the source carries older provenance of its own", async () => {
    const { store, target } = await freshStore('provenance');
    const run = await target.createRun({ name: 'p', tags: provenance('new-source'), source: { project: 'src/project', runId: 'new-source' } });
    await run.setTags([{ key: PROVENANCE.runId, value: 'older-source' }, { key: PROVENANCE.project, value: 'src/project' }]);
    await run.finish({ status: 'FINISHED', deleted: false, marker: { key: PROVENANCE.completed, value: 'x' } });
    const [copy] = await collect(target.listCopies());
    expect(copy).toMatchObject({ sourceRunId: 'new-source', complete: true });
    const source = await store.openSource(REF);
    const read = await source.openRun((await collect(source.listRuns({ includeDeleted: false })))[0]!);
    const tags = Object.fromEntries((await read.tags()).map((tag) => [tag.key, tag.value]));
    expect(tags[PROVENANCE.runId]).toBe('new-source');
    expect(tags[`old_sys/${PROVENANCE.runId}`]).toBe('older-source');
    await store.close();
  });

  it('refuses an artifact path that leaves the run, and a stream of the wrong size', async () => {
    const { store, target } = await freshStore('paths');
    const run = await target.createRun({ name: 'p', tags: provenance('q'), source: { project: 'src/project', runId: 'q' } });
    await expect(run.writeFile('../escape.txt', Readable.from([Buffer.from('x')]), 1)).rejects.toThrow(/not a plain relative path/);
    await expect(run.writeFile('/abs.txt', Readable.from([Buffer.from('x')]), 1)).rejects.toThrow(/not a plain relative path/);
    await expect(run.writeFile('short.txt', Readable.from([Buffer.from('x')]), 2)).rejects.toThrow(/expected 2 bytes/);
    await store.close();
  });
});

function partNumber(name: string): number {
  return Number(/_part_(\d+)\.parquet/.exec(name)![1]);
}

describe('round trips', () => {
  /** What a verify compares: everything but the ids. */
  async function canonical(run: SourceRun) {
    const strip = (items: KeyValue[]) =>
      items.filter((item) => item.key !== PROVENANCE.runId && item.key !== PROVENANCE.project && item.key !== PROVENANCE.completed).sort((a, b) => a.key.localeCompare(b.key));
    const metrics: Record<string, MetricPoint[]> = {};
    for (const key of (await run.metricKeys()).sort()) metrics[key] = (await collect(run.metricHistory(key))).flat();
    const files: Record<string, string> = {};
    for (const file of await collect(run.files())) files[file.path] = (await readAll(await run.openFile(file.path))).toString('base64');
    const { runId: _runId, parentRunId: _parent, ...info } = run.info;
    return { info, params: strip(await run.params()), tags: strip(await run.tags()), inputs: await run.inputs(), metrics, files };
  }

  /** The engine's copy, reduced to the contract calls. */
  async function copy(run: SourceRun, target: TargetProject, sourceProject: string): Promise<string> {
    const out = await target.createRun({
      name: run.info.name,
      user: run.info.user,
      startTime: run.info.startTime,
      tags: [{ key: PROVENANCE.runId, value: run.info.runId }, { key: PROVENANCE.project, value: sourceProject }],
      source: { project: sourceProject, runId: run.info.runId },
    });
    await out.logParams(await run.params());
    await out.setTags((await run.tags()).filter((tag) => tag.key !== PROVENANCE.runId && tag.key !== PROVENANCE.project && tag.key !== PROVENANCE.completed));
    for (const key of await run.metricKeys()) {
      for await (const points of run.metricHistory(key)) await out.logMetrics([{ key, points }]);
    }
    await out.logInputs(await run.inputs());
    for await (const file of run.files()) await out.writeFile(file.path, await run.openFile(file.path), file.size);
    await out.finish({ status: run.info.status, endTime: run.info.endTime, deleted: run.info.deleted, marker: { key: PROVENANCE.completed, value: 'now' } });
    return out.runId;
  }

  it('MLflow-shaped run -> archive -> canonical is exact, reserved keys and typed values included', async () => {
    const { store, target } = await freshStore('roundtrip-mlflow');
    const run = await target.createRun({ name: 'nested', user: 'carol', startTime: T0, tags: provenance('m-1'), source: { project: 'src/project', runId: 'm-1' } });
    const params: KeyValue[] = [
      { key: 'sys/not-neptune', value: 'a param named like a sys field' },
      { key: 'old_sys/x', value: 'reserved prefix' },
      { key: 'runs_migrator/y', value: 'ours too' },
      { key: 'plain', value: '["looks","like","json"]' },
      { key: 'typed', value: '-0', type: 'float' },
    ];
    const tags: KeyValue[] = [
      { key: 'mlflow.note.content', value: '' },
      { key: 'mlflow.parentRunId', value: 'parent-id' },
      { key: 'neptune.tags', value: '["x"]' }, // untyped: stays a plain tag
      { key: 'neptune.group_tags', value: '["g"]', type: 'string_set' },
      { key: 'mlflow.user', value: 'carol' },
      { key: 'old_sys/creation_time', value: '2020-01-01T00:00:00.000Z', type: 'datetime' },
    ];
    await run.logParams(params);
    await run.setTags(tags);
    const points: MetricPoint[] = [
      { value: Number.NaN, timestamp: T0, step: 0 },
      { value: -Infinity, timestamp: T0 + 1, step: -(2n ** 63n) },
      { value: 1e-300, timestamp: T0 + 2, step: 2n ** 63n - 1n },
    ];
    await run.logMetrics([{ key: 'weird metric/ü', points }]);
    await run.logInputs([{ dataset: { name: 'd', digest: 'x', sourceType: 'code', source: '{}', profile: '{"rows": 3}' }, tags: [{ key: 'mlflow.data.context', value: 'eval' }] }]);
    await run.finish({ status: 'KILLED', endTime: T0 + 9, deleted: false, marker: { key: PROVENANCE.completed, value: 'x' } });

    const source = await store.openSource(REF);
    const read = await source.openRun((await collect(source.listRuns({ includeDeleted: false })))[0]!);
    expect(read.info).toEqual({ runId: run.runId, name: 'nested', user: 'carol', startTime: T0, endTime: T0 + 9, status: 'KILLED', deleted: false, parentRunId: 'parent-id' });
    expect(await read.params()).toEqual(expect.arrayContaining(params));
    expect(await read.params()).toHaveLength(params.length);
    expect(await read.tags()).toEqual(expect.arrayContaining(tags));
    const history = (await collect(read.metricHistory('weird metric/ü'))).flat();
    expect(history[0]!.value).toBeNaN();
    expect(history.slice(1)).toEqual(points.slice(1));
    expect(await read.inputs()).toEqual([{ dataset: { name: 'd', digest: 'x', sourceType: 'code', source: '{}', profile: '{"rows": 3}' }, tags: [{ key: 'mlflow.data.context', value: 'eval' }] }]);
    expect(read.readIssues!()).toEqual([]);
    await store.close();
  });

  it('archive (2.x and 3.x shapes from DuckDB) -> archive -> canonical is exact', async () => {
    // The read tests' DuckDB archive is rebuilt here in small: a 2.x run with files and series.
    const { writePart, partFile, projectDir: makeProjectDir } = await import('./neptune-fixtures.js');
    const sourceData = join(root, 'rt-source', 'data');
    const dir = await makeProjectDir(sourceData, 'ws/src');
    const filesRoot = join(root, 'rt-source', 'files', sanitizePathPart('ws/src'));
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(filesRoot, 'ws', 'src', 'R-1', 'fs'), { recursive: true });
    await writeFile(join(filesRoot, 'ws', 'src', 'R-1', 'fs', 'a.zip'), 'zip');
    await writeFile(join(filesRoot, 'ws', 'src', 'R-1', 'model'), 'weights');
    const base = 'ws/src/R-1';
    await writePart(
      partFile(dir, 'R-1', 0),
      [
        { attribute_path: 'sys/id', attribute_type: 'string', string_value: 'R-1' },
        { attribute_path: 'sys/name', attribute_type: 'string', string_value: 'Untitled' },
        { attribute_path: 'sys/owner', attribute_type: 'string', string_value: 'dave' },
        { attribute_path: 'sys/creation_time', attribute_type: 'datetime', datetime_value: T0 },
        { attribute_path: 'sys/modification_time', attribute_type: 'datetime', datetime_value: T0 + 1 },
        { attribute_path: 'sys/custom_run_id', attribute_type: 'string', string_value: 'my-custom' },
        { attribute_path: 'sys/tags', attribute_type: 'string_set', string_set_value: ['t2', 't1'] },
        { attribute_path: 'sys/failed', attribute_type: 'bool', bool_value: false },
        { attribute_path: 'sys/trashed', attribute_type: 'bool', bool_value: false },
        { attribute_path: 'p/float', attribute_type: 'float', float_value: 0.1 },
        { attribute_path: 'p/int', attribute_type: 'int', int_value: -5 },
        { attribute_path: 'p/set', attribute_type: 'string_set', string_set_value: ['b', 'a'] },
        { attribute_path: 'p/when', attribute_type: 'datetime', datetime_value: T0 },
        { attribute_path: 'm', attribute_type: 'float_series', step: 0, timestamp: T0, float_value: null },
        { attribute_path: 'm', attribute_type: 'float_series', step: 1, timestamp: T0 + 1, float_value: 2.5 },
        { attribute_path: 'log', attribute_type: 'string_series', step: 0, timestamp: T0, string_value: 'line' },
        { attribute_path: 'h', attribute_type: 'histogram_series', step: 0, timestamp: T0, histogram_value: { type: 'COUNTING', edges: [0, 1], values: [2] } },
        { attribute_path: 'model', attribute_type: 'file', file_value: { path: `${base}/model` } },
        { attribute_path: 'fs', attribute_type: 'file_set', file_value: { path: `${base}/fs` } },
      ],
      { project_id: 'ws/src', run_id: 'R-1' },
    );
    const sourceStore = openNeptuneArchive({ dataPath: sourceData });
    const source = await sourceStore.openSource({ workspace: 'ws', project: 'src' });
    const original = await source.openRun((await collect(source.listRuns({ includeDeleted: false })))[0]!);

    const { store, target } = await freshStore('rt-target');
    await copy(original, target, 'ws/src');
    const copied = await store.openSource(REF);
    const back = await copied.openRun((await collect(copied.listRuns({ includeDeleted: false })))[0]!);

    const before = await canonical(original);
    const after = await canonical(back);
    expect(after).toEqual(before);
    expect(before.files).toHaveProperty(['log/series.txt']);
    expect(before.files).toHaveProperty(['h/histograms.json']);
    expect(before.tags).toEqual(expect.arrayContaining([{ key: 'neptune.custom_run_id', value: 'my-custom' }]));
    await sourceStore.close();
    await store.close();
  });
});
