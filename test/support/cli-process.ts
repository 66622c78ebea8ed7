/**
 * The CLI as a user runs it: a child process (so it can be killed with SIGKILL), from the sources
 * through tsx, in its own working directory, with its own environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** tsx by absolute URL: the child runs in a temp folder, where a bare `tsx` would not resolve. */
const TSX = pathToFileURL(join(REPO, 'node_modules/tsx/dist/loader.mjs')).href;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Called with each stderr chunk; return true to SIGKILL the process. */
  killWhen?: (stderrSoFar: string) => boolean;
}

/** A clean environment: no MLflow or runs-migrator variables leak in from the machine. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('MLFLOW_') && !key.startsWith('RUNS_MIGRATOR_')) env[key] = value;
  }
  return { ...env, ...extra };
}

export function startCli(args: string[], options: CliOptions): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ['--import', TSX, join(REPO, 'src/cli/run.ts'), ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (options.killWhen?.(stderr) && child.exitCode === null) child.kill('SIGKILL');
  });
  const done = once(child, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, stdout, stderr }));
  return { child, done };
}

export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).done;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `runs-migrator-${prefix}-`));
}

/** Every file below `dir`, with its bytes and mode: to search for leaked secrets, check modes. */
export function filesBelow(dir: string): Array<{ path: string; text: string; mode: number }> {
  const out: Array<{ path: string; text: string; mode: number }> = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isFile()) out.push({ path, text: readFileSync(path, 'latin1'), mode: stat.mode & 0o777 });
  }
  return out;
}
