import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCopyArgs, parseShard, parseTime, refuseSecretFlags, readRunIds } from '../../src/cli/args.js';
import { UsageError } from '../../src/util/errors.js';

const cwd = mkdtempSync(join(tmpdir(), 'cli-args-'));
const parse = (...argv: string[]) => parseCopyArgs(argv, { cwd });

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseCopyArgs', () => {
  it('reads the issue example', () => {
    const args = parse(
      '--source-uri', 'http://mlflow-a:5000', '--source-project', 'team-a/churn',
      '--target-uri', 'http://mlflow-b:5000', '--target-project', 'team-b/churn', '--workers', '8',
    );
    expect(args.sourceUri).toBe('http://mlflow-a:5000');
    expect(args.sourceProject).toEqual({ workspace: 'team-a', project: 'churn' });
    expect(args.targetUri).toBe('http://mlflow-b:5000');
    expect(args.targetProject).toEqual({ workspace: 'team-b', project: 'churn' });
    expect(args.workers).toBe(8);
    expect(args.empty).toBe(false);
    expect(args.dryRun).toBe(false);
  });

  it('leaves defaults to the caller and notes an empty command line', () => {
    const args = parse();
    expect(args.empty).toBe(true);
    expect(args.workers).toBeUndefined();
    expect(args.sourceUri).toBeUndefined();
    expect(args.filters).toEqual({});
  });

  it('reads every filter', () => {
    const args = parse(
      '--run-id', 'a', '--run-id', 'b', '--run-id', 'a', '--run-name', '^train-\\d+$', '--tag', 'team=a', '--tag', 'k=v=w',
      '--tag', 'empty=', '--since', '2024-05-01', '--until', '2024-06-01T00:00:00Z', '--status', 'finished', '--status', 'Failed',
      '--filter', "params.lr = '0.1'", '--include-deleted', '--shard', '1/4', '--dry-run', '--quiet', '--no-progress', '--json',
      '--log-file', 'x.log', '--report', 'r.json',
    );
    expect(args.filters.runIds).toEqual(['a', 'b']);
    expect(args.filters.runName?.test('train-12')).toBe(true);
    expect(args.filters.tags).toEqual([{ key: 'team', value: 'a' }, { key: 'k', value: 'v=w' }, { key: 'empty', value: '' }]);
    expect(args.filters.since).toBe(Date.UTC(2024, 4, 1));
    expect(args.filters.until).toBe(Date.UTC(2024, 5, 1));
    expect(args.filters.statuses).toEqual(['FINISHED', 'FAILED']);
    expect(args.filters.nativeFilter).toBe("params.lr = '0.1'");
    expect(args.includeDeleted).toBe(true);
    expect(args.shard).toEqual({ index: 1, count: 4 });
    expect([args.dryRun, args.quiet, args.noProgress, args.json]).toEqual([true, true, true, true]);
    expect(args.logFile).toBe('x.log');
    expect(args.report).toBe('r.json');
  });

  it('returns early for --help and -h, whatever else is wrong', () => {
    expect(parse('--help').help).toBe(true);
    expect(parse('-h', '--workers', 'lots').help).toBe(true);
    expect(parse('--version').version).toBe(true);
  });

  it.each([
    [['--workers', '0'], '--workers'],
    [['--workers', 'eight'], '--workers'],
    [['--workers', '1000'], '--workers'],
    [['--shard', '4/4'], '--shard'],
    [['--shard', '1'], '--shard'],
    [['--status', 'done'], '--status'],
    [['--tag', 'novalue'], '--tag'],
    [['--tag', '=v'], '--tag'],
    [['--run-name', '(unclosed'], '--run-name'],
    [['--since', 'yesterday'], '--since'],
    [['--until', '2024-02-30'], '--until'],
    [['--source-project', ' '], '--source-project'],
    [['--target-project', 'ws/'], '--target-project'],
    [['--source-uri', ''], '--source-uri'],
    [['--since', '2024-06-01', '--until', '2024-05-01'], '--since'],
    [['--workers'], '--workers'],
    [['--source-project', '--target-project', 'x'], '--source-project'],
    [['--bogus'], '--bogus'],
    [['--json=yes'], '--json'],
    [['--run-id', '@'], '--run-id'],
    [['--run-id', '@does-not-exist.txt'], '--run-id'],
  ])('%j is refused with a message naming %s', (argv, flag) => {
    expect(usageMessage(() => parse(...argv))).toContain(flag);
  });

  it('does not echo a value in an unknown-option error', () => {
    const message = usageMessage(() => parse('--sourcetoken=s3cr3t-value'));
    expect(message).toContain('--sourcetoken');
    expect(message).not.toContain('s3cr3t-value');
  });

  it('refuses positionals', () => {
    expect(usageMessage(() => parse('copy-this'))).toMatch(/unexpected argument/);
  });
});

