/**
 * Copies across store kinds through the CLI, each hop proven by verify: the example mlruns store
 * -> an MLflow server -> mlruns again; mlruns -> Neptune archive -> mlruns; an MLflow SQLite
 * database -> mlruns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Store, TargetProject } from '../../src/backends/contract.js';
import { openStore } from '../../src/backends/registry.js';
import { copyProject } from '../../src/engine/copy-project.js';
import { parseProjectRef } from '../../src/model/project-ref.js';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { MlflowSqliteSeeder, seedTarget } from '../support/mlflow-sqlite-seed.js';
import { MlflowApi } from '../support/mlflow-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { exampleStore } from '../support/example-store.js';

let EXAMPLE: string;

async function hop(cwd: string, from: [string, string], to: [string, string]): Promise<void> {
  const locations = ['--source-uri', from[0], '--source-project', from[1], '--target-uri', to[0], '--target-project', to[1]];
  const copy = await runCli(['copy', ...locations, '--include-deleted', '--no-progress', '--verify'], { cwd });
  expect(copy.stdout, copy.stderr).toContain('Verify clean');
  expect(copy.code).toBe(0);
  const again = await runCli(['copy', ...locations, '--include-deleted', '--no-progress'], { cwd });
  expect(again.stdout).toMatch(/Copied 0, skipped 6/);
}

describe('across store kinds', () => {
  let server: StandinServer;
  beforeAll(async () => {
    server = await startStandin();
    EXAMPLE = await exampleStore();
  });
  afterAll(async () => server.close());

  it('mlruns -> MLflow server -> mlruns, every hop verified', async () => {
    const cwd = tempDir('cross-server');
    await hop(cwd, [EXAMPLE, 'default/churn'], [server.url, 'default/churn']);
    await hop(cwd, [server.url, 'default/churn'], [join(cwd, 'back'), 'default/churn']);
    const runs = await new MlflowApi(server.url).searchRuns((await new MlflowApi(server.url).experimentId('churn'))!);
    expect(runs).toHaveLength(6);
  });

  it('mlruns -> Neptune archive -> mlruns, every hop verified, and inspect describes the archive', async () => {
    const cwd = tempDir('cross-archive');
    const archive = `neptune-export:${join(cwd, 'exports/data')}?files=${join(cwd, 'exports/files')}`;
    await hop(cwd, [EXAMPLE, 'default/churn'], [archive, 'team-a/churn']);
    await hop(cwd, [archive, 'team-a/churn'], [join(cwd, 'back'), 'default/churn']);
    const inspect = await runCli(['inspect', archive], { cwd });
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toContain('Project team-a/churn');
    expect(inspect.stdout).toMatch(/runs: 6 complete, 0 incomplete/);
    const json = await runCli(['inspect', archive, '--json'], { cwd });
    expect(JSON.parse(json.stdout).projects[0].points).toBe(14_320);
  });

  it('MLflow server -> Neptune archive -> MLflow server, every hop verified', async () => {
    const cwd = tempDir('cross-server-archive');
    const archive = `neptune-export:${join(cwd, 'exports/data')}`;
    await hop(cwd, [EXAMPLE, 'default/churn'], [server.url, 'default/churn-for-archive']);
    await hop(cwd, [server.url, 'default/churn-for-archive'], [archive, 'team-a/churn']);
    await hop(cwd, [archive, 'team-a/churn'], [server.url, 'default/churn-from-archive']);
  });

  it('MLflow SQLite database -> mlruns, verified', async () => {
    const cwd = tempDir('cross-sqlite');
    const dbPath = join(cwd, 'mlflow.db');
    createMlflowDatabase(dbPath);
    mkdirSync(join(cwd, 'mlartifacts'));
    // Fill the database with the example runs through the engine and the test seeder (the backend itself only reads).
    const seeder = new MlflowSqliteSeeder(dbPath);
    const example = await openStore(EXAMPLE, { credentials: {}, role: 'source' });
    const mlruns = await openStore(join(cwd, 'unused'), { credentials: {}, role: 'target' });
    const seedingStore: Store = {
      ...mlruns,
      kind: 'mlflow-sqlite-seeder',
      displayUri: `sqlite:///${dbPath}`,
      identity: `seed:${dbPath}`,
      capabilities: mlruns.capabilities,
      rejectKey: (key) => mlruns.rejectKey(key),
      openSource: () => Promise.reject(new Error('seeder only writes')),
      async openTarget(ref, meta): Promise<TargetProject> {
        return { ...seedTarget(seeder, ref, meta), listCopies: async function* () {} };
      },
      close: async () => undefined,
    };
    const seeded = await copyProject({
      source: { store: example, project: parseProjectRef('default/churn') },
      target: { store: seedingStore, project: parseProjectRef('default/churn') },
      includeDeleted: true,
    });
    expect(seeded.summary.copied).toBe(6);
    seeder.close();
    await example.close();
    await mlruns.close();

    const copy = await runCli(['copy', '--source-uri', `sqlite:///${dbPath}`, '--source-project', 'churn', '--target-uri', join(cwd, 'out'), '--target-project', 'churn', '--include-deleted', '--no-progress', '--verify'], { cwd });
    expect(copy.stdout, copy.stderr).toContain('Verify clean');
    expect(copy.code).toBe(0);
  });
});
