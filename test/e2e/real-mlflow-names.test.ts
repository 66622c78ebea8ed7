/**
 * Behaviour of real MLflow 3.11 the first stand-in missed (issue 8), through the CLI:
 * - 0-byte files are listed without `file_size` (proto3 JSON), and must still be copied;
 * - verify never calls a run clean when the source could not read part of it;
 * - keys MLflow refuses (`metrics/acc@top-1`) are mapped by the published rule, not dropped;
 * - a path component over 255 bytes, which the server's file system refuses (HTML 500), is
 *   shortened by the published rule; the re-run copies nothing and verify follows the mapping.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/backends/registry.js';
import { sanitizePathPart } from '../../src/backends/neptune-export/sanitise.js';
import { parseProjectRef } from '../../src/model/project-ref.js';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { partFile, projectDir, writePart, type FixtureRow } from '../unit/neptune-fixtures.js';

const T0 = 1_700_000_000_000;

/** Every file of every run of a project, as `<run name>:<path>:<size>`, read through the backends. */
async function filesOf(uri: string, project: string): Promise<string[]> {
  const store = await openStore(uri, { credentials: {}, role: 'source' });
  try {
    const source = await store.openSource(parseProjectRef(project));
    const out: string[] = [];
    for await (const info of source.listRuns({ includeDeleted: true })) {
      const run = await source.openRun(info);
      for await (const file of run.files()) out.push(`${info.name}:${file.path}:${file.size}`);
      await run.close?.();
    }
    return out.sort();
  } finally {
    await store.close();
  }
}

async function copyVerified(cwd: string, from: [string, string], to: [string, string], extra: string[] = []) {
  const args = ['copy', '--source-uri', from[0], '--source-project', from[1], '--target-uri', to[0], '--target-project', to[1], '--no-progress', ...extra];
  const result = await runCli([...args, '--verify'], { cwd });
  expect(result.stdout, result.stderr).toContain('Verify clean');
  expect(result.code).toBe(0);
  return args;
}

/** A Neptune archive (2.x-shaped) with one run `R-1` made of `rows` and the stored files given. */
async function archiveWith(cwd: string, rows: FixtureRow[], files: Record<string, string> = {}): Promise<string> {
  const data = join(cwd, 'exports', 'data');
  const filesRoot = join(cwd, 'exports', 'files');
  const project = 'team/proj';
  const dir = await projectDir(data, project);
  for (const [path, text] of Object.entries(files)) {
    const target = join(filesRoot, sanitizePathPart(project), path);
    await mkdir(join(target, '..'), { recursive: true });
    await writeFile(target, text);
  }
  const head: FixtureRow[] = [
    { attribute_path: 'sys/id', attribute_type: 'string', string_value: 'R-1' },
    { attribute_path: 'sys/name', attribute_type: 'string', string_value: 'r1' },
    { attribute_path: 'sys/creation_time', attribute_type: 'datetime', datetime_value: T0 },
  ];
  await writePart(partFile(dir, 'R-1', 0), [...head, ...rows], { project_id: project, run_id: 'R-1' });
  return `neptune-export:${data}?files=${filesRoot}`;
}

describe('0-byte files (listed without file_size by real MLflow)', () => {
  let server: StandinServer;
  const expected = ['files:empty.txt:0', 'files:full.txt:1', 'files:nested/x/zero.bin:0'];
  beforeAll(async () => {
    server = await startStandin();
    await seedProject(new MlflowApi(server.url), 'empties', [
      { name: 'files', startTime: T0, endTime: T0 + 1, files: { 'empty.txt': '', 'nested/x/zero.bin': '', 'full.txt': 'x' } },
    ]);
  });
  afterAll(() => server.close());

  it('the source lists them, with size 0', async () => {
    expect(await filesOf(server.url, 'empties')).toEqual(expected);
  });

  it('server -> server, server -> mlruns, server -> archive -> server: every file arrives, verify clean', async () => {
    const cwd = tempDir('empty-files');
    await copyVerified(cwd, [server.url, 'empties'], [server.url, 'empties-copy']);
    expect(await filesOf(server.url, 'empties-copy')).toEqual(expected);

    await copyVerified(cwd, [server.url, 'empties'], [join(cwd, 'mlruns'), 'empties']);
    expect(await filesOf(join(cwd, 'mlruns'), 'empties')).toEqual(expected);

    const archive = `neptune-export:${join(cwd, 'exports', 'data')}`;
    await copyVerified(cwd, [server.url, 'empties'], [archive, 'team/empties']);
    expect(await filesOf(archive, 'team/empties')).toEqual(expected);
    await copyVerified(cwd, [archive, 'team/empties'], [server.url, 'empties-back']);
    expect(await filesOf(server.url, 'empties-back')).toEqual(expected);
  });
});