describe('secrets on the command line', () => {
  it.each([
    ['--source-token', 'tok-12345'],
    ['--target-token', 'tok-12345'],
    ['--token', 'tok-12345'],
    ['--password', 'tok-12345'],
    ['--source-password', 'tok-12345'],
    ['--target-password', 'tok-12345'],
    ['--MLFLOW-TRACKING-PASSWORD', 'tok-12345'],
  ])('refuses %s without echoing the value', (flag, value) => {
    for (const argv of [[flag, value], [`${flag}=${value}`], ['--source-uri', 'http://x', flag, value]]) {
      const message = usageMessage(() => parse(...argv));
      expect(message).toContain(flag.toLowerCase());
      expect(message).toContain('RUNS_MIGRATOR_SOURCE_TOKEN');
      expect(message).toContain('--source-token-file');
      expect(message).not.toContain(value);
    }
  });

  it('lets the token-file flags through and stops looking after --', () => {
    expect(() => refuseSecretFlags(['--source-token-file', 'f', '--target-token-file', 'g'])).not.toThrow();
    expect(() => refuseSecretFlags(['--', '--token'])).not.toThrow();
    expect(parse('--source-token-file', 'a.txt').sourceTokenFile).toBe('a.txt');
  });
});

describe('--run-id @file', () => {
  it('reads one id per line, skipping blanks and comments, deduplicated', () => {
    writeFileSync(join(cwd, 'ids.txt'), '# runs to move\nabc123\r\n\n  def456  \nabc123\n');
    expect(readRunIds(['@ids.txt', 'zzz'], cwd)).toEqual(['abc123', 'def456', 'zzz']);
    expect(parse('--run-id', `@${join(cwd, 'ids.txt')}`).filters.runIds).toEqual(['abc123', 'def456']);
  });

  it('refuses a file without ids', () => {
    writeFileSync(join(cwd, 'empty.txt'), '\n# nothing\n');
    expect(usageMessage(() => readRunIds(['@empty.txt'], cwd))).toContain('--run-id @empty.txt');
  });
});

describe('--since / --until', () => {
  it.each([
    ['2024-05-01', Date.UTC(2024, 4, 1)],
    ['2024-05-01T12:30', Date.UTC(2024, 4, 1, 12, 30)],
    ['2024-05-01 12:30:15', Date.UTC(2024, 4, 1, 12, 30, 15)],
    ['2024-05-01T12:30:15.5Z', Date.UTC(2024, 4, 1, 12, 30, 15, 500)],
    ['2024-05-01T12:30:15.123456Z', Date.UTC(2024, 4, 1, 12, 30, 15, 123)],
    ['2024-05-01T12:30:00+02:00', Date.UTC(2024, 4, 1, 10, 30)],
    ['2024-05-01T12:30:00-0130', Date.UTC(2024, 4, 1, 14, 0)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['1714566600000', 1714566600000],
    ['0', 0],
  ])('%s', (text, expected) => {
    expect(parseTime(text, '--since')).toBe(expected);
  });

  it.each(['2023-02-29', '2024-13-01', '2024-05-01T24:00', '2024-05-01T12:60', '05/01/2024', '2024-5-1', '1.5e12', 'now', '2024-05-01Z'])(
    'refuses %s',
    (text) => {
      expect(usageMessage(() => parseTime(text, '--until'))).toContain('--until');
    },
  );

  it('warns when a number looks like epoch seconds', () => {
    const warnings: string[] = [];
    expect(parseTime('1714566600', '--since', warnings)).toBe(1714566600);
    expect(warnings[0]).toMatch(/--since 1714566600 is read as epoch milliseconds.*1714566600000/);
  });
});

describe('--shard', () => {
  it('parses I/N with 0 <= I < N', () => {
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    expect(parseShard(' 2 / 8 ')).toEqual({ index: 2, count: 8 });
  });

  it.each(['1/1', '0/0', '-1/2', 'a/b', '1/2/3', ''])('refuses %j', (text) => {
    expect(usageMessage(() => parseShard(text))).toContain('--shard');
  });
});

describe('--step-multiplier', () => {
  it('takes a whole number from 1 to 1000000 and refuses anything else, naming the flag', () => {
    expect(parseCopyArgs(['--step-multiplier', '1000'], { cwd: tmpdir() }).stepMultiplier).toBe(1000);
    for (const bad of ['0', '1.5', 'ten', '1000001']) {
      expect(() => parseCopyArgs(['--step-multiplier', bad], { cwd: tmpdir() })).toThrow(/--step-multiplier must be a whole number/);
    }
  });
});
