/**
 * inspectArchive on a known DuckDB-written archive: every number is counted by hand below.
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inspectArchive } from '../../src/backends/neptune-export/index.js';
import { sanitizePathPart } from '../../src/backends/neptune-export/sanitise.js';
import { partFile, projectDir, writePart, type FixtureRow } from './neptune-fixtures.js';

let root: string;
let dir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'neptune-inspect-'));
  const data = join(root, 'data');
  dir = await projectDir(data, 'acme/cv');
  const filesRoot = join(root, 'files', sanitizePathPart('acme/cv'));
  await mkdir(join(filesRoot, 'acme', 'cv', 'CV-1', 'set'), { recursive: true });
  await writeFile(join(filesRoot, 'acme', 'cv', 'CV-1', 'model'), Buffer.alloc(100));
  await writeFile(join(filesRoot, 'acme', 'cv', 'CV-1', 'set', 'a.zip'), Buffer.alloc(20));
  await writeFile(join(filesRoot, 'acme', 'cv', 'CV-1', 'set', 'b.txt'), Buffer.alloc(3));

  const cv1: FixtureRow[] = [
    { attribute_path: 'sys/id', attribute_type: 'string', string_value: 'CV-1' },
    { attribute_path: 'sys/name', attribute_type: 'string', string_value: 'n' },
    { attribute_path: 'lr', attribute_type: 'float', float_value: 0.1 },
    { attribute_path: 'model', attribute_type: 'file', file_value: { path: 'acme/cv/CV-1/model' } },
    { attribute_path: 'set', attribute_type: 'file_set', file_value: { path: 'acme/cv/CV-1/set' } },
    { attribute_path: 'gone', attribute_type: 'file', file_value: { path: 'acme/cv/CV-1/gone' } },
    { attribute_path: 'log', attribute_type: 'string_series', step: '-1.5', timestamp: 1, string_value: 'x' },
  ];
  for (let step = 0; step < 5; step++) {
    cv1.push({ attribute_path: 'loss', attribute_type: 'float_series', step, timestamp: step, float_value: step });
    cv1.push({ attribute_path: 'acc', attribute_type: 'float_series', step: step + 0.25, timestamp: step, float_value: null });
  }
  await writePart(partFile(dir, 'CV-1', 0), cv1.slice(0, 10), { project_id: 'acme/cv', run_id: 'CV-1' });
  await writePart(partFile(dir, 'CV-1', 1), cv1.slice(10), { project_id: 'acme/cv', run_id: 'CV-1' });
  await writePart(
    partFile(dir, 'CV-2', 0),
    [
      { attribute_path: 'sys/id', attribute_type: 'string', string_value: 'CV-2' },
      { attribute_path: 'loss', attribute_type: 'float_series', step: 1000, timestamp: 0, float_value: 1 },
    ],
    { project_id: 'acme/cv', run_id: 'CV-2' },
  );
  await writeFile(partFile(dir, 'CV-3', 0, true), 'being written');
  await writeFile(join(dir, `${sanitizePathPart('abc')}.runs-migrator.json`), JSON.stringify({ runId: 'abc', sourceProject: 'p', sourceRunId: 'src-9' }));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

it('summarises runs, rows, attribute types, steps, points, files and incomplete runs', async () => {
  const summary = await inspectArchive(join(root, 'data'));
  expect(summary.filesPath).toBe(join(root, 'files'));
  expect(summary.projects).toHaveLength(1);
  const project = summary.projects[0]!;
  const parquetBytes =
    (await stat(partFile(dir, 'CV-1', 0))).size + (await stat(partFile(dir, 'CV-1', 1))).size + (await stat(partFile(dir, 'CV-2', 0))).size;
  expect(project).toEqual({
    projectId: 'acme/cv',
    directory: dir,
    runs: 2,
    incompleteRuns: [
      { prefix: sanitizePathPart('CV-3'), tmpParts: 1 },
      { prefix: sanitizePathPart('abc'), tmpParts: 0, runId: 'abc', sourceRunId: 'src-9' },
    ].sort((a, b) => (a.prefix < b.prefix ? -1 : 1)),
    parts: 3,
    parquetBytes,
    rows: 19,
    attributeTypes: {
      string: { rows: 3, uniquePaths: 2 },
      float: { rows: 1, uniquePaths: 1 },
      file: { rows: 2, uniquePaths: 2 },
      file_set: { rows: 1, uniquePaths: 1 },
      string_series: { rows: 1, uniquePaths: 1 },
      float_series: { rows: 11, uniquePaths: 2 },
    },
    steps: { count: 12, min: '-1.5', max: '1000' },
    points: 11,
    files: { count: 3, bytes: 123, missing: 1 },
    runIds: ['CV-1', 'CV-2'],
    topRuns: [
      { runId: 'CV-1', rows: 17 },
      { runId: 'CV-2', rows: 2 },
    ],
  });
});

it('refuses a data path that does not exist', async () => {
  await expect(inspectArchive(join(root, 'nope'))).rejects.toThrow(/does not exist/);
});
