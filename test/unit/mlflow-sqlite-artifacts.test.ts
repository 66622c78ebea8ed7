import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReadIssue } from '../../src/backends/contract.js';
import { resolveArtifactLocation, type ArtifactContext } from '../../src/backends/mlflow-sqlite/artifact-location.js';
import { ArtifactTree } from '../../src/backends/mlflow-sqlite/artifact-tree.js';
import { MlflowSqliteStore } from '../../src/backends/mlflow-sqlite/index.js';
import type { FileEntry } from '../../src/model/run.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { MlflowSqliteSeeder } from '../support/mlflow-sqlite-seed.js';

let dir: string;

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mlflow-sqlite-artifacts-')));
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function collect(iterable: AsyncIterable<FileEntry>): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

function write(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

describe('where a run\'s artifacts are (runs.artifact_uri)', () => {
  const context = (): ArtifactContext => ({ dbDir: '/srv/mlflow', artifactsRoot: dir, artifactsRootGiven: false });

  it('takes plain paths as they are, relative ones against the database directory', () => {
    expect(resolveArtifactLocation('/data/mlruns/1/r/artifacts', context())).toEqual({ kind: 'local', root: '/data/mlruns/1/r/artifacts' });
    expect(resolveArtifactLocation('mlruns/1/r/artifacts', context())).toEqual({ kind: 'local', root: '/srv/mlflow/mlruns/1/r/artifacts' });
  });

  it('decodes local file: URIs and refuses ones on another host', () => {
    expect(resolveArtifactLocation('file:///data/ml%20runs/1/r/artifacts', context())).toEqual({ kind: 'local', root: '/data/ml runs/1/r/artifacts' });
    expect(resolveArtifactLocation('file:/data/mlruns/1/r/artifacts', context())).toEqual({ kind: 'local', root: '/data/mlruns/1/r/artifacts' });
    expect(resolveArtifactLocation('file://fileserver/share/1/r/artifacts', context())).toMatchObject({ kind: 'unreachable' });
  });

  it('resolves mlflow-artifacts: URIs below the artifacts root, with or without a server address', () => {
    const expected = { kind: 'local', root: path.join(dir, '0', 'r', 'artifacts') };
    expect(resolveArtifactLocation('mlflow-artifacts:/0/r/artifacts', context())).toEqual(expected);
    expect(resolveArtifactLocation('mlflow-artifacts://tracking:5000/0/r/artifacts', context())).toEqual(expected);
  });

  it('refuses an mlflow-artifacts: URI that climbs out of the artifacts root', () => {
    for (const uri of ['mlflow-artifacts:/../../etc', 'mlflow-artifacts:/0/%2E%2E/%2E%2E/%2E%2E/etc', 'mlflow-artifacts:/0/..%2F..%2F..%2Fetc']) {
      expect(resolveArtifactLocation(uri, context())).toEqual({ kind: 'unreachable', reason: expect.stringMatching(/outside the artifacts root/) });
    }
  });

  it('explains how to point at the artifacts when the default root is missing', () => {
    const missing = { dbDir: '/srv/mlflow', artifactsRoot: path.join(dir, 'absent'), artifactsRootGiven: false };
    expect(resolveArtifactLocation('mlflow-artifacts:/0/r/artifacts', missing)).toEqual({
      kind: 'unreachable',
      reason: expect.stringMatching(/--artifacts-destination as \?artifacts=<dir>/),
    });
  });

  it('reads object stores (s3:, wasbs:, abfss:) through the object-store layer', () => {
    for (const uri of ['s3://bucket/1/r/artifacts', 'wasbs://c@a.blob.core.windows.net/1', 'abfss://fs@a.dfs.core.windows.net/1']) {
      expect(resolveArtifactLocation(uri, context())).toEqual({ kind: 'object-store', uri });
    }
  });

  it('reports other remote stores (gs:, dbfs:, ...) as unreachable, their files lost, and a missing URI as unreachable', () => {
    for (const uri of ['gs://b/1/r/artifacts', 'dbfs:/databricks/mlflow/1/r']) {
      expect(resolveArtifactLocation(uri, context())).toMatchObject({ kind: 'unreachable', lost: true });
    }
    expect(resolveArtifactLocation(undefined, context())).toEqual({ kind: 'unreachable', reason: 'the run has no artifact_uri' });
  });
});

describe('artifact listing and reading never leave the run\'s directory', () => {
  let root: string;
  let issues: ReadIssue[];
  let tree: ArtifactTree;

  beforeEach(() => {
    root = path.join(dir, 'mlruns', '1', 'run', 'artifacts');
    write(path.join(root, 'a.txt'), 'a');
    write(path.join(root, 'sub', 'b.txt'), 'bb');
    write(path.join(dir, 'secret.txt'), 'do not read');
    fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'leak.txt'));
    fs.symlinkSync(dir, path.join(root, 'up'));
    issues = [];
    tree = new ArtifactTree(root, (issue) => issues.push(issue));
  });

  it('lists regular files only; symbolic links are reported, not followed', async () => {
    expect(await collect(tree.files())).toMatchObject([
      { path: 'a.txt', size: 1 },
      { path: 'sub/b.txt', size: 2 },
    ]);
    expect(issues.map((issue) => issue.field).sort()).toEqual(['files/leak.txt', 'files/up']);
    expect(issues[0]!.reason).toMatch(/symbolic link: not followed/);
  });

  it.each(['../../../secret.txt', '/etc/passwd', 'sub/../../../../secret.txt', './a.txt', 'sub//b.txt', '', 'sub\\..\\a.txt'])(
    'refuses the path %j',
    async (request) => {
      await expect(tree.open(request)).rejects.toThrow(/refusing artifact path/);
    },
  );

  it('refuses a path through a symbolic link, to a file or a directory', async () => {
    await expect(tree.open('leak.txt')).rejects.toThrow(/symbolic link/);
    await expect(tree.open('up/secret.txt')).rejects.toThrow(/symbolic link/);
  });

  it('says "not found" for a missing file and reads a present one', async () => {
    await expect(tree.open('sub/none.txt')).rejects.toThrow(/not found/);
    const chunks: Buffer[] = [];
    for await (const chunk of await tree.open('sub/b.txt')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('bb');
  });

  it('treats a missing run directory as "no artifacts" while the artifact store exists, and reports it otherwise', async () => {
    const quiet = new ArtifactTree(path.join(dir, 'mlruns', '1', 'other-run', 'artifacts'), (issue) => issues.push(issue));
    expect(await collect(quiet.files())).toEqual([]);
    expect(issues.filter((issue) => issue.field === 'files')).toEqual([]);

    const moved = new ArtifactTree(path.join(dir, 'moved', '1', 'run', 'artifacts'), (issue) => issues.push(issue));
    expect(await collect(moved.files())).toEqual([]);
    expect(issues).toContainEqual({ field: 'files', reason: expect.stringMatching(/moved or are on another machine/) });
  });
});

