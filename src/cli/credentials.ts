/**
 * Credentials per side, first match wins:
 *   1. --<side>-token-file PATH (a token; trailing newline trimmed);
 *   2. RUNS_MIGRATOR_<SIDE>_TOKEN / _USERNAME / _PASSWORD (any of them set: this set is used);
 *   3. MLFLOW_TRACKING_TOKEN / _USERNAME / _PASSWORD (what MLflow's own client reads).
 * Sets are not mixed: a token from one place and a password from another would be a surprise.
 * Empty variables count as unset. Values are never shown; `origin` says where they came from.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Credentials } from '../backends/contract.js';
import { UsageError } from '../util/errors.js';

export type Side = 'source' | 'target';

export interface ResolvedCredentials {
  credentials: Credentials;
  /** Where they came from, for messages: a flag or variable names, or 'none'. */
  origin: string;
  warnings: string[];
}

type Env = Record<string, string | undefined>;

function fromEnv(env: Env, prefix: string): Credentials | undefined {
  const pick = (name: string) => {
    const value = env[`${prefix}${name}`];
    return value === undefined || value === '' ? undefined : value;
  };
  const credentials: Credentials = {};
  const token = pick('TOKEN');
  const username = pick('USERNAME');
  const password = pick('PASSWORD');
  if (token !== undefined) credentials.token = token;
  if (username !== undefined) credentials.username = username;
  if (password !== undefined) credentials.password = password;
  return Object.keys(credentials).length > 0 ? credentials : undefined;
}

function describe(prefix: string, credentials: Credentials): string {
  return (['token', 'username', 'password'] as const)
    .filter((field) => credentials[field] !== undefined)
    .map((field) => `${prefix}${field.toUpperCase()}`)
    .join(', ');
}

/** Reads a token file: refuses a missing or empty file, warns when group or others can read it. */
export function readTokenFile(path: string, flag: string, cwd: string, platform: string = process.platform): { token: string; warnings: string[] } {
  const full = resolve(cwd, path);
  const warnings: string[] = [];
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    throw new UsageError(`${flag} ${path}: cannot read the file (${code})`);
  }
  if (platform !== 'win32') {
    const mode = statSync(full).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      warnings.push(`${flag} ${path} can be read by group or others (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 it`);
    }
  }
  const token = text.replace(/[\r\n]+$/, '');
  if (token.trim() === '') throw new UsageError(`${flag} ${path}: the file is empty`);
  if (/[\r\n]/.test(token)) throw new UsageError(`${flag} ${path}: the file holds more than one line; put only the token in it`);
  return { token, warnings };
}

export function resolveCredentials(side: Side, env: Env, options: { tokenFile?: string; cwd: string; platform?: string }): ResolvedCredentials {
  const flag = `--${side}-token-file`;
  if (options.tokenFile !== undefined) {
    const { token, warnings } = readTokenFile(options.tokenFile, flag, options.cwd, options.platform);
    return { credentials: { token }, origin: flag, warnings };
  }
  const ownPrefix = `RUNS_MIGRATOR_${side.toUpperCase()}_`;
  const own = fromEnv(env, ownPrefix);
  if (own) return { credentials: own, origin: describe(ownPrefix, own), warnings: [] };
  const mlflow = fromEnv(env, 'MLFLOW_TRACKING_');
  if (mlflow) return { credentials: mlflow, origin: describe('MLFLOW_TRACKING_', mlflow), warnings: [] };
  return { credentials: {}, origin: 'none', warnings: [] };
}

/** The secret values among credentials (what the redactor must hide). */
export function secretsOf(credentials: Credentials): string[] {
  return [credentials.token, credentials.password].filter((value): value is string => value !== undefined && value !== '');
}

/** A password written into a store URI (`https://user:pass@host`) is a secret too. */
export function secretsInUri(uri: string | undefined): string[] {
  if (!uri) return [];
  try {
    const url = new URL(uri);
    if (url.password === '') return [];
    return [...new Set([url.password, decodeURIComponent(url.password)])];
  } catch {
    return [];
  }
}
