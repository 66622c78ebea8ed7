import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CopyReport, RunResult } from '../../src/engine/types.js';
import { AuthError } from '../../src/util/errors.js';
import { counts, fakeCopy, harness, scriptedPrompts } from './cli-fakes.js';

const newCwd = () => mkdtempSync(join(tmpdir(), 'cli-main-'));
const LOG = 'team-a_churn_to_team-b_churn_20240507090302.log';
const REPORT = 'team-a_churn_to_team-b_churn_20240507090302.report.json';
const EXAMPLE = [
  '--source-uri', 'http://mlflow-a:5000', '--source-project', 'team-a/churn',
  '--target-uri', 'http://mlflow-b:5000', '--target-project', 'team-b/churn', '--workers', '8',
];

const copied: RunResult = {
  sourceRunId: 'abc123', sourceName: 'lr-0.1', targetRunId: 'def456', outcome: 'copied',
  counts: counts({ params: 10, tags: 5, metricKeys: 2, points: 100000, files: 3, bytes: 2_100_000 }),
  issues: [{ field: 'tag', key: 'x'.repeat(3), action: 'truncated', reason: 'value of 9000 characters cut to the mlflow limit of 8000' }],
};
const skipped: RunResult = { sourceRunId: 'old111', targetRunId: 'new222', outcome: 'skipped', reason: 'already copied to new222', counts: counts(), issues: [] };
const failed: RunResult = { sourceRunId: 'bad999', outcome: 'failed', reason: 'RESOURCE_DOES_NOT_EXIST: artifact gone', counts: counts({ params: 1 }), issues: [] };

describe('main: top level', () => {
  it('prints the version and the help', async () => {
    const h = harness({ cwd: newCwd() });
    expect(await main(['--version'], h.overrides)).toBe(0);
    expect(h.stdout.text).toBe('0.1.0-test\n');
    expect(await main(['--help'], h.overrides)).toBe(0);
    expect(h.stdout.text).toMatch(/Commands:\n {2}copy +copy runs/);
    expect(h.stdout.text).toContain('130  interrupted');
    expect(await main(['copy', '--help'], h.overrides)).toBe(0);
    expect(h.stdout.text).toContain('--source-token-file PATH');
    expect(await main(['help', 'copy'], h.overrides)).toBe(0);
    expect(await main(['help', 'constructor'], h.overrides)).toBe(0);
  });

  it('without arguments and without a terminal prints the usage and exits 2', async () => {
    const h = harness({ cwd: newCwd() });
    expect(await main([], h.overrides)).toBe(2);
    expect(h.stderr.text).toContain('Usage: runs-migrator <command>');
  });

  it('refuses an unknown command and flags before the command', async () => {
    const h = harness({ cwd: newCwd() });
    expect(await main(['kopy'], h.overrides)).toBe(2);
    expect(h.stderr.text).toContain('runs-migrator: unknown command "kopy"; commands: copy, verify, inspect');
    expect(await main(['--source-uri', 'x'], h.overrides)).toBe(2);
    expect(h.stderr.text).toContain('a command comes first');
  });

  it('has verify and inspect in the command table', async () => {
    const h = harness({ cwd: newCwd() });
    expect(await main(['verify'], h.overrides)).toBe(2);
    expect(h.stderr.text).toContain('missing --source-project (WORKSPACE/PROJECT)');
    expect(await main(['verify', '--help'], h.overrides)).toBe(0);
    expect(await main(['inspect', '--help'], h.overrides)).toBe(0);
  });
});

