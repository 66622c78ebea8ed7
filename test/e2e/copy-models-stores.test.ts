/**
 * End to end through the CLI from the stores real MLflow 3.11 wrote (test/golden/stores): the
 * file store's two logged models, their links and the registered model with two versions, an
 * alias and tags go to an MLflow server and to another mlruns store, and those of the database
 * (mlflow.db) to an mlruns store, complete and verify clean.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi } from '../support/mlflow-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';

const MLRUNS = join(GOLDEN_STORES_DIR, 'mlruns');
const PARENT = 'd3c238855dbb489d8ea79df4c85a82fc';
const MODEL = 'm-97974bbd4b914384a9253728a5163cbb';
const MODEL_V2 = 'm-ae2113beadab4fbdb96f3f3b7471f000';

/** The id of the only experiment folder with models in an mlruns store. */
function experimentWithModels(root: string): string {
  return readdirSync(root).find((name) => !name.startsWith('.') && name !== 'models' && existsSync(join(root, name, 'models')))!;
}

function args(command: 'copy' | 'verify', target: string, targetProject: string, extra: string[] = []): string[] {
  const base = [command, '--source-uri', MLRUNS, '--source-project', 'default/fixture', '--target-uri', target, '--target-project', targetProject, '--registry'];
  return command === 'copy' ? [...base, '--no-progress', '--include-deleted', ...extra] : [...base, '--include-deleted', ...extra];
}

