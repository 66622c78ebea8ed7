/**
 * The CLI as a user runs it: a child process (through tsx), real backends, a real pseudo-terminal
 * (util-linux `script`) for the interactive form. No server is needed: the store URI points at a
 * closed loopback port, so the run ends with "unreachable" (exit 5) after the log file is opened.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const TSX = require.resolve('tsx');
const ENTRY = resolve(import.meta.dirname, '../../src/cli/run.ts');
const CLOSED = 'http://127.0.0.1:9';
const cleanEnv = () => {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('RUNS_MIGRATOR_') && !key.startsWith('MLFLOW_TRACKING_')) env[key] = value;
  }
  return env;
};

function cli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, ['--import', TSX, ENTRY, ...args], {
    cwd: options.cwd ?? mkdtempSync(join(tmpdir(), 'cli-smoke-')),
    env: { ...cleanEnv(), ...options.env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('runs-migrator as a process', () => {
  it('--version and --help', () => {
    const version = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')).version as string;
    expect(cli(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    const help = cli(['copy', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: runs-migrator copy [options]');
  });

  it('refuses a token on argv with exit 2 and does not echo it', () => {
    const result = cli(['copy', '--source-uri', CLOSED, '--source-token', 'argv-secret-123']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('refusing --source-token on the command line');
    expect(result.stdout + result.stderr).not.toContain('argv-secret-123');
  });

  it('without a terminal names the missing flag', () => {
    const result = cli(['copy', '--source-uri', CLOSED, '--target-project', 'x/y']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('missing --source-project (WORKSPACE/PROJECT)');
  });

  it('reaches the real backend: unreachable store -> exit 5, error logged in a 0600 log file', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'cli-smoke-'));
    const result = cli(['copy', '--source-project', 'team-a/churn', '--target-project', 'team-b/churn'], {
      cwd,
      env: { MLFLOW_TRACKING_URI: CLOSED, RUNS_MIGRATOR_SOURCE_TOKEN: 'env-secret-456' },
    });
    expect(result.code).toBe(5);
    const [log] = readdirSync(cwd);
    expect(log).toMatch(/^team-a_churn_to_team-b_churn_\d{14}\.log$/);
    expect(statSync(join(cwd, log!)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(cwd, log!), 'utf8')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} runs-migrator ERROR .*127\.0\.0\.1:9/m);
    expect(result.stderr).toContain(`Check logs at ${join(cwd, log!)}`);
    expect(result.stdout + result.stderr).not.toContain('env-secret-456');
  });
});

/** A one-run MLflow FileStore, in MLflow's own layout. */
function writeMlruns(root: string): string {
  const runId = '0123456789abcdef0123456789abcdef';
  const exp = join(root, '1');
  const run = join(exp, runId);
  for (const dir of ['params', 'metrics', 'tags', 'artifacts/sub']) mkdirSync(join(run, dir), { recursive: true });
  writeFileSync(join(exp, 'meta.yaml'), `artifact_location: file://${exp}\ncreation_time: 1700000000000\nexperiment_id: '1'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: churn\n`);
  writeFileSync(
    join(run, 'meta.yaml'),
    `artifact_uri: file://${run}/artifacts\nend_time: 1700000100000\nentry_point_name: ''\nexperiment_id: '1'\nlifecycle_stage: active\n` +
      `run_id: ${runId}\nrun_name: lr-0.1\nrun_uuid: ${runId}\nsource_name: ''\nsource_type: 4\nsource_version: ''\n` +
      `start_time: 1700000000000\nstatus: 3\ntags: []\nuser_id: alice\n`,
  );
  writeFileSync(join(run, 'params', 'lr'), '0.1');
  writeFileSync(join(run, 'tags', 'mlflow.runName'), 'lr-0.1');
  writeFileSync(join(run, 'metrics', 'loss'), [0, 1, 2, 3, 4].map((i) => `170000000000${i} 0.${i} ${i}`).join('\n') + '\n');
  writeFileSync(join(run, 'artifacts', 'sub', 'a.txt'), 'hello\n');
  return runId;
}

describe('a real copy between two mlruns folders', () => {
  it('copies, then skips on a re-run, then plans nothing in a dry run', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'cli-e2e-'));
    const runId = writeMlruns(join(cwd, 'src'));
    const args = ['copy', '--source-uri', './src', '--source-project', 'churn', '--target-uri', './dst', '--target-project', 'churn-copy'];

    const first = cli([...args, '--log-file', 'first.log', '--report', 'first.json'], { cwd });
    expect(first.stderr).toMatch(new RegExp(`^\\[1/1\\] copied churn/${runId} -> \\w+ \\(1 param, \\d+ tags, 5 points, 1 file, 6 B\\)\\n$`));
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Copied 1, skipped 0 \(already copied\), failed 0 of 1 run \(/);
    const report = JSON.parse(readFileSync(join(cwd, 'first.json'), 'utf8'));
    expect(report.runs[0]).toMatchObject({ sourceRunId: runId, outcome: 'copied', counts: { params: 1, points: 5, files: 1, bytes: 6 } });
    expect(readFileSync(join(cwd, 'first.log'), 'utf8')).toContain(`INFO Copied default/churn/${runId} to default/churn-copy/${report.runs[0].targetRunId}`);

    const again = cli([...args, '--json', '--quiet', '--log-file', 'again.log'], { cwd });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).summary).toMatchObject({ copied: 0, skipped: 1, failed: 0 });
    expect(readFileSync(join(cwd, 'again.log'), 'utf8')).toContain(`INFO Skipped default/churn/${runId}: already copied to ${report.runs[0].targetRunId}`);

    const before = readdirSync(cwd).sort();
    const plan = cli([...args, '--dry-run'], { cwd });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('  to copy:       0 runs');
    expect(plan.stdout).toContain('  already done:  1 run');
    expect(readdirSync(cwd).sort()).toEqual(before);
  });
});

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasScript)('the interactive form on a pseudo-terminal', () => {
  it('asks like the seed, hides the typed token, and runs with the answers', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'cli-pty-'));
    const command = `'${process.execPath}' --import '${TSX}' '${ENTRY}'`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env: { ...cleanEnv(), TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const waitFor = async (text: string) => {
      const until = Date.now() + 30_000;
      while (!output.includes(text)) {
        if (Date.now() > until) throw new Error(`no "${text}" in:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const answer = async (prompt: string, text: string) => {
      await waitFor(prompt);
      await new Promise((r) => setTimeout(r, 100));
      child.stdin.write(`${text}\r`);
    };
    await answer('Source URI', CLOSED);
    await answer('Source project (WORKSPACE/PROJECT)', 'team-a/churn');
    await answer('Target URI', '');
    await answer('Target project (WORKSPACE/PROJECT)', 'team-b/churn');
    await answer('Source token (hidden; blank = none)', 'typed-secret-789');
    await answer('Target token (hidden; blank = none)', '');
    await answer('Number of workers (blank = 4)', '2');
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(output).toContain(`(${CLOSED})`); // the target URI's default is the source
    expect(output).not.toContain('typed-secret-789');
    expect(code).toBe(5);
    const [log] = readdirSync(cwd);
    expect(readFileSync(join(cwd, log!), 'utf8')).toContain('with 2 workers');
  });
});
