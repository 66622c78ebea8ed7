/**
 * Everything a command touches outside itself, in one object so tests can replace any part:
 * streams, environment, clock, prompts, signals, and the two library entry points (loaded lazily,
 * so `--help` works even while a backend cannot load).
 */
import type { OpenOptions, Store } from '../backends/contract.js';
import type { CopyOptions, CopyReport } from '../engine/types.js';
import { createRedactor, type Redactor } from '../util/redact.js';
import { VERSION } from '../util/version.js';
import { inquirerPrompts, type PromptFns } from './prompts.js';

export type Stream = NodeJS.WritableStream & { isTTY?: boolean };
export type StopSignal = 'SIGINT' | 'SIGTERM';

export interface CliContext {
  env: Record<string, string | undefined>;
  cwd: string;
  platform: string;
  stdin: { isTTY?: boolean };
  stdout: Stream;
  stderr: Stream;
  now(): Date;
  version: string;
  /** Interactive questions; by default @inquirer/prompts on the terminal. */
  prompts(output: Stream): PromptFns;
  openStore(uri: string, options: OpenOptions): Promise<Store>;
  copyProject(options: CopyOptions): Promise<CopyReport>;
  /** Calls `handler` on SIGINT/SIGTERM until the returned function is called. */
  onSignal(handler: (signal: StopSignal) => void): () => void;
  /** Leaves at once (a second Ctrl-C). */
  exit(code: number): void;
  /** Terminal output, redacted. */
  term: Terminal;
}

/** stdout/stderr through the redactor; the secrets are added once credentials are known. */
export class Terminal {
  private secrets: string[] = [];
  redact: Redactor = (text) => text;

  constructor(
    private readonly stdout: Stream,
    private readonly stderr: Stream,
  ) {}

  addSecrets(secrets: Iterable<string>): void {
    this.secrets.push(...secrets);
    this.redact = createRedactor(this.secrets);
  }

  out(text: string): void {
    this.stdout.write(this.redact(text) + '\n');
  }

  err(text: string): void {
    this.stderr.write(this.redact(text) + '\n');
  }
}

export function createContext(overrides: Partial<Omit<CliContext, 'term'>> = {}): CliContext {
  const stdout = overrides.stdout ?? process.stdout;
  const stderr = overrides.stderr ?? process.stderr;
  return {
    env: process.env,
    cwd: process.cwd(),
    platform: process.platform,
    stdin: process.stdin,
    now: () => new Date(),
    version: VERSION,
    prompts: (output) => inquirerPrompts(output),
    async openStore(uri, options) {
      const { openStore } = await import('../backends/registry.js');
      return openStore(uri, options);
    },
    async copyProject(options) {
      const { copyProject } = await import('../engine/copy-project.js');
      return copyProject(options);
    },
    onSignal(handler) {
      const onInt = () => handler('SIGINT');
      const onTerm = () => handler('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
    exit: (code) => process.exit(code),
    ...overrides,
    stdout,
    stderr,
    term: new Terminal(stdout, stderr),
  };
}
