/**
 * copy lists the target's copies while the source listing goes on (engine/copy-project.ts), but
 * only once the source's first page answered for the request: bad input still writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';

const T0 = 1_700_000_000_000;

describe('copy: the target is opened only after the source listing answered', () => {
  let source: StandinServer;
  let target: StandinServer;
  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    await seedProject(new MlflowApi(source.url), 'churn', [{ name: 'a', startTime: T0, endTime: T0 + 10, params: { lr: '0.1' } }]);
  });
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  it('a filter the source refuses: exit 2, the filter named, and nothing reaches the target', async () => {
    const result = await runCli(
      ['copy', '--source-uri', source.url, '--source-project', 'default/churn', '--target-uri', target.url, '--target-project', 'default/churn-copy',
        '--filter', 'params.lr ==== 1', '--no-progress'],
      { cwd: tempDir('e2e-overlap') },
    );
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/refused the filter "params.lr ==== 1"/);
    const routes = Object.keys(target.stats().byRoute);
    expect(routes.filter((route) => route !== 'experiments/get-by-name' && route !== 'server-info')).toEqual([]);
    expect(await new MlflowApi(target.url).experimentId('churn-copy')).toBeUndefined();
  });

  it('a good filter: the copy is made, and a second pass skips it', async () => {
    const cwd = tempDir('e2e-overlap');
    const args = ['copy', '--source-uri', source.url, '--source-project', 'default/churn', '--target-uri', target.url, '--target-project', 'default/churn-copy',
      '--filter', "params.lr = '0.1'", '--no-progress', '--report', 'r.json'];
    const first = await runCli(args, { cwd });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Copied 1/);
    const second = await runCli(args, { cwd });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/Copied 0, skipped 1/);
  });
});
