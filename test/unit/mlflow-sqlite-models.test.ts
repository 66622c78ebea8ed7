/**
 * Logged models, run<->model links and the registry read from the mlflow.db that real MLflow 3.11
 * wrote (test/golden/stores/sqlite; ids in its README), through the database backend's model
 * reader, with files from the server's mlartifacts folder.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadConnection } from '../../src/backends/mlflow-sqlite/connection.js';
import { sqliteCatalog } from '../../src/backends/mlflow-sqlite/schema-features.js';
import { readShape, type SchemaFeatures } from '../../src/backends/mlflow-sqlite/schema-shape.js';
import { listLoggedModels, readModelLinks, SqliteRegistry, SqliteSourceModel } from '../../src/backends/mlflow-sqlite/models.js';
import { collect, readAll } from '../support/streams.js';
import { tempDir } from '../support/cli-process.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';

const PARENT = '2423373861b24d93958faffdeacd9601';
const MODEL = 'm-e20f51a8e690445d884354dbc8e66e15';
const MODEL_V2 = 'm-7a1065c2a4344779b8382af25a5dee3c';

describe('mlflow-sqlite: logged models and registry of a real MLflow 3.11 database', () => {
  let connection: ReadConnection;
  let dir: string;
  let features: SchemaFeatures;

  beforeAll(() => {
    dir = tempDir('sqlite-models');
    cpSync(join(GOLDEN_STORES_DIR, 'sqlite'), dir, { recursive: true });
    connection = ReadConnection.open(join(dir, 'mlflow.db'), 'mlflow.db');
    const { catalog, revisions } = sqliteCatalog(connection);
    features = readShape(catalog, revisions, 'mlflow.db');
  });
  afterAll(() => connection.close());

  it('recognises the logged-model and registry tables by shape', () => {
    expect(features).toMatchObject({ loggedModels: true, registry: true, registryAliases: true, registryWorkspace: true });
  });

  it('lists both logged models of the experiment with their fields', async () => {
    const models = await listLoggedModels(connection, features, '1');
    expect(models.map((m) => [m.modelId, m.name, m.status, m.sourceRunId, m.modelType ?? ''])).toEqual([
      [MODEL, 'model', 'READY', PARENT, ''],
      [MODEL_V2, 'model-v2', 'READY', PARENT, ''],
    ]);
    expect(await listLoggedModels(connection, features, '2')).toEqual([]);
  });

  it('reads params, tags, metrics with their run, and the files from mlartifacts', async () => {
    const info = (await listLoggedModels(connection, features, '1'))[0]!;
    const model = new SqliteSourceModel(info, connection, { dbDir: dir, artifactsRoot: join(dir, 'mlartifacts'), artifactsRootGiven: false });
    expect((await model.params()).map((p) => p.key)).toEqual(['C', 'empty', 'long', 'lr', 'unicode']);
    expect((await model.tags()).find((t) => t.key === 'mlflow.user')?.value).toBe('root');
    expect((await model.metrics()).map((m) => [m.key, m.value, Number(m.step), m.runId])).toEqual(
      expect.arrayContaining([['loss', 1, 0, PARENT], ['same_ts', 1, 0, PARENT], ['model_acc', 0.75, 0, PARENT]]),
    );
    const files = await collect(model.files());
    expect(files.map((f) => f.path).sort()).toEqual(['MLmodel', 'conda.yaml', 'model.pkl', 'python_env.yaml', 'requirements.txt']);
    expect(files.find((f) => f.path === 'MLmodel')!.size).toBe(687);
    expect((await readAll(await model.openFile('MLmodel'))).length).toBe(687);
    expect(model.readIssues()).toEqual([]);
  });

  it('reads the run links from the inputs table: two outputs at step 0 and one model input', async () => {
    const links = await readModelLinks(connection, features, PARENT);
    expect(links.outputs.map((o) => [o.modelId, Number(o.step)]).sort()).toEqual([[MODEL, 0], [MODEL_V2, 0]].sort());
    expect(links.inputs).toEqual([{ modelId: MODEL }]);
  });

  it('reads the registered model with tags and alias, and its versions with their model from the source', async () => {
    const registry = new SqliteRegistry(connection, features);
    const models = await collect(registry.listRegisteredModels());
    expect(models).toEqual([
      { name: 'fixture-model', description: 'A fixture model', tags: [{ key: 'domain', value: 'tabular' }], aliases: [{ alias: 'champion', version: '1' }] },
    ]);
    const versions = await registry.listVersions('fixture-model');
    expect(versions.map((v) => [v.version, v.modelId, v.runId, v.stage, v.tags])).toEqual([
      ['1', MODEL, PARENT, 'None', [{ key: 'owner', value: 'vision' }]],
      ['2', MODEL_V2, PARENT, 'None', [{ key: 'candidate', value: 'true' }]],
    ]);
  });
});
