/**
 * `copy --watch SECONDS`: the copy again and again until the cut-over. A pass is exactly what one
 * `copy` (or `copy --all-projects`) does, so whatever a copy learns (sync, new runs, repairs) every
 * pass does too. Between passes: one summary line in the log, then a wait.
 *
 * Stopping: the first SIGINT/SIGTERM during a pass lets that pass finish (no write is cut off, every
 * run in flight gets its completion marker), then the watch ends with exit code 0; during the wait it
 * ends at once. A second signal during a pass is the ordinary hard stop of `copy` (exit 130/143).
 * The exit code is the last pass's: 0 when it was clean, 1 when runs failed, and so on.
 * A pass that fails as a whole (a server away for a moment) is logged and tried again next time;
 * only the first pass ends the watch on bad input.
 * `--until-idle N` ends the watch after N passes in a row that found nothing to do.
 */
import type { CopyReport } from '../engine/types.js';
import type { CliContext, StopSignal } from './context.js';
import { EXIT } from './exit-codes.js';
import { formatDuration, plural } from './format.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from './log-file.js';

/** Shared between the watch loop and the copies of one pass. */
export interface WatchControl {
  /** Set by the first signal: finish this pass, then stop. */
  stopRequested?: StopSignal;
  /** Every project copy of the current pass adds its report here. */
  passReports: CopyReport[];
}

export interface WatchOptions {
  seconds: number;
  untilIdle?: number;
  /** Opens the watch's log for a moment to add a line (the copies of a pass append to it too). */
  openLog: () => Logger;
  /** One pass: one copy, or every project's. Returns the pass's exit code. */
  runPass: (control: WatchControl) => Promise<number>;
}

/** What a pass did, for the summary line and --until-idle. */
export interface PassSummary {
  copied: number;
  updated: number;
  skipped: number;
  failed: number;
  models: number;
}

export function summarisePass(reports: readonly CopyReport[]): PassSummary {
  const out: PassSummary = { copied: 0, updated: 0, skipped: 0, failed: 0, models: 0 };
  for (const report of reports) {
    const s = report.summary;
    out.copied += s.copied;
    out.updated += s.updated;
    out.skipped += s.skipped;
    out.failed += s.failed;
    out.models += report.models ? report.models.summary.copied + report.models.summary.updated + report.models.summary.failed : 0;
  }
  return out;
}

/** A pass found nothing to do: nothing copied, updated or failed (a failure is retried next pass). */
export function isIdle(pass: PassSummary): boolean {
  return pass.copied === 0 && pass.updated === 0 && pass.failed === 0 && pass.models === 0;
}

export async function watchCopy(ctx: CliContext, options: WatchOptions): Promise<number> {
  const control: WatchControl = { passReports: [] };
  const waitMs = Math.round(options.seconds * 1000);
  const say = (level: 'info' | 'warning', message: string) => {
    const log = options.openLog();
    try {
      log[level](message);
    } finally {
      log.close();
    }
    ctx.term.err(message);
  };
  say('info', `Watching: a pass every ${formatDuration(waitMs)}${options.untilIdle ? `, until ${`${passes(options.untilIdle)} idle`} in a row` : ''}; Ctrl-C finishes the pass in flight and stops`);

  let idleInRow = 0;
  let lastCode: number = EXIT.ok;
  for (let pass = 1; ; pass++) {
    control.passReports = [];
    const started = Date.now();
    let code: number;
    // Held for the whole pass, so that a signal between two copies of a pass (--all-projects) is
    // not the process's default end; the copy in flight has its own handler that lets it finish.
    const removeHandler = ctx.onSignal((signal) => {
      control.stopRequested ??= signal;
    });
    try {
      code = await options.runPass(control);
    } catch (error) {
      // The first pass fails like a plain copy (bad input is said before anything is written);
      // later, a server that is away for a moment must not end a watch of several days.
      if (pass === 1) throw error;
      say('warning', `Watch pass ${pass} failed: ${errorMessage(error)}; trying again next pass`);
      code = EXIT.runsFailed;
    } finally {
      removeHandler();
    }
    if (code === EXIT.interrupted || code === EXIT.terminated) return code; // a second signal: hard stop
    // A first pass that could not start (usage, credentials, unreachable) ends the watch at once.
    if (pass === 1 && code !== EXIT.ok && code !== EXIT.runsFailed) return code;
    const summary = summarisePass(control.passReports);
    // Only a pass that ran cleanly can be idle: an unreachable source found nothing, but checked nothing either.
    idleInRow = code === EXIT.ok && isIdle(summary) ? idleInRow + 1 : 0;
    lastCode = code;
    say(
      code === EXIT.ok ? 'info' : 'warning',
      `Watch pass ${pass}: copied ${summary.copied}, updated ${summary.updated}, skipped ${summary.skipped}, failed ${summary.failed}` +
        `${summary.models > 0 ? `, ${plural(summary.models, 'model')} copied, updated or failed` : ''} in ${formatDuration(Date.now() - started)}` +
        `${idleInRow > 0 ? ` (idle ${idleInRow}${options.untilIdle ? `/${options.untilIdle}` : ''})` : ''}`,
    );
    if (control.stopRequested) {
      say('info', `${control.stopRequested}: the pass in flight finished; watch stopped after ${passes(pass)}`);
      return lastCode;
    }
    if (options.untilIdle !== undefined && idleInRow >= options.untilIdle) {
      say('info', `Watch stopped: ${passes(idleInRow)} in a row found nothing to do`);
      return lastCode;
    }
    const signal = await waitOrSignal(ctx, waitMs);
    if (signal) {
      say('info', `${signal}: watch stopped between passes after ${passes(pass)}`);
      return lastCode;
    }
  }
}

function passes(count: number): string {
  return `${count} pass${count === 1 ? '' : 'es'}`;
}

/** Waits `ms`, or less when SIGINT/SIGTERM arrives (then says which). */
function waitOrSignal(ctx: CliContext, ms: number): Promise<StopSignal | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      remove();
      resolve(undefined);
    }, ms);
    const remove = ctx.onSignal((signal) => {
      clearTimeout(timer);
      remove();
      resolve(signal);
    });
  });
}
