/**
 * Test doubles for the CLI: streams that collect text, scripted prompts, fake stores and a fake
 * copyProject that plays events and returns a report.
 */
import { Writable } from 'node:stream';
import type { OpenOptions, Store } from '../../src/backends/contract.js';
import type { CliContext, StopSignal } from '../../src/cli/context.js';
import type { PromptFns } from '../../src/cli/prompts.js';
import type { CopyEvent, CopyOptions, CopyReport, RunCounts, RunResult } from '../../src/engine/types.js';

export class TextSink extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** Answers in order; an answer its validator refuses is recorded and the next one is tried. */
export function scriptedPrompts(answers: string[]) {
  const asked: Array<{ kind: 'input' | 'password'; message: string; default?: string }> = [];
  const refused: string[] = [];
  const next = () => {
    if (answers.length === 0) throw new Error(`no scripted answer left (asked: ${JSON.stringify(asked.at(-1))})`);
    return answers.shift()!;
  };
  const prompts: PromptFns = {
    async input(config) {
      asked.push({ kind: 'input', message: config.message, default: config.default });
      for (;;) {
        let answer = next();
        if (answer === '' && config.default !== undefined) answer = config.default;
        const verdict = config.validate?.(answer) ?? true;
        if (verdict === true) return answer;
        refused.push(`${config.message}: ${verdict}`);
      }
    },
    async password(config) {
      asked.push({ kind: 'password', message: config.message });
      return next();
    },
  };
  return { prompts, asked, refused };
}

export const counts = (partial: Partial<RunCounts> = {}): RunCounts => ({
  params: 0, tags: 0, metricKeys: 0, points: 0, inputs: 0, files: 0, bytes: 0, ...partial,
});

export function fakeStore(uri: string, options: OpenOptions): Store {
  return {
    kind: 'mlflow',
    displayUri: uri.replace(/\/\/[^@/]*@/, '//'),
    identity: uri,
    capabilities: { nativeFilter: true } as Store['capabilities'],
    rejectKey: () => undefined,
    openSource: async () => { throw new Error('not in this test'); },
    openTarget: async () => { throw new Error('not in this test'); },
    close: async () => {},
    role: options.role,
  } as Store;
}

export interface FakeCopy {
  calls: CopyOptions[];
  copyProject(options: CopyOptions): Promise<CopyReport>;
}

/** Plays `results` as run-done events (with progress), and returns the matching report. */
export function fakeCopy(results: RunResult[], extra: { hold?: (options: CopyOptions) => Promise<void>; retries?: number } = {}): FakeCopy {
  const calls: CopyOptions[] = [];
  return {
    calls,
    async copyProject(options) {
      calls.push(options);
      const emit = (event: CopyEvent) => options.onEvent?.(event);
      const sourceProject = `${options.source.project.workspace}/${options.source.project.project}`;
      const targetProject = `${options.target.project.workspace}/${options.target.project.project}`;
      const skipped = results.filter((r) => r.outcome === 'skipped').length;
      emit({ type: 'plan', toCopy: results.length - skipped, alreadyDone: skipped, filteredOut: 2, outOfShard: 1 });
      if (extra.retries) emit({ type: 'retry', what: 'POST runs/log-batch', attempt: 1, reason: 'HTTP 503' });
      const done: RunResult[] = [];
      for (const result of results) {
        if (extra.hold) await extra.hold(options);
        if (options.signal?.aborted) {
          const stopped: RunResult = { ...result, outcome: 'failed', reason: 'not started: the migration was interrupted', counts: counts(), issues: [] };
          done.push(stopped);
          emit({ type: 'run-done', result: stopped, sourceProject, targetProject });
          continue;
        }
        emit({ type: 'run-start', sourceRunId: result.sourceRunId });
        emit({ type: 'progress', points: result.counts.points, bytes: result.counts.bytes });
        done.push(result);
        emit({ type: 'run-done', result, sourceProject, targetProject });
      }
      const totals = counts();
      for (const r of done) for (const key of Object.keys(totals) as Array<keyof RunCounts>) totals[key] += r.counts[key];
      const n = (outcome: RunResult['outcome']) => done.filter((r) => r.outcome === outcome).length;
      return {
        tool: 'runs-migrator',
        version: '0.1.0',
        startedAt: '2024-05-07T07:03:02.000Z',
        finishedAt: '2024-05-07T07:04:25.500Z',
        dryRun: options.dryRun ?? false,
        source: { uri: options.source.store.displayUri, project: sourceProject, kind: 'mlflow' },
        target: { uri: options.target.store.displayUri, project: targetProject, kind: 'mlflow' },
        summary: {
          listed: done.length + 3, filteredOut: 2, outOfShard: 1,
          copied: n('copied'), updated: n('updated'), skipped: n('skipped'), failed: n('failed'), planned: n('planned'),
          totals, retries: extra.retries ?? 0,
        },
        projectIssues: [],
        runs: done,
      };
    },
  };
}

export interface Harness {
  overrides: Partial<Omit<CliContext, 'term'>>;
  stdout: TextSink;
  stderr: TextSink;
  opened: Array<{ uri: string; options: OpenOptions }>;
  /** Sends a signal to the handler main installed. */
  signal(name: StopSignal): void;
  exits: number[];
}

export function harness(options: {
  cwd: string;
  env?: Record<string, string>;
  tty?: boolean;
  stderrTTY?: boolean;
  prompts?: PromptFns;
  copy?: FakeCopy;
  openStore?: (uri: string, options: OpenOptions) => Promise<Store>;
}): Harness {
  const stdout = new TextSink(options.tty ?? false);
  const stderr = new TextSink(options.stderrTTY ?? false);
  const opened: Harness['opened'] = [];
  let handler: ((signal: StopSignal) => void) | undefined;
  const exits: number[] = [];
  return {
    stdout,
    stderr,
    opened,
    exits,
    signal(name) {
      handler?.(name);
    },
    overrides: {
      env: options.env ?? {},
      cwd: options.cwd,
      platform: 'linux',
      stdin: { isTTY: options.tty ?? false },
      stdout,
      stderr,
      now: () => new Date(2024, 4, 7, 9, 3, 2, 45),
      version: '0.1.0-test',
      prompts: () => options.prompts ?? scriptedPrompts([]).prompts,
      openStore: async (uri, openOptions) => {
        opened.push({ uri, options: openOptions });
        return (options.openStore ?? (async (u, o) => fakeStore(u, o)))(uri, openOptions);
      },
      copyProject: (copyOptions) => (options.copy ?? fakeCopy([])).copyProject(copyOptions),
      onSignal(h) {
        handler = h;
        return () => {
          handler = undefined;
        };
      },
      exit: (code) => {
        exits.push(code);
      },
    },
  };
}