describe('main copy: refusals before anything is touched', () => {
  it.each([['--source-token'], ['--target-token'], ['--token'], ['--password'], ['--target-password']])(
    'refuses %s on argv with exit 2, never echoing the value',
    async (flag) => {
      const cwd = newCwd();
      const h = harness({ cwd });
      for (const argv of [['copy', ...EXAMPLE, flag, 'hunter2-secret'], ['copy', ...EXAMPLE, `${flag}=hunter2-secret`], [flag, 'hunter2-secret']]) {
        expect(await main(argv, h.overrides)).toBe(2);
      }
      expect(h.stderr.text).toContain(`refusing ${flag} on the command line`);
      expect(h.stderr.text).toContain('--source-token-file');
      expect(h.stderr.text + h.stdout.text).not.toContain('hunter2-secret');
      expect(h.opened).toEqual([]);
      expect(readdirSync(cwd)).toEqual([]);
    },
  );

  it('without a terminal names each missing flag', async () => {
    const h = harness({ cwd: newCwd() });
    expect(await main(['copy'], h.overrides)).toBe(2);
    expect(h.stderr.text).toContain(
      'runs-migrator: missing --source-uri (or set MLFLOW_TRACKING_URI); missing --source-project (WORKSPACE/PROJECT); missing --target-project (WORKSPACE/PROJECT)',
    );
    expect(h.stderr.text).toContain("Try 'runs-migrator copy --help'.");
  });

  it('takes the source URI from MLFLOW_TRACKING_URI', async () => {
    const h = harness({ cwd: newCwd(), env: { MLFLOW_TRACKING_URI: 'http://env:5000' } });
    expect(await main(['copy', '--source-project', 'team-a/churn'], h.overrides)).toBe(2);
    expect(h.stderr.text).toBe(
      "runs-migrator: missing --target-project (WORKSPACE/PROJECT)\nTry 'runs-migrator copy --help'.\n",
    );
  });
});

