/**
 * Bad input gets a clear error, an exit code that says what kind, and nothing written (DESIGN
 * rule 7) - checked through the CLI against real stand-in servers. Credentials never show.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { filesBelow, runCli, tempDir } from '../support/cli-process.js';

const PASSWORD = 'S3cret-admin-pw!';
const T0 = 1_700_000_000_000;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('bad input', () => {
  let plain: StandinServer;
  let secured: StandinServer;
  let spaces: StandinServer;
  const auth = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

  beforeAll(async () => {
    plain = await startStandin();
    secured = await startStandin({ basicAuth: { adminPassword: PASSWORD } });
    spaces = await startStandin({ workspaces: true });
    const run = { name: 'r1', startTime: T0, endTime: T0 + 1, params: { a: '1' }, metrics: { m: [{ value: 1, timestamp: T0, step: 0 }] } };
    await seedProject(new MlflowApi(plain.url), 'churn', [run]);
    await seedProject(new MlflowApi(secured.url, { authorization: auth }), 'churn', [run]);
    await seedProject(new MlflowApi(spaces.url), 'churn', [run]);
  });
  afterAll(async () => {
    await plain.close();
    await secured.close();
    await spaces.close();
  });

  const cases: Array<{ name: string; args: () => string[]; env?: Record<string, string>; code: number; message: RegExp }> = [
    {
      name: 'wrong password',
      args: () => ['copy', '--source-uri', secured.url, '--source-project', 'churn', '--target-project', 'churn-copy'],
      env: { RUNS_MIGRATOR_SOURCE_USERNAME: 'admin', RUNS_MIGRATOR_SOURCE_PASSWORD: 'wrong-password-123', RUNS_MIGRATOR_TARGET_USERNAME: 'admin', RUNS_MIGRATOR_TARGET_PASSWORD: 'wrong-password-123' },
      code: 3,
      message: /rejected the credentials|401/,
    },
    {
      name: 'missing credentials',
      args: () => ['copy', '--source-uri', secured.url, '--source-project', 'churn', '--target-project', 'churn-copy'],
      code: 3,
      message: /401|credentials/,
    },
    {
      name: 'unknown source project',
      args: () => ['copy', '--source-uri', plain.url, '--source-project', 'no-such-experiment', '--target-project', 'x'],
      code: 4,
      message: /no-such-experiment/,
    },
    {
      name: 'unknown target workspace',
      args: () => ['copy', '--source-uri', spaces.url, '--source-project', 'churn', '--target-project', 'nowhere/churn'],
      code: 4,
      message: /nowhere/,
    },
    {
      name: 'workspace on a server without workspaces',
      args: () => ['copy', '--source-uri', plain.url, '--source-project', 'team-a/churn', '--target-project', 'churn-copy'],
      code: 2,
      message: /workspace/i,
    },
    {
      name: 'source equal to target',
      args: () => ['copy', '--source-uri', plain.url, '--source-project', 'default/churn', '--target-project', 'churn'],
      code: 2,
      message: /same project/,
    },
    {
      name: 'malformed URI',
      args: () => ['copy', '--source-uri', 'ftp://example/x', '--source-project', 'churn', '--target-uri', plain.url, '--target-project', 'churn-copy'],
      code: 2,
      message: /unsupported source URI/,
    },
    {
      name: 'malformed project',
      args: () => ['copy', '--source-uri', plain.url, '--source-project', 'team/', '--target-project', 'churn-copy'],
      code: 2,
      message: /--source-project/,
    },
  ];

  for (const testCase of cases) {
    it(`${testCase.name}: exit ${testCase.code}, a clear message, nothing written`, async () => {
      const cwd = tempDir('bad-input');
      const result = await runCli([...testCase.args(), '--no-progress'], { cwd, env: testCase.env });
      expect(result.stderr).toMatch(testCase.message);
      expect(result.code).toBe(testCase.code);
      for (const server of [plain, spaces]) {
        const api = new MlflowApi(server.url);
        expect(await api.experimentId('churn-copy')).toBeUndefined();
        expect(await api.experimentId('x')).toBeUndefined();
      }
      expect(await new MlflowApi(secured.url, { authorization: auth }).experimentId('churn-copy')).toBeUndefined();
      for (const file of filesBelow(cwd)) expect(file.text).not.toContain('wrong-password-123');
      expect(result.stdout + result.stderr).not.toContain('wrong-password-123');
    });
  }

  it('unreachable server: exit 5 and the URI named', async () => {
    const port = await closedPort();
    const cwd = tempDir('bad-input');
    const result = await runCli(['copy', '--source-uri', `http://127.0.0.1:${port}`, '--source-project', 'churn', '--target-uri', plain.url, '--target-project', 'churn-copy', '--no-progress'], { cwd });
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
    expect(result.code).toBe(5);
    expect(await new MlflowApi(plain.url).experimentId('churn-copy')).toBeUndefined();
  });

  it('a token on the command line is refused without being echoed', async () => {
    const cwd = tempDir('bad-input');
    const result = await runCli(['copy', '--source-uri', plain.url, '--source-project', 'churn', '--target-project', 'c2', '--source-token', 'tok-on-argv-987'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--source-token');
    expect(result.stdout + result.stderr).not.toContain('tok-on-argv-987');
  });

  it('with basic auth the copy works, and no byte written anywhere holds the password', async () => {
    const cwd = tempDir('secrets');
    const env = { MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: PASSWORD };
    const copy = await runCli(['copy', '--source-uri', secured.url, '--source-project', 'churn', '--target-project', 'churn-copy', '--no-progress', '--verify', '--json'], { cwd, env });
    expect(copy.stderr).toContain('Verify clean');
    expect(copy.code).toBe(0);
    const dry = await runCli(['copy', '--source-uri', secured.url, '--source-project', 'churn', '--target-project', 'churn-dry', '--dry-run'], { cwd, env });
    expect(dry.code).toBe(0);
    const written = filesBelow(cwd);
    expect(written.length).toBeGreaterThanOrEqual(3);
    for (const output of [copy.stdout, copy.stderr, dry.stdout, dry.stderr, ...written.map((f) => f.text)]) {
      expect(output).not.toContain(PASSWORD);
      expect(output).not.toContain(Buffer.from(`admin:${PASSWORD}`).toString('base64'));
    }
    for (const file of written) expect(file.mode & 0o077).toBe(0);
  });
});
