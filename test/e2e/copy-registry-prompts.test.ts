/**
 * End to end through the CLI: `copy --registry` between two MLflow stand-ins when the registry
 * also holds prompts. MLflow hides prompts from both registry searches, and one prompt-tagged
 * version hides EVERY version of an ordinary model from model-versions/search
 * (recorded: prompts-registry-views). The copy must still see and copy every version of such a
 * model (exactly once, numbers kept), and must report a prompt instead of copying it as a model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';

const T0 = 1_700_000_000_000;
const copyArgs = (from: string, to: string, extra: string[]) =>
  ['copy', '--source-uri', from, '--source-project', 'default/mixed', '--target-uri', to, '--target-project', 'default/mixed-copy', '--no-progress', ...extra];
const verifyArgs = (from: string, to: string, extra: string[]) =>
  ['verify', '--source-uri', from, '--source-project', 'default/mixed', '--target-uri', to, '--target-project', 'default/mixed-copy', ...extra];
const RUNS: SeedRun[] = [{ name: 'trainer', startTime: T0, endTime: T0 + 1000, params: { lr: '0.1' } }];
const PROMPT_TAGS = (text: string) => [
  { key: 'mlflow.prompt.is_prompt', value: 'true' },
  { key: '_mlflow_prompt_type', value: 'text' },
  { key: 'mlflow.prompt.text', value: text },
];

async function versionsOf(api: MlflowApi, name: string, upTo: number): Promise<any[]> {
  const out: any[] = [];
  for (let n = 1; n <= upTo; n++) {
    try {
      out.push((await api.call('GET', 'model-versions/get', { name, version: String(n) })).model_version);
    } catch {
      // a number that does not exist
    }
  }
  return out;
}

describe('copy --registry when the registry holds prompts', () => {
  let source: StandinServer;
  let target: StandinServer;
  let runId: string;
  const cwd = tempDir('e2e-registry-prompts');
  const copy = (extra: string[]) => runCli(copyArgs(source.url, target.url, ['--registry', '--json', ...extra]), { cwd });

  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    const api = new MlflowApi(source.url);
    runId = (await seedProject(api, 'mixed', RUNS)).get('trainer')!;
    // An ordinary model whose version 2 carries prompt tags: from then on the plain
    // model-versions/search answers none of its versions.
    await api.call('POST', 'registered-models/create', { name: 'mixed-model', description: 'ordinary' });
    await api.call('POST', 'model-versions/create', { name: 'mixed-model', source: `runs:/${runId}/model`, run_id: runId, description: 'v1' });
    await api.call('POST', 'model-versions/create', { name: 'mixed-model', source: 'dummy-source', run_id: runId, tags: PROMPT_TAGS('odd') });
    await api.call('POST', 'model-versions/create', { name: 'mixed-model', source: `runs:/${runId}/model`, run_id: runId, description: 'v3' });
    // A prompt with a version that names the project's run.
    await api.call('POST', 'registered-models/create', { name: 'greeting', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
    await api.call('POST', 'model-versions/create', { name: 'greeting', source: 'dummy-source', run_id: runId, tags: PROMPT_TAGS('Hello {{name}}!') });
    // The server's own view, which the client has to work around.
    expect(await api.call('GET', 'model-versions/search', { filter: "name='mixed-model'" })).toEqual({});
  });
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  it('copies every version of a model that has a prompt-tagged version, numbers kept, and reports the prompt as not copied', async () => {
    const result = await copy([]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    const byName = new Map<string, any>(report.models.registry.map((rm: any) => [rm.name, rm]));
    expect(byName.get('mixed-model').outcome).toBe('created');
    expect(byName.get('mixed-model').versions.map((v: any) => [v.sourceVersion, v.outcome, v.targetVersion])).toEqual([
      ['1', 'copied', '1'],
      ['2', 'copied', '2'],
      ['3', 'copied', '3'],
    ]);
    expect(byName.get('greeting')).toMatchObject({ outcome: 'not-copied', reason: expect.stringMatching(/a prompt/) });

    const api = new MlflowApi(target.url);
    const copied = await versionsOf(api, 'mixed-model', 5);
    expect(copied.map((v) => v.version)).toEqual(['1', '2', '3']);
    expect(copied[0]).toMatchObject({ description: 'v1', source: expect.stringMatching(/^runs:\//) });
    const v2Tags = new Map(copied[1].tags.map((t: any) => [t.key, t.value]));
    expect(v2Tags.get('mlflow.prompt.is_prompt')).toBe('true');
    expect(v2Tags.get('mlflow.prompt.text')).toBe('odd');
    await expect(api.call('GET', 'registered-models/get', { name: 'greeting' })).rejects.toThrow(/404/);
  });

  it('verify --registry compares every version of that model and is clean', async () => {
    const result = await runCli(verifyArgs(source.url, target.url, ['--registry', '--json']), { cwd });
    expect(result.code).toBe(0);
    const registry = JSON.parse(result.stdout).models.registry;
    expect(registry).toEqual([{ name: 'mixed-model', status: 'ok', differences: [], versions: { '1': '1', '2': '2', '3': '3' } }]);
  });

  it('a re-run sees the copies behind the hidden versions and duplicates nothing', async () => {
    const result = await copy([]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    const mixed = report.models.registry.find((rm: any) => rm.name === 'mixed-model');
    expect(mixed.versions.map((v: any) => v.outcome)).toEqual(['skipped', 'skipped', 'skipped']);
    expect((await versionsOf(new MlflowApi(target.url), 'mixed-model', 6)).map((v) => v.version)).toEqual(['1', '2', '3']);
  });
});
