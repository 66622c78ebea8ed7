import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MlflowSqliteStore } from '../../src/backends/mlflow-sqlite/index.js';
import type { RunInfo } from '../../src/model/run.js';
import { NotFoundError } from '../../src/util/errors.js';
import { createMlflowDatabase, type MlflowSchemaShape } from '../support/mlflow-sqlite-schema.js';
import { MlflowSqliteSeeder } from '../support/mlflow-sqlite-seed.js';

let dir: string;
let dbPath: string;
const stores: MlflowSqliteStore[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlflow-sqlite-ws-'));
  dbPath = path.join(dir, 'mlflow.db');
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function database(shape: MlflowSchemaShape, fill: (seed: MlflowSqliteSeeder) => void): MlflowSqliteStore {
  createMlflowDatabase(dbPath, { shape });
  const seed = new MlflowSqliteSeeder(dbPath);
  fill(seed);
  seed.close();
  const store = MlflowSqliteStore.open(`sqlite:///${dbPath}`);
  stores.push(store);
  return store;
}

async function runNames(store: MlflowSqliteStore, workspace: string, project: string): Promise<string[]> {
  const source = await store.openSource({ workspace, project });
  const names: string[] = [];
  for await (const info of source.listRuns({ includeDeleted: false }) as AsyncIterable<RunInfo>) names.push(info.name ?? '');
  return names;
}

describe('mlflow-sqlite workspaces (MLflow 3.10+ schema)', () => {
  it('selects the experiment by (workspace, name): same names in two workspaces stay apart', async () => {
    const store = database('mlflow-3.11', (seed) => {
      seed.run({ experimentId: seed.experiment({ name: 'shared' }), name: 'in-default' });
      seed.run({ experimentId: seed.experiment({ name: 'shared', workspace: 'team-a' }), name: 'in-team-a' });
    });
    expect(await runNames(store, 'default', 'shared')).toEqual(['in-default']);
    expect(await runNames(store, 'team-a', 'shared')).toEqual(['in-team-a']);
  });

  it('names the known workspaces when the workspace does not exist', async () => {
    const store = database('mlflow-3.11', (seed) => void seed.experiment({ name: 'x', workspace: 'team-a' }));
    const attempt = store.openSource({ workspace: 'team-b', project: 'x' });
    await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.openSource({ workspace: 'team-b', project: 'x' })).rejects.toThrow(/workspace "team-b" does not exist.*workspaces there: default, team-a/);
  });

  it('tells an unknown experiment in an existing workspace apart from an unknown workspace', async () => {
    const store = database('mlflow-3.11', (seed) => void seed.experiment({ name: 'x', workspace: 'team-a' }));
    await expect(store.openSource({ workspace: 'team-a', project: 'y' })).rejects.toThrow(/no experiment named "y" in workspace "team-a"/);
  });
});

describe('mlflow-sqlite experiments by name', () => {
  it('does not read a deleted experiment, and says it is deleted and how to restore it', async () => {
    let id = 0;
    const store = database('mlflow-3.11', (seed) => {
      id = seed.experiment({ name: 'old', lifecycleStage: 'deleted' });
    });
    const attempt = store.openSource({ workspace: 'default', project: 'old' });
    await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.openSource({ workspace: 'default', project: 'old' })).rejects.toThrow(
      new RegExp(`is deleted \\(experiment id ${id}\\); restore it with \`mlflow experiments restore --experiment-id ${id}\``),
    );
  });

  it('reads a pre-3.10 database (MLflow 2.8 schema) under the default workspace only', async () => {
    const store = database('mlflow-2.8', (seed) => {
      const experimentId = seed.experiment({ name: 'legacy' });
      const runId = seed.run({ experimentId, name: 'r1' });
      seed.inputs(runId, experimentId, [{ dataset: { name: 'd', digest: 'x', sourceType: 'local', source: '{}' }, tags: [] }]);
    });
    expect(await runNames(store, 'default', 'legacy')).toEqual(['r1']);
    const source = await store.openSource({ workspace: 'default', project: 'legacy' });
    for await (const info of source.listRuns({ includeDeleted: false })) {
      const run = await source.openRun(info);
      expect((await run.inputs()).map((input) => input.dataset.name)).toEqual(['d']);
    }
    await expect(store.openSource({ workspace: 'team-a', project: 'legacy' })).rejects.toThrow(
      /workspace "team-a" does not exist.*predates MLflow 3\.10 workspaces.*default\/legacy/,
    );
  });
});