describe('logged models and the registry from the real-MLflow file store', () => {
  let server: StandinServer;
  const cwd = tempDir('e2e-models-stores');

  beforeAll(async () => {
    server = await startStandin();
  });
  afterAll(async () => {
    await server.close();
  });

  it('to an MLflow server: both models with files, links and the registry; models, links and registry verify clean', async () => {
    const result = await runCli(args('copy', server.url, 'default/fixture', ['--json']), { cwd });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.models.summary).toMatchObject({ models: 2, copied: 2, failed: 0, files: 10, versionsCopied: 2, unresolvedLinks: 0 });

    const api = new MlflowApi(server.url);
    const experimentId = (await api.experimentId('fixture'))!;
    const models = (await api.call('POST', 'logged-models/search', { experiment_ids: [experimentId] })).models;
    const byName = new Map<string, any>(models.map((m: any) => [m.info.name, m]));
    const parentCopy = report.runs.find((r: any) => r.sourceRunId === PARENT).targetRunId;
    for (const [name, id] of [['model', MODEL], ['model-v2', MODEL_V2]] as const) {
      const copy = byName.get(name);
      expect(copy.info).toMatchObject({ status: 'LOGGED_MODEL_READY', source_run_id: parentCopy });
      expect(copy.info.tags.find((t: any) => t.key === 'old_sys/model_id').value).toBe(id);
      const files = (await api.call('GET', `logged-models/${copy.info.model_id}/artifacts/directories`)).files.map((f: any) => f.path);
      expect(files).toEqual(['MLmodel', 'conda.yaml', 'model.pkl', 'python_env.yaml', 'requirements.txt']);
    }
    const parent = (await api.call('GET', 'runs/get', { run_id: parentCopy })).run;
    expect(parent.outputs.model_outputs.map((o: any) => o.model_id).sort()).toEqual([byName.get('model').info.model_id, byName.get('model-v2').info.model_id].sort());
    expect(parent.inputs.model_inputs).toEqual([{ model_id: byName.get('model').info.model_id }]);

    const rm = (await api.call('GET', 'registered-models/get', { name: 'fixture-model' })).registered_model;
    expect(rm).toMatchObject({ description: 'A fixture model', tags: [{ key: 'domain', value: 'tabular' }], aliases: [{ alias: 'champion', version: '1' }] });
    const v1 = (await api.call('GET', 'model-versions/get', { name: 'fixture-model', version: '1' })).model_version;
    expect(v1).toMatchObject({ source: `models:/${byName.get('model').info.model_id}`, run_id: parentCopy });
    expect(v1.tags.find((t: any) => t.key === 'owner').value).toBe('vision');

    const verify = await runCli(args('verify', server.url, 'default/fixture'), { cwd });
    expect(verify.stdout).toContain('Models clean: 2/2 logged model(s) ok, 1/1 linked run(s) ok, 1/1 registered model(s) ok');
    // The file store appended exact duplicate step-0 points to `parent` (test/golden/stores/README.md),
    // which a SQL-backed server stores once: verify compares the distinct points and is clean.
    expect(verify.stdout.split('\n').filter((line) => line.startsWith('  - '))).toEqual([]);
    expect(verify.code).toBe(0);
  });

  it('to another mlruns store in MLflow\'s layout, verify clean, and a re-run adds nothing', async () => {
    const target = join(tempDir('e2e-models-mlruns'), 'mlruns');
    const first = await runCli(args('copy', target, 'default/fixture', ['--json']), { cwd });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).models.summary).toMatchObject({ copied: 2, versionsCopied: 2 });
    const verify = await runCli(args('verify', target, 'default/fixture'), { cwd });
    expect(verify.stdout).toContain('Models clean');
    expect(verify.code).toBe(0);

    const version1 = readFileSync(join(target, 'models/fixture-model/version-1/meta.yaml'), 'utf8');
    expect(version1).toMatch(/^source: models:\/m-[0-9a-f]{32}$/m);
    expect(readFileSync(join(target, 'models/fixture-model/meta.yaml'), 'utf8')).toMatch(/aliases:\n  champion: '1'/);
    expect(existsSync(join(target, 'models/fixture-model/version-2/tags/candidate'))).toBe(true);
    // MLflow's client records a version on its logged model; the copy's registry does the same.
    const modelDirs = readdirSync(join(target, experimentWithModels(target), 'models'));
    const listed = modelDirs.map((id) => readFileSync(join(target, experimentWithModels(target), 'models', id, 'tags/mlflow.modelVersions'), 'utf8')).sort();
    expect(listed).toEqual(['[{"name": "fixture-model", "version": 1}]', '[{"name": "fixture-model", "version": 2}]']);

    const again = await runCli(args('copy', target, 'default/fixture', ['--json']), { cwd });
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report.models.summary).toMatchObject({ copied: 0, skipped: 2 });
    expect(report.models.registry[0].versions.map((v: any) => v.outcome)).toEqual(['skipped', 'skipped']);
  });

  it('from the real-MLflow database (mlflow.db + mlartifacts) to an mlruns store: models, links and registry verify clean', async () => {
    const dir = tempDir('e2e-models-sqlite');
    cpSync(join(GOLDEN_STORES_DIR, 'sqlite'), dir, { recursive: true });
    const source = `sqlite:///${join(dir, 'mlflow.db')}`;
    const target = join(tempDir('e2e-models-sqlite-target'), 'mlruns');
    const common = ['--source-uri', source, '--source-project', 'default/fixture', '--target-uri', target, '--target-project', 'default/fixture', '--registry', '--include-deleted'];
    const result = await runCli(['copy', ...common, '--no-progress', '--json'], { cwd });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.models.summary).toMatchObject({ models: 2, copied: 2, files: 10, versionsCopied: 2, unresolvedLinks: 0, links: 3 });
    const verify = await runCli(['verify', ...common], { cwd });
    expect(verify.stdout).toContain('Models clean: 2/2 logged model(s) ok, 1/1 linked run(s) ok, 1/1 registered model(s) ok');
    expect(verify.code).toBe(0);
  });

  it('to a Neptune archive: the runs are copied and each logged model is reported as unsupported; --registry is refused before anything is written', async () => {
    const dir = tempDir('e2e-models-neptune');
    const archive = `neptune-export:${join(dir, 'exports/data')}?files=${join(dir, 'exports/files')}`;
    const base = ['copy', '--source-uri', MLRUNS, '--source-project', 'default/fixture', '--target-uri', archive, '--target-project', 'my-org/fixture', '--no-progress'];
    const refused = await runCli([...base, '--registry'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('cannot hold a model registry');
    expect(existsSync(join(dir, 'exports'))).toBe(false);

    const result = await runCli([...base, '--json'], { cwd: dir });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.summary.copied).toBe(3);
    expect(report.models.models.map((m: any) => [m.name, m.outcome])).toEqual([['model', 'unsupported'], ['model-v2', 'unsupported']].sort());
    expect(report.models.models[0].reason).toBe('neptune-export stores cannot hold MLflow logged models');
    expect(report.models.links).toMatchObject([{ outcome: 'skipped', outputs: 0, inputs: 0, reason: 'neptune-export stores cannot hold links to logged models' }]);
    expect(report.models.links[0].unresolved).toHaveLength(3);
    const verify = await runCli(['verify', '--source-uri', MLRUNS, '--source-project', 'default/fixture', '--target-uri', archive, '--target-project', 'my-org/fixture'], { cwd: dir });
    expect(verify.stdout).toContain('Models not compared: neptune-export stores hold no logged models: 2 model(s) not compared');
  });
});
