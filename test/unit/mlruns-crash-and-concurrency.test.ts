/**
 * What other processes see: a copy killed mid-run leaves nothing MLflow reads as a run, and is
 * reported as a partial copy until discarded; writers racing to create one experiment make one.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMlrunsStore } from '../../src/backends/mlruns/index.js';
import { listExperiments } from '../../src/backends/mlruns/experiments.js';
import { exists } from '../../src/backends/mlruns/fs-util.js';
import { MlrunsLayout } from '../../src/backends/mlruns/layout.js';
import { collect } from '../support/streams.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./mlruns-child-writer.ts', import.meta.url));

/** Run the child writer; a SIGKILLed child is expected in crash mode, so its stdout is returned anyway. */
async function child(mode: string, root: string, name: string, ...extra: string[]): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, mode, root, name, ...extra], { cwd: process.cwd() });
    return stdout.trim();
  } catch (error) {
    const failed = error as { signal?: string; stdout?: string; stderr?: string };
    if (failed.signal === 'SIGKILL') return (failed.stdout ?? '').trim();
    throw new Error(`child failed: ${failed.stderr ?? String(error)}`);
  }
}

let dir: string;
let root: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlruns-crash-'));
  root = join(dir, 'mlruns');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a copy killed mid-run', () => {
  it('leaves no run folder in the experiment, is listed as partial, and is discarded cleanly', async () => {
    const runId = await child('crash-mid-run', root, 'target');
    expect(runId).toMatch(/^[0-9a-f]{32}$/);

    const store = await openMlrunsStore(root, 'target');
    const project = (await store.openTarget({ workspace: 'default', project: 'target' }, { tags: [] }, { create: false }))!;
    const experimentDir = join(root, project.id!);
    // MLflow lists runs as the sub-folders of the experiment: the half-written run is not one.
    expect((await readdir(experimentDir)).filter((name) => /^[0-9a-f]{32}$/.test(name))).toEqual([]);
    const source = await store.openSource({ workspace: 'default', project: 'target' });
    expect(await collect(source.listRuns({ includeDeleted: true }))).toEqual([]);

    expect(await collect(project.listCopies())).toEqual([
      { sourceProject: 'default/source', sourceRunId: 'src-doomed', targetRunId: runId, complete: false, deleted: false },
    ]);
    const staged = new MlrunsLayout(root).stagingRunDir(project.id!, runId);
    expect(await exists(join(staged, 'artifacts', 'model', 'w.bin'))).toBe(true);

    await project.discardRun(runId);
    expect(await exists(staged)).toBe(false);
    expect(await collect(project.listCopies())).toEqual([]);
  });
});

describe('writers racing to create one experiment', () => {
  async function experimentsNamed(name: string) {
    return (await listExperiments(new MlrunsLayout(root), 'active')).filter((e) => e.meta.name === name);
  }

  it('in other processes, started to hit the store in the same millisecond, create exactly one', async () => {
    // Children take a while to start; they all wait for the same moment, then race.
    const startAt = String(Date.now() + 3000);
    const ids = await Promise.all([1, 2, 3, 4].map(() => child('create-experiment', root, 'shared', startAt)));
    expect(new Set(ids).size).toBe(1);
    const named = await experimentsNamed('shared');
    expect(named.map((e) => e.meta.experimentId)).toEqual([ids[0]]);
    expect(ids[0]).toMatch(/^[1-9]\d{17}$/);
  });

  it('in this process, through separate stores, create exactly one', async () => {
    const stores = await Promise.all([1, 2, 3, 4, 5, 6].map(() => openMlrunsStore(root, 'target')));
    const projects = await Promise.all(
      stores.map((store) => store.openTarget({ workspace: 'default', project: 'raced' }, { tags: [] }, { create: true })),
    );
    const ids = new Set(projects.map((project) => project!.id));
    expect(ids.size).toBe(1);
    expect((await experimentsNamed('raced')).map((e) => e.meta.experimentId)).toEqual([...ids]);
  });
});
