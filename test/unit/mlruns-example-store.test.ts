/**
 * The committed example store (examples/mlruns) reads back as the runs the generator describes,
 * carries no runs-migrator traces, and is exactly what scripts/make-example-store.ts writes.
 */
import { execFile } from 'node:child_process';
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
import { collect } from '../support/streams.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = join(REPO, 'examples', 'mlruns');

describe('the example mlruns store', () => {
  it('holds experiment churn: six runs, nested children, a FAILED run, a deleted run', async () => {
    const store = await openMlrunsStore(EXAMPLE, 'source');
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
    const store = await openMlrunsStore(EXAMPLE, 'source');
    const vision = await store.openSource({ workspace: 'default', project: 'vision' });
    expect((await collect(vision.listRuns({ includeDeleted: true }))).map((run) => run.name).sort()).toEqual(['resnet18-cifar10', 'vit-small-cifar10']);
  });

  it('is what the generator writes, byte for byte apart from the absolute artifact URIs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlruns-example-'));
    try {
      const fresh = join(dir, 'mlruns');
      await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/make-example-store.ts', fresh], { cwd: REPO });
      const committed = await collect(walkFiles(EXAMPLE));
      const generated = await collect(walkFiles(fresh));
      expect(generated.map((file) => file.path)).toEqual(committed.map((file) => file.path));
      for (const [index, file] of generated.entries()) {
        const got = (await readFile(file.fullPath, 'latin1')).replaceAll(pathToFileUri(fresh), 'ROOT');
        // The committed store names the folder it was generated in, which need not be this clone's.
        const want = (await readFile(committed[index]!.fullPath, 'latin1')).replace(/file:\/\/\S*?\/examples\/mlruns/g, 'ROOT');
        expect(got, file.path).toBe(want);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
