/**
 * The mlflow.db written by real MLflow 3.11 (test/golden/stores/sqlite, alembic head
 * 7d34483879f0, newer than any revision this tool listed before) is read completely: every run,
 * param, tag, metric point (NaN, +-Inf, int64 steps), dataset input and artifact, through the
 * `mlflow-artifacts:` mapping onto its mlartifacts/ folder. The figures are the ones its README's
 * inventory lists (read back by the real MLflow client). A copy of the store is read, and the
 * copy is checked to be untouched.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowSqliteStore } from '../../src/backends/mlflow-sqlite/index.js';
import type { SourceProject, SourceRun } from '../../src/backends/contract.js';
import type { MetricPoint } from '../../src/model/run.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { collect, readAll } from '../support/streams.js';

let dir: string;
let store: MlflowSqliteStore;
let before: Buffer;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlflow-golden-db-'));
  fs.cpSync(path.join(GOLDEN_STORES_DIR, 'sqlite'), dir, { recursive: true });
  before = fs.readFileSync(path.join(dir, 'mlflow.db'));
  store = MlflowSqliteStore.open(`sqlite:///${path.join(dir, 'mlflow.db')}`);
});

afterAll(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function runsByName(project: SourceProject): Promise<Map<string, SourceRun>> {
  const out = new Map<string, SourceRun>();
  for (const info of await collect(project.listRuns({ includeDeleted: true }))) out.set(info.name ?? '', await project.openRun(info));
  return out;
}

async function history(run: SourceRun, key: string): Promise<MetricPoint[]> {
  const points: MetricPoint[] = [];
  for await (const batch of run.metricHistory(key)) points.push(...batch);
  return points;
}

describe('the real MLflow 3.11 mlflow.db (alembic head 7d34483879f0)', () => {
  it('opens by shape and names the revision', () => {
    expect(store.features).toMatchObject({ revision: '7d34483879f0', workspaces: true, datasets: true, inputStep: true });
    expect(store.notes[0]).toMatch(/alembic revision 7d34483879f0/);
  });

  it('reads every run of experiment fixture with its info, params and tags', async () => {
    const fixture = await store.openSource({ workspace: 'default', project: 'fixture' });
    expect(fixture.meta.description).toBe('Fixture experiment');
    expect(fixture.meta.tags.find((tag) => tag.key === 'team')?.value).toBe('vision');
    const runs = await runsByName(fixture);
    expect([...runs.keys()].sort()).toEqual(['child', 'deleted', 'parent', 'running']);

    const parent = runs.get('parent')!;
    expect(parent.info).toMatchObject({ status: 'FINISHED', deleted: false, user: 'unknown', startTime: Date.UTC(2025, 0, 1), endTime: Date.UTC(2025, 0, 1, 0, 5) });
    const params = new Map((await parent.params()).map((p) => [p.key, p.value]));
    expect([...params.keys()].sort()).toEqual(['empty', 'long', 'lr', 'unicode']);
    expect(params.get('empty')).toBe('');
    expect(params.get('long')).toHaveLength(6000);
    expect(params.get('unicode')).toBe('héllo ✓');
    const tags = new Map((await parent.tags()).map((t) => [t.key, t.value]));
    expect(tags.get('k/with/slash')).toBe('v');
    expect(tags.get('mlflow.note.content')).toBe('The parent run');

    expect(runs.get('child')!.info).toMatchObject({ status: 'FAILED', parentRunId: parent.info.runId });
    expect(runs.get('deleted')!.info).toMatchObject({ status: 'FINISHED', deleted: true });
    expect(runs.get('running')!.info.status).toBe('RUNNING');
    expect(runs.get('running')!.info.endTime).toBeUndefined();
  });

  it('reads every metric point: NaN, the clamped infinities, negative and int64 steps', async () => {
    const fixture = await store.openSource({ workspace: 'default', project: 'fixture' });
    const parent = (await runsByName(fixture)).get('parent')!;
    expect((await parent.metricKeys()).sort()).toEqual(['loss', 'model_acc', 'odd', 'same_ts']);
    expect(await history(parent, 'loss')).toHaveLength(200);
    expect(await history(parent, 'same_ts')).toHaveLength(2);
    const odd = await history(parent, 'odd');
    expect(odd).toHaveLength(7);
    const byStep = (step: number | bigint) => odd.filter((p) => BigInt(p.step) === BigInt(step)).map((p) => p.value);
    expect(byStep(0)).toEqual([Number.NaN]);
    expect(byStep(1)).toEqual([Number.MAX_VALUE]);
    expect(byStep(2)).toEqual([-Number.MAX_VALUE]);
    expect(byStep(-5)).toEqual([5e-324]);
    // 2^53 + 1: exact only as a bigint.
    expect(byStep(9_007_199_254_740_993n).sort()).toEqual([1.5, 2.5]);

    const second = await store.openSource({ workspace: 'default', project: 'second' });
    const long = (await runsByName(second)).get('long-history')!;
    const acc = await history(long, 'acc');
    expect(acc).toHaveLength(1000);
    expect(acc[999]).toMatchObject({ step: 999, value: 0.999 });
  });

  it('reads the dataset input with its tags, and the logged-model links apart from the inputs', async () => {
    const fixture = await store.openSource({ workspace: 'default', project: 'fixture' });
    const parent = (await runsByName(fixture)).get('parent')!;
    const inputs = await parent.inputs();
    expect(inputs).toHaveLength(1);
    expect(inputs[0]!.dataset).toMatchObject({ name: 'fixture-data', digest: '4d001e9b', sourceType: 's3', source: '{"uri": "s3://fixture-bucket/data.npy"}' });
    expect(inputs[0]!.dataset.schema).toMatch(/mlflow_tensorspec/);
    expect(inputs[0]!.tags).toEqual([{ key: 'mlflow.data.context', value: 'training' }]);
    expect(parent.readIssues!().map((issue) => issue.reason).join('\n')).not.toMatch(/logged-model/);
    const links = await (parent as unknown as { modelLinks(): Promise<{ outputs: unknown[]; inputs: unknown[] }> }).modelLinks();
    expect([links.outputs.length, links.inputs.length]).toEqual([2, 1]);
  });

  it('reads every artifact, empty files included, from mlartifacts/ through the mlflow-artifacts: URIs', async () => {
    const fixture = await store.openSource({ workspace: 'default', project: 'fixture' });
    const runs = await runsByName(fixture);
    const parent = runs.get('parent')!;
    const files = await collect(parent.files());
    expect(files).toMatchObject([
      { path: 'empty.txt', size: 0 },
      { path: 'name with spaces.txt', size: 7 },
      { path: 'nested/deeper/data.bin', size: 1024 },
      { path: 'nested/only-empty/zero.bin', size: 0 },
      { path: 'notes.txt', size: 14 },
    ]);
    expect((await readAll(await parent.openFile('nested/deeper/data.bin'))).length).toBe(1024);
    expect(await collect(runs.get('child')!.files())).toMatchObject([{ path: 'logs/stderr.txt', size: 14 }]);
    expect(await collect(runs.get('deleted')!.files())).toMatchObject([{ path: 'result.txt', size: 10 }]);
    expect(await collect(runs.get('running')!.files())).toMatchObject([{ path: 'status.txt', size: 8 }]);
  });

  it('left the database untouched', () => {
    expect(fs.readFileSync(path.join(dir, 'mlflow.db')).equals(before)).toBe(true);
  });
});
