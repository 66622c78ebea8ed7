import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveCredentials, secretsInUri, secretsOf } from '../../src/cli/credentials.js';
import { UsageError } from '../../src/util/errors.js';

const cwd = mkdtempSync(join(tmpdir(), 'cli-cred-'));
const tokenFile = (name: string, text: string, mode = 0o600) => {
  const path = join(cwd, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
};

describe('resolveCredentials', () => {
  it('takes RUNS_MIGRATOR_<SIDE>_TOKEN per side', () => {
    const env = { RUNS_MIGRATOR_SOURCE_TOKEN: 'src-tok', RUNS_MIGRATOR_TARGET_TOKEN: 'tgt-tok', MLFLOW_TRACKING_TOKEN: 'ml-tok' };
    expect(resolveCredentials('source', env, { cwd })).toEqual({ credentials: { token: 'src-tok' }, origin: 'RUNS_MIGRATOR_SOURCE_TOKEN', warnings: [] });
    expect(resolveCredentials('target', env, { cwd }).credentials).toEqual({ token: 'tgt-tok' });
  });

  it('takes username and password as a set, without mixing in MLFLOW_TRACKING_*', () => {
    const env = {
      RUNS_MIGRATOR_TARGET_USERNAME: 'bob',
      RUNS_MIGRATOR_TARGET_PASSWORD: 'pw-bob',
      MLFLOW_TRACKING_TOKEN: 'ml-tok',
    };
    const target = resolveCredentials('target', env, { cwd });
    expect(target.credentials).toEqual({ username: 'bob', password: 'pw-bob' });
    expect(target.origin).toBe('RUNS_MIGRATOR_TARGET_USERNAME, RUNS_MIGRATOR_TARGET_PASSWORD');
  });

  it('falls back to MLFLOW_TRACKING_* on either side, ignoring empty variables', () => {
    const env = {
      RUNS_MIGRATOR_SOURCE_TOKEN: '',
      MLFLOW_TRACKING_USERNAME: 'alice',
      MLFLOW_TRACKING_PASSWORD: 'pw-alice',
    };
    expect(resolveCredentials('source', env, { cwd }).credentials).toEqual({ username: 'alice', password: 'pw-alice' });
    const target = resolveCredentials('target', env, { cwd });
    expect(target.credentials).toEqual({ username: 'alice', password: 'pw-alice' });
    expect(target.origin).toBe('MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD');
  });

  it('gives nothing when nothing is set', () => {
    expect(resolveCredentials('source', {}, { cwd })).toEqual({ credentials: {}, origin: 'none', warnings: [] });
  });

  it('prefers --<side>-token-file over every variable and trims the trailing newline', () => {
    const path = tokenFile('src.token', 'file-tok\r\n');
    const env = { RUNS_MIGRATOR_SOURCE_TOKEN: 'env-tok', MLFLOW_TRACKING_TOKEN: 'ml-tok' };
    const resolved = resolveCredentials('source', env, { cwd, tokenFile: 'src.token' });
    expect(resolved).toEqual({ credentials: { token: 'file-tok' }, origin: '--source-token-file', warnings: [] });
    expect(resolveCredentials('source', env, { cwd: '/', tokenFile: path }).credentials.token).toBe('file-tok');
  });

  it('warns (only) when group or others can read the token file, never showing the token', () => {
    tokenFile('open.token', 'open-tok\n', 0o644);
    const resolved = resolveCredentials('target', {}, { cwd, tokenFile: 'open.token', platform: 'linux' });
    expect(resolved.credentials.token).toBe('open-tok');
    expect(resolved.warnings).toHaveLength(1);
    expect(resolved.warnings[0]).toMatch(/--target-token-file open\.token can be read by group or others \(mode 0644\); chmod 600/);
    expect(resolved.warnings[0]).not.toContain('open-tok');
  });

  it.each([
    ['missing.token', undefined, /--source-token-file missing\.token: cannot read the file \(ENOENT\)/],
    ['empty.token', '\n', /--source-token-file empty\.token: the file is empty/],
    ['two.token', 'a-token\nsecond-line\n', /more than one line/],
  ])('refuses %s', (name, content, message) => {
    if (content !== undefined) tokenFile(name, content);
    let caught: unknown;
    try {
      resolveCredentials('source', {}, { cwd, tokenFile: name });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain('second-line');
  });
});

describe('secrets', () => {
  it('are the token and the password, not the username', () => {
    expect(secretsOf({ token: 't0k', username: 'bob', password: 'pw' })).toEqual(['t0k', 'pw']);
    expect(secretsOf({})).toEqual([]);
  });

  it('include a password written into a URI', () => {
    expect(secretsInUri('https://bob:p%40ss@mlflow.example:5000')).toEqual(['p%40ss', 'p@ss']);
    expect(secretsInUri('https://mlflow.example')).toEqual([]);
    expect(secretsInUri('./mlruns')).toEqual([]);
  });
});