describe('verify and what the source could not read', () => {
  it('is not clean when the source reported a read issue, and says what it could not compare', async () => {
    const cwd = tempDir('verify-read-issue');
    const archive = await archiveWith(cwd, [
      { attribute_path: 'parameters/lr', attribute_type: 'float', float_value: 0.1 },
      { attribute_path: 'source_code/git', attribute_type: 'git_ref' },
    ]);
    const copy = await runCli(['copy', '--source-uri', archive, '--source-project', 'team/proj', '--target-uri', join(cwd, 'mlruns'), '--target-project', 'proj', '--no-progress'], { cwd });
    expect(copy.code, copy.stderr).toBe(0);
    const verify = await runCli(['verify', '--source-uri', archive, '--source-project', 'team/proj', '--target-uri', join(cwd, 'mlruns'), '--target-project', 'proj', '--report', 'v.json'], { cwd });
    expect(verify.stdout).toContain('Verify FAILED');
    expect(verify.code).not.toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'v.json'), 'utf8'));
    expect(report.clean).toBe(false);
    expect(report.runs[0].differences).toEqual([expect.stringMatching(/^source_code\/git: not compared, the source could not read it \(attribute type "git_ref" is not supported/)]);
  });
});

describe('names MLflow refuses are mapped by the published rule', () => {
  let server: StandinServer;
  beforeAll(async () => {
    server = await startStandin();
  });
  afterAll(() => server.close());

  it('a Neptune float series metrics/acc@top-1 arrives whole as metrics/acc_at_top-1, reported as mapped, verify clean', async () => {
    const cwd = tempDir('mapped-key');
    const points: FixtureRow[] = Array.from({ length: 1500 }, (_, step) => ({
      attribute_path: 'metrics/acc@top-1',
      attribute_type: 'float_series',
      step,
      timestamp: T0 + step,
      float_value: step / 1500,
    }));
    const archive = await archiveWith(cwd, [...points, { attribute_path: 'parameters/opt@v', attribute_type: 'string', string_value: 'adam' }]);
    const args = await copyVerified(cwd, [archive, 'team/proj'], [server.url, 'mapped'], ['--report', 'r.json']);
    const report = JSON.parse(readFileSync(join(cwd, 'r.json'), 'utf8'));
    expect(report.runs[0].issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'metric', key: 'metrics/acc@top-1', targetKey: 'metrics/acc_at_top-1', action: 'mapped' }),
        expect.objectContaining({ field: 'param', key: 'parameters/opt@v', targetKey: 'parameters/opt_at_v', action: 'mapped' }),
      ]),
    );
    expect(report.runs[0].issues.filter((issue: { action: string }) => issue.action === 'dropped')).toEqual([]);
    const api = new MlflowApi(server.url);
    const [run] = await api.searchRuns((await api.experimentId('mapped'))!);
    const history = await api.call('GET', 'metrics/get-history', { run_id: run.info.run_id, metric_key: 'metrics/acc_at_top-1', max_results: '5000' });
    expect(history.metrics).toHaveLength(1500);
    expect(run.data.params).toContainEqual({ key: 'parameters/opt_at_v', value: 'adam' });

    const again = await runCli(args, { cwd });
    expect(again.stdout, again.stderr).toMatch(/Copied 0, skipped 1/);
  });

  it('a path component over 255 bytes is shortened, the run copies, a re-run copies nothing, verify clean', async () => {
    const cwd = tempDir('long-component');
    const long = `outputs/${'l'.repeat(300)}`;
    const archive = await archiveWith(
      cwd,
      [{ attribute_path: long, attribute_type: 'file', file_value: { path: 'R-1/short.txt' } }],
      { 'R-1/short.txt': 'contents' },
    );
    const args = await copyVerified(cwd, [archive, 'team/proj'], [server.url, 'long-names'], ['--report', 'r.json']);
    const report = JSON.parse(readFileSync(join(cwd, 'r.json'), 'utf8'));
    expect(report.summary.copied).toBe(1);
    const issue = report.runs[0].issues.find((item: { field: string }) => item.field === 'file');
    expect(issue).toMatchObject({ key: `${long}.txt`, action: 'mapped' });
    expect(issue.targetKey).toMatch(/^outputs\/l+~[0-9a-f]{8}\.txt$/);
    expect(Buffer.byteLength(issue.targetKey.split('/')[1], 'utf8')).toBe(255);
    expect(await filesOf(server.url, 'long-names')).toEqual([`r1:${issue.targetKey}:8`]);

    const again = await runCli(args, { cwd });
    expect(again.stdout, again.stderr).toMatch(/Copied 0, skipped 1/);
    expect(again.code).toBe(0);
  });
});