describe('main copy: a migration', () => {
  it('copies with credentials per side, writes a 0600 log and report, and exits 1 when a run failed', async () => {
    const cwd = newCwd();
    const copy = fakeCopy([copied, skipped, failed]);
    const env = { RUNS_MIGRATOR_SOURCE_TOKEN: 'src-tok-1', RUNS_MIGRATOR_TARGET_USERNAME: 'bob', RUNS_MIGRATOR_TARGET_PASSWORD: 'pw-bob-2' };
    const h = harness({ cwd, env, copy });
    expect(await main(['copy', ...EXAMPLE, '--run-id', 'abc123', '--status', 'finished', '--shard', '0/2'], h.overrides)).toBe(1);

    expect(h.opened).toEqual([
      { uri: 'http://mlflow-a:5000', options: { credentials: { token: 'src-tok-1' }, role: 'source', onRetry: expect.any(Function), onNotice: expect.any(Function) } },
      { uri: 'http://mlflow-b:5000', options: { credentials: { username: 'bob', password: 'pw-bob-2' }, role: 'target', onRetry: expect.any(Function), onNotice: expect.any(Function) } },
    ]);
    const call = copy.calls[0]!;
    expect(call.workers).toBe(8);
    expect(call.dryRun).toBe(false);
    expect(call.filters).toEqual({ runIds: ['abc123'], statuses: ['FINISHED'] });
    expect(call.shard).toEqual({ index: 0, count: 2 });
    expect(call.signal).toBeInstanceOf(AbortSignal);

    expect(readdirSync(cwd).sort()).toEqual([LOG, REPORT]);
    expect(statSync(join(cwd, LOG)).mode & 0o777).toBe(0o600);
    expect(statSync(join(cwd, REPORT)).mode & 0o777).toBe(0o600);
    const log = readFileSync(join(cwd, LOG), 'utf8');
    const lines = log.trimEnd().split('\n').map((line) => line.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} /, ''));
    expect(lines).toEqual([
      'runs-migrator INFO Copying team-a/churn (http://mlflow-a:5000) to team-b/churn (http://mlflow-b:5000) with 8 workers',
      'runs-migrator INFO Plan: 2 to copy, 1 already copied, 2 filtered out, 1 out of shard',
      'runs-migrator INFO Copied team-a/churn/abc123 to team-b/churn/def456',
      'runs-migrator WARNING team-a/churn/abc123: tag xxx truncated: value of 9000 characters cut to the mlflow limit of 8000',
      'runs-migrator INFO Skipped team-a/churn/old111: already copied to new222',
      'runs-migrator ERROR Failed to copy team-a/churn/bad999: RESOURCE_DOES_NOT_EXIST: artifact gone',
      'runs-migrator INFO Copied 1, skipped 1 (already copied), failed 1 of 3 runs (2 filtered out, 1 out of shard): 11 params, 5 tags, 100000 points, 3 files, 2.1 MB in 1m24s',
    ]);
    const report = JSON.parse(readFileSync(join(cwd, REPORT), 'utf8')) as CopyReport;
    expect(report.summary).toMatchObject({ copied: 1, skipped: 1, failed: 1 });
    expect(report.runs.map((run) => run.outcome)).toEqual(['copied', 'skipped', 'failed']);

    expect(h.stderr.text).toBe(
      '[1/3] copied churn/abc123 -> def456 (10 params, 5 tags, 100000 points, 3 files, 2.1 MB)\n' +
        '[2/3] skipped churn/old111: already copied to new222\n' +
        '[3/3] FAILED churn/bad999: RESOURCE_DOES_NOT_EXIST: artifact gone\n',
    );
    expect(h.stdout.text).toBe(
      `${lines.at(-1)!.replace('runs-migrator INFO ', '')}\n` +
        '1 run failed: see the log or the report for the reasons\n' +
        `Report at ${join(cwd, REPORT)}\n` +
        `Check logs at ${join(cwd, LOG)}\n`,
    );
  });

  it('exits 0 when no run failed; the target URI defaults to the source', async () => {
    const cwd = newCwd();
    const h = harness({ cwd, copy: fakeCopy([copied, skipped]) });
    expect(await main(['copy', '--source-uri', 'http://a', '--source-project', 'a', '--target-project', 'b', '--quiet'], h.overrides)).toBe(0);
    expect(h.opened.map((o) => o.uri)).toEqual(['http://a', 'http://a']);
    expect(h.stderr.text).toBe('');
    expect(h.stdout.text).toMatch(/^Copied 1, skipped 1 .*\nReport at .*\nCheck logs at .*default_a_to_default_b_20240507090302\.log\n$/);
  });

  it('--json prints the report on stdout and the rest on stderr; --log-file and --report choose the files', async () => {
    const cwd = newCwd();
    const h = harness({ cwd, copy: fakeCopy([copied]) });
    const code = await main(['copy', ...EXAMPLE, '--json', '--quiet', '--log-file', 'my.log', '--report', 'out.json'], h.overrides);
    expect(code).toBe(0);
    expect(JSON.parse(h.stdout.text).runs[0].targetRunId).toBe('def456');
    expect(h.stderr.text).toContain('Check logs at');
    expect(readdirSync(cwd).sort()).toEqual(['my.log', 'out.json']);
  });

  it('--dry-run prints the plan and writes nothing, unless --report is given', async () => {
    const planned: RunResult = { ...copied, outcome: 'planned', targetRunId: undefined, issues: [] };
    const cwd = newCwd();
    const h = harness({ cwd, copy: fakeCopy([planned, skipped]) });
    expect(await main(['copy', ...EXAMPLE, '--dry-run', '--log-file', 'x.log'], h.overrides)).toBe(0);
    expect(readdirSync(cwd)).toEqual([]);
    expect(h.stdout.text).toBe(
      'Dry run: team-a/churn (http://mlflow-a:5000) -> team-b/churn (http://mlflow-b:5000); nothing was written.\n' +
        '  to copy:       1 run (10 params, 5 tags, 2 metric keys, 100000 points, 3 files, 2.1 MB)\n' +
        '  already done:  1 run\n' +
        '  filtered out:  2 runs\n' +
        '  out of shard:  1 run\n' +
        'Runs to copy:\n' +
        '  abc123 lr-0.1: 10 params, 5 tags, 2 metric keys, 100000 points, 3 files, 2.1 MB\n',
    );
    expect(h.stderr.text).toContain('--log-file is ignored with --dry-run');
    expect(h.stderr.text).not.toContain('[1/');

    expect(await main(['copy', ...EXAMPLE, '--dry-run', '--report', 'plan.json'], h.overrides)).toBe(0);
    expect(readdirSync(cwd)).toEqual(['plan.json']);
    expect(JSON.parse(readFileSync(join(cwd, 'plan.json'), 'utf8')).dryRun).toBe(true);
  });

  it('redacts every secret in use from the terminal, the log and the report', async () => {
    const cwd = newCwd();
    writeFileSync(join(cwd, 'tgt.token'), 'file-secret-99\n');
    chmodSync(join(cwd, 'tgt.token'), 0o644);
    const leaky: RunResult = { ...failed, reason: 'HTTP 401 for Bearer src-tok-1 / file-secret-99' };
    const h = harness({ cwd, env: { RUNS_MIGRATOR_SOURCE_TOKEN: 'src-tok-1' }, copy: fakeCopy([leaky]) });
    expect(await main(['copy', ...EXAMPLE, '--target-token-file', 'tgt.token'], h.overrides)).toBe(1);
    expect(h.opened[1]!.options.credentials).toEqual({ token: 'file-secret-99' });
    const everything = [h.stdout.text, h.stderr.text, ...readdirSync(cwd).filter((f) => f !== 'tgt.token').map((f) => readFileSync(join(cwd, f), 'utf8'))].join('\n');
    expect(everything).not.toContain('src-tok-1');
    expect(everything).not.toContain('file-secret-99');
    expect(everything).toContain('HTTP 401 for Bearer *** / ***');
    expect(h.stderr.text).toContain('runs-migrator: warning: --target-token-file tgt.token can be read by group or others (mode 0644)');
  });

  it('a UserError from a store exits with its code, is logged, and points at the log', async () => {
    const cwd = newCwd();
    const h = harness({
      cwd,
      openStore: async (uri) => {
        if (uri.includes('mlflow-b')) throw new AuthError('http://mlflow-b:5000 refused the target credentials (401)');
        return (await import('./cli-fakes.js')).fakeStore(uri, { credentials: {}, role: 'source' });
      },
    });
    expect(await main(['copy', ...EXAMPLE], h.overrides)).toBe(3);
    expect(h.stderr.text).toBe(
      `runs-migrator: http://mlflow-b:5000 refused the target credentials (401)\nCheck logs at ${join(cwd, LOG)}\n`,
    );
    expect(readFileSync(join(cwd, LOG), 'utf8')).toMatch(/runs-migrator ERROR http:\/\/mlflow-b:5000 refused the target credentials/);
  });

  it('an unexpected error exits 70 with its message, redacted, and no stack', async () => {
    const h = harness({ cwd: newCwd(), env: { MLFLOW_TRACKING_TOKEN: 'tok-abcdef' } });
    h.overrides.copyProject = async () => {
      throw new TypeError('cannot read x of undefined (token tok-abcdef)');
    };
    expect(await main(['copy', ...EXAMPLE], h.overrides)).toBe(70);
    expect(h.stderr.text).toContain('runs-migrator: internal error: cannot read x of undefined (token ***)');
    expect(h.stderr.text).not.toContain('tok-abcdef');
    expect(h.stderr.text).not.toMatch(/\n\s+at /);
  });

  it('SIGINT aborts through the signal, writes the report of what was done, and exits 130', async () => {
    const cwd = newCwd();
    const second: RunResult = { ...copied, sourceRunId: 'zzz', targetRunId: 'yyy' };
    let h!: ReturnType<typeof harness>;
    let calls = 0;
    const copy = fakeCopy([copied, second], {
      hold: async () => {
        if (++calls === 2) h.signal('SIGINT');
      },
    });
    h = harness({ cwd, copy });
    expect(await main(['copy', ...EXAMPLE], h.overrides)).toBe(130);
    expect(copy.calls[0]!.signal!.aborted).toBe(true);
    const report = JSON.parse(readFileSync(join(cwd, REPORT), 'utf8')) as CopyReport;
    expect(report.runs.map((run) => [run.sourceRunId, run.outcome])).toEqual([['abc123', 'copied'], ['zzz', 'failed']]);
    expect(readFileSync(join(cwd, LOG), 'utf8')).toContain('WARNING SIGINT: stopping');
    expect(h.stderr.text).toContain('Interrupted: stopping and writing the report');
    expect(h.stdout.text).toMatch(/^Interrupted\. Copied 1/);
  });

  it('when the copy rejects after SIGINT, the report is built from the events seen; a second signal leaves at once', async () => {
    const cwd = newCwd();
    let h!: ReturnType<typeof harness>;
    h = harness({ cwd });
    h.overrides.copyProject = async (options) => {
      options.onEvent?.({ type: 'plan', toCopy: 2, alreadyDone: 0, filteredOut: 0, outOfShard: 0 });
      options.onEvent?.({ type: 'run-done', result: copied, sourceProject: 'team-a/churn', targetProject: 'team-b/churn' });
      h.signal('SIGTERM');
      h.signal('SIGTERM');
      throw options.signal!.reason;
    };
    expect(await main(['copy', ...EXAMPLE], h.overrides)).toBe(143);
    expect(h.exits).toEqual([143]);
    const report = JSON.parse(readFileSync(join(cwd, REPORT), 'utf8')) as CopyReport;
    expect(report.summary).toMatchObject({ listed: 2, copied: 1, failed: 0 });
    expect(report.runs).toHaveLength(1);
  });
});