describe('mlflow-artifacts: runs through the store', () => {
  it('reads proxied artifacts from ?artifacts=<dir> and refuses a run URI that escapes it', async () => {
    const dbPath = path.join(dir, 'mlflow.db');
    createMlflowDatabase(dbPath);
    const seed = new MlflowSqliteSeeder(dbPath);
    const experimentId = seed.experiment({ name: 'exp' });
    const good = seed.run({ experimentId, runId: '1'.repeat(32) });
    const evil = seed.run({ experimentId, runId: '2'.repeat(32), artifactUri: 'mlflow-artifacts:/../../../../../etc' });
    seed.close();
    const artifactsRoot = path.join(dir, 'server-artifacts');
    write(path.join(artifactsRoot, String(experimentId), good, 'artifacts', 'model', 'MLmodel'), 'flavors: {}\n');

    const store = MlflowSqliteStore.open(`sqlite:///${dbPath}?artifacts=${artifactsRoot}`);
    try {
      const project = await store.openSource({ workspace: 'default', project: 'exp' });
      const goodRun = await project.openRun({ runId: good, status: 'RUNNING', deleted: false });
      expect(await collect(goodRun.files())).toMatchObject([{ path: 'model/MLmodel', size: 12 }]);

      const evilRun = await project.openRun({ runId: evil, status: 'RUNNING', deleted: false });
      expect(await collect(evilRun.files())).toEqual([]);
      expect(evilRun.readIssues?.()).toEqual([{ field: 'files', reason: expect.stringMatching(/outside the artifacts root; refused/) }]);
      await expect(evilRun.openFile('passwd')).rejects.toThrow(/not readable/);
    } finally {
      await store.close();
    }
  });
});
