/**
 * The example store (scripts/make-example-store.ts, written where it is used: `npm run example`
 * writes out/example-mlruns) reads back as the runs the generator describes, carries no
 * runs-migrator traces, is the same bytes on every run (pinned by example-store.sha256), and
 * names the folder it is in, so MLflow can serve its artifacts wherever the repository is.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openMlrunsStore } from '../../src/backends/mlruns/index.js';
import { walkFiles } from '../../src/backends/mlruns/fs-util.js';
import { pathToFileUri } from '../../src/backends/mlruns/uri.js';
import type { RunInfo } from '../../src/model/run.js';
import { exampleStore } from '../support/example-store.js';
import { collect } from '../support/streams.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** What the generator writes: sha256 of every file (its own root URI as ROOT). Rewrite it only with the generator. */
const MANIFEST = fileURLToPath(new URL('./example-store.sha256', import.meta.url));

describe('the example mlruns store', () => {
  it('holds experiment churn: six runs, nested children, a FAILED run, a deleted run', async () => {
    const store = await openMlrunsStore(await exampleStore(), 'source');
    const churn = await store.openSource({ workspace: 'default', project: 'churn' });
    expect(churn.meta.description).toBe('Customer churn models for the retention campaign.');
    const runs = await collect(churn.listRuns({ includeDeleted: true }));
    const byName = new Map<string, RunInfo>(runs.map((run) => [run.name!, run]));
    expect([...byName.keys()].sort()).toEqual(['baseline-logreg', 'lgbm-lr-too-high', 'scratch-debug', 'xgb-depth-4', 'xgb-depth-8', 'xgb-sweep']);
    const parent = byName.get('xgb-sweep')!;
    expect(byName.get('xgb-depth-4')!.parentRunId).toBe(parent.runId);
    expect(byName.get('xgb-depth-8')!.parentRunId).toBe(parent.runId);
    expect(byName.get('lgbm-lr-too-high')!.status).toBe('FAILED');
    expect(byName.get('scratch-debug')).toMatchObject({ deleted: true, status: 'KILLED' });
    expect((await collect(churn.listRuns({ includeDeleted: false }))).length).toBe(5);

    const baseline = await churn.openRun(byName.get('baseline-logreg')!);
    const tags = new Map((await baseline.tags()).map((tag) => [tag.key, tag.value]));
    expect(tags.get('mlflow.user')).toBe('alice');
    expect(tags.get('mlflow.source.name')).toBe('train.py');
    expect(tags.has('mlflow.note.content')).toBe(true);
    expect([...tags.keys()].some((key) => key.startsWith('old_sys/') || key.startsWith('runs_migrator'))).toBe(false);
    expect((await baseline.inputs())[0]!.dataset.name).toBe('churn-train');
    expect((await collect(baseline.files())).map((file) => file.path)).toContain('model/model.pkl');
    expect((await collect(baseline.metricHistory('val/auc'))).flat()).toHaveLength(1000);
  });

  it('holds experiment vision with two runs', async () => {
    const store = await openMlrunsStore(await exampleStore(), 'source');
    const vision = await store.openSource({ workspace: 'default', project: 'vision' });
    expect((await collect(vision.listRuns({ includeDeleted: true }))).map((run) => run.name).sort()).toEqual(['resnet18-cifar10', 'vit-small-cifar10']);
  });

  it('is written the same, byte for byte, by every run of the generator, wherever it is written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlruns-example-'));
    try {
      // As `npm run example` writes it: the script in a child process, into another folder.
      const fresh = join(dir, 'mlruns');
      await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/make-example-store.ts', fresh], { cwd: REPO });
      const example = await exampleStore();
      const want = (await readFile(MANIFEST, 'utf8')).trim().split('\n');
      expect(await manifest(fresh)).toEqual(want);
      expect(await manifest(example)).toEqual(want);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the folder it was written in, so that MLflow serves its artifacts there', async () => {
    const example = await exampleStore();
    const metas = (await collect(walkFiles(example))).filter((file) => file.path.endsWith('meta.yaml'));
    const uris = (await Promise.all(metas.map((file) => readFile(file.fullPath, 'utf8')))).flatMap((text) => [...text.matchAll(/^(?:artifact_uri|artifact_location): (\S+)$/gm)].map((m) => m[1]!));
    expect(uris.length).toBeGreaterThan(10);
    for (const uri of uris) expect(uri.startsWith(`${pathToFileUri(example)}/`)).toBe(true);
  });
});

/** `<sha256>  <path>` of every file, with the store's own file: URI replaced by ROOT, sorted by path. */
async function manifest(root: string): Promise<string[]> {
  const files = await collect(walkFiles(root));
  const lines: Array<[string, string]> = [];
  for (const file of files) {
    const text = (await readFile(file.fullPath, 'latin1')).replaceAll(pathToFileUri(root), 'ROOT');
    lines.push([file.path, createHash('sha256').update(Buffer.from(text, 'latin1')).digest('hex')]);
  }
  return lines.sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([path, hash]) => `${hash}  ${path}`);
}