describe('main copy: on a terminal', () => {
  it('with no arguments asks every question, uses the typed secrets, and hides them everywhere', async () => {
    const cwd = newCwd();
    const { prompts, asked } = scriptedPrompts(['http://mlflow-a:5000', 'team-a/churn', 'http://mlflow-b:5000', 'team-b/churn', 'typed-src-secret', '', '']);
    const leaky: RunResult = { ...failed, reason: 'echoed typed-src-secret' };
    const copy = fakeCopy([leaky]);
    const h = harness({ cwd, tty: true, prompts, copy, env: { MLFLOW_TRACKING_TOKEN: 'env-target-secret' } });
    expect(await main([], h.overrides)).toBe(1);
    expect(asked).toHaveLength(7);
    // MLFLOW_TRACKING_* belong to the source server: a target at another URI never gets them.
    expect(h.opened.map((o) => o.options.credentials)).toEqual([{ token: 'typed-src-secret' }, {}]);
    expect(h.stderr.text).toContain('MLFLOW_TRACKING_TOKEN are sent to the source server only');
    expect(copy.calls[0]!.workers).toBe(4);
    const written = readdirSync(cwd).map((f) => readFileSync(join(cwd, f), 'utf8')).join('\n');
    expect(written + h.stdout.text + h.stderr.text).not.toContain('typed-src-secret');
    expect(existsSync(join(cwd, LOG))).toBe(true);
  });

  it('with flags given, asks only what is missing', async () => {
    const { prompts, asked } = scriptedPrompts(['team-b/churn']);
    const h = harness({ cwd: newCwd(), tty: true, prompts, copy: fakeCopy([copied]) });
    expect(await main(['copy', '--source-uri', 'http://a', '--source-project', 'team-a/churn', '--quiet'], h.overrides)).toBe(0);
    expect(asked.map((q) => q.message)).toEqual(['Target project (WORKSPACE/PROJECT)']);
  });

  it('a prompt cancelled with Ctrl-C exits 130', async () => {
    const cancel = Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
    const h = harness({
      cwd: newCwd(),
      tty: true,
      prompts: { input: async () => { throw cancel; }, password: async () => '' },
    });
    expect(await main(['copy'], h.overrides)).toBe(130);
  });
});
