import { describe, expect, it } from 'vitest';
import { askCopySettings, type AskState } from '../../src/cli/prompts.js';
import { scriptedPrompts } from './cli-fakes.js';

const none = { credentials: {}, origin: 'none', warnings: [] };

function state(partial: Partial<AskState> = {}): AskState {
  return { full: true, credentials: { source: none, target: none }, ...partial };
}

describe('the interactive form', () => {
  it("asks the seed's questions in order, target URI defaulting to the source", async () => {
    const { prompts, asked } = scriptedPrompts(['http://mlflow-a:5000', 'team-a/churn', '', 'team-b/churn', 'src-secret', 'tgt-secret', '8']);
    const answers = await askCopySettings(prompts, state());
    expect(asked.map((q) => [q.kind, q.message])).toEqual([
      ['input', 'Source URI'],
      ['input', 'Source project (WORKSPACE/PROJECT)'],
      ['input', 'Target URI'],
      ['input', 'Target project (WORKSPACE/PROJECT)'],
      ['password', 'Source token (hidden; blank = none)'],
      ['password', 'Target token (hidden; blank = none)'],
      ['input', 'Number of workers (blank = 4)'],
    ]);
    expect(asked[2]!.default).toBe('http://mlflow-a:5000');
    expect(answers).toEqual({
      sourceUri: 'http://mlflow-a:5000',
      sourceProject: { workspace: 'team-a', project: 'churn' },
      targetUri: 'http://mlflow-a:5000',
      targetProject: { workspace: 'team-b', project: 'churn' },
      sourceCredentials: { token: 'src-secret' },
      targetCredentials: { token: 'tgt-secret' },
      workers: 8,
    });
  });

  it('keeps the environment for blank credentials and the default for blank workers', async () => {
    const fromEnv = { credentials: { token: 'env-tok' }, origin: 'RUNS_MIGRATOR_SOURCE_TOKEN', warnings: [] };
    const { prompts, asked } = scriptedPrompts(['', 'exp', 'http://b', 'ws/exp', '', '', '']);
    const answers = await askCopySettings(prompts, state({ defaultSourceUri: 'http://from-env', credentials: { source: fromEnv, target: none } }));
    expect(asked[0]!.default).toBe('http://from-env');
    expect(asked[4]!.message).toBe('Source token (hidden; blank = RUNS_MIGRATOR_SOURCE_TOKEN)');
    expect(answers.sourceUri).toBe('http://from-env');
    expect(answers.sourceProject).toEqual({ workspace: 'default', project: 'exp' });
    expect(answers.sourceCredentials).toBeUndefined();
    expect(answers.targetCredentials).toBeUndefined();
    expect(answers.workers).toBeUndefined();
  });

  it('asks for a password when the environment names a user', async () => {
    const basic = { credentials: { username: 'bob' }, origin: 'MLFLOW_TRACKING_USERNAME', warnings: [] };
    const { prompts, asked } = scriptedPrompts(['http://a', 'a/b', 'http://c', 'c/d', 'pw-bob', '', '2']);
    const answers = await askCopySettings(prompts, state({ credentials: { source: basic, target: none } }));
    expect(asked[4]!.message).toBe('Source password for bob (hidden; blank = MLFLOW_TRACKING_USERNAME)');
    expect(answers.sourceCredentials).toEqual({ username: 'bob', password: 'pw-bob' });
  });

  it('asks again after an invalid answer', async () => {
    const { prompts, refused } = scriptedPrompts([' ', 'http://a', 'ws/', 'ws/p', '', 'x/y', '', '', 'zero', '0', '3']);
    const answers = await askCopySettings(prompts, state());
    expect(refused).toHaveLength(4);
    expect(refused[1]).toMatch(/Source project.*empty part/);
    expect(refused[2]).toMatch(/workers must be a whole number/);
    expect(answers.workers).toBe(3);
  });

  it('with some flags given, asks only the missing required values', async () => {
    const { prompts, asked } = scriptedPrompts(['team-b/churn']);
    const answers = await askCopySettings(
      prompts,
      state({ full: false, sourceUri: 'http://a', sourceProject: { workspace: 'team-a', project: 'churn' } }),
    );
    expect(asked.map((q) => q.message)).toEqual(['Target project (WORKSPACE/PROJECT)']);
    expect(answers).toEqual({
      sourceUri: 'http://a',
      sourceProject: { workspace: 'team-a', project: 'churn' },
      targetUri: 'http://a',
      targetProject: { workspace: 'team-b', project: 'churn' },
    });
  });
});
