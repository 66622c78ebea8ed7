/**
 * What the terminal shows while runs are copied:
 * - `bar`: stderr is a terminal: runs done/total, points, bytes, rate and ETA (cli-progress), with
 *   failures and retries printed above the bar;
 * - `lines`: not a terminal, or --no-progress: one plain line per run done, e.g.
 *   `[12/200] copied churn/abc123 -> def456 (10 params, 5 tags, 100000 points, 3 files, 2.1 MB)`;
 * - `quiet`: --quiet: nothing (the summary is printed by the command).
 * Every text goes through the redactor.
 */
import cliProgress from 'cli-progress';
import type { CopyEvent, RunResult } from '../engine/types.js';
import type { Redactor } from '../util/redact.js';
import { formatBytes, formatCounts } from './format.js';

export type ProgressMode = 'bar' | 'lines' | 'quiet';

export function progressMode(options: { quiet: boolean; noProgress: boolean; isTTY: boolean }): ProgressMode {
  if (options.quiet) return 'quiet';
  if (options.noProgress || !options.isTTY) return 'lines';
  return 'bar';
}

export interface ProgressDisplay {
  onEvent(event: CopyEvent): void;
  /** A message that must not be torn by the bar (warnings, the interrupt notice). */
  note(message: string): void;
  stop(): void;
}

export interface ProgressOptions {
  mode: ProgressMode;
  stream: NodeJS.WritableStream;
  redact: Redactor;
  /** The source project's name as shown in lines (`churn` of `team-a/churn`). */
  sourceName: string;
  /** A dry run lists its plan at the end: no per-run lines. */
  dryRun: boolean;
  now?: () => number;
}

/** One plain line for a finished run. */
export function runLine(result: RunResult, done: number, total: number, sourceName: string): string {
  const where = `[${done}/${total || '?'}]`;
  const run = `${sourceName}/${result.sourceRunId}`;
  switch (result.outcome) {
    case 'copied':
      return `${where} copied ${run} -> ${result.targetRunId ?? '?'} (${formatCounts(result.counts)})`;
    case 'updated':
      return `${where} updated ${run} -> ${result.targetRunId ?? '?'}: ${(result.changes ?? []).join('; ')}`;
    case 'skipped':
      return `${where} skipped ${run}: ${result.reason ?? `already copied to ${result.targetRunId ?? '?'}`}`;
    case 'failed':
      return `${where} FAILED ${run}: ${result.reason ?? 'unknown error'}`;
    case 'planned':
      if (result.changes) return `${where} would update ${run} -> ${result.targetRunId ?? '?'}: ${result.changes.join('; ')}`;
      return `${where} would copy ${run} (${formatCounts(result.counts)})`;
  }
}

export function createProgress(options: ProgressOptions): ProgressDisplay {
  const { mode, stream, redact, sourceName } = options;
  const now = options.now ?? Date.now;
  const started = now();
  let total = 0;
  let done = 0;
  let points = 0;
  let bytes = 0;

  const write = (text: string) => stream.write(redact(text) + '\n');

  if (mode !== 'bar') {
    return {
      onEvent(event) {
        if (mode === 'quiet') return;
        if (event.type === 'plan') total = event.toCopy + event.alreadyDone;
        if (event.type === 'run-done') {
          done += 1;
          if (!options.dryRun) write(runLine(event.result, done, Math.max(total, done), sourceName));
        }
        if (event.type === 'retry') write(`retrying ${event.what} (attempt ${event.attempt}): ${event.reason}`);
      },
      note(message) {
        write(message);
      },
      stop() {},
    };
  }

  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: '{bar} {value}/{total} runs | {points} pts | {bytes} | {rate} | ETA {eta_formatted}',
      barsize: 16,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      etaBuffer: 20,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = () => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const pointRate = points / seconds;
    const rate = bytes > 0 ? `${formatBytes(Math.round(bytes / seconds))}/s` : `${pointRate >= 1000 ? `${(pointRate / 1000).toFixed(1)}k` : pointRate.toFixed(0)} pts/s`;
    return { points, bytes: formatBytes(bytes), rate };
  };
  // The bar appears with the plan: an error before it leaves no empty bar behind.
  let bar: cliProgress.SingleBar | undefined;
  const log = (text: string) => {
    if (!bar) {
      write(text);
      return;
    }
    multi.log(redact(text) + '\n');
    multi.update(); // flush now: buffered lines are lost if the bar stops before its next redraw
  };

  return {
    onEvent(event) {
      switch (event.type) {
        case 'plan':
          total = event.toCopy + event.alreadyDone;
          if (bar) bar.setTotal(total);
          else bar = multi.create(total, done, payload());
          break;
        case 'run-done':
          done += 1;
          if (done > total) bar?.setTotal((total = done));
          if (event.result.outcome === 'failed') log(runLine(event.result, done, total, sourceName));
          bar?.update(done, payload());
          break;
        case 'progress':
          points += event.points;
          bytes += event.bytes;
          bar?.update(done, payload());
          break;
        case 'retry':
          log(`retrying ${event.what} (attempt ${event.attempt}): ${event.reason}`);
          break;
        default:
          break;
      }
    },
    note(message) {
      log(message);
    },
    stop() {
      bar?.update(done, payload());
      multi.stop();
    },
  };
}
