/**
 * Exit codes of `runs-migrator`, in one place (docs/usage.md "Output and exit codes" repeats this table).
 *
 * | code | meaning                                                                  |
 * |------|--------------------------------------------------------------------------|
 * | 0    | done; no run failed (a dry run that could plan, `--help`, `--version`)    |
 * | 1    | finished, but at least one run failed (see the log and the report)       |
 * | 2    | usage: bad or missing flag, malformed URI or project, token on argv, ... |
 * | 3    | authentication: wrong or missing credentials, not allowed                |
 * | 4    | not found: unknown project, workspace or run                             |
 * | 5    | unreachable: the store cannot be reached or answered nonsense            |
 * | 70   | internal error (a bug): message on stderr, no stack unless RUNS_MIGRATOR_DEBUG=1 |
 * | 130  | interrupted by SIGINT (Ctrl-C); the report of what was done is written   |
 * | 143  | terminated by SIGTERM; same as 130                                       |
 *
 * 2..5 are the `exitCode` of the UserError subclasses in src/util/errors.ts.
 */
import { errorMessage, UsageError, UserError } from '../util/errors.js';
import type { CliContext } from './context.js';

export const EXIT = {
  ok: 0,
  runsFailed: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  unreachable: 5,
  internal: 70,
  interrupted: 130,
  terminated: 143,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0    done, no run failed          1    at least one run failed
  2    usage error                  3    authentication failed
  4    project or run not found     5    store unreachable
  70   internal error               130  interrupted (SIGINT), 143 (SIGTERM)`;

/**
 * The exit code for an error, after one redacted line on stderr: UserError -> its exitCode (2..5),
 * a cancelled prompt -> 130, anything else -> 70 (no stack unless RUNS_MIGRATOR_DEBUG is set).
 */
export function reportError(error: unknown, ctx: CliContext, commandName?: string): number {
  if (error instanceof UserError) {
    ctx.term.err(`runs-migrator: ${error.message}`);
    if (error instanceof UsageError) ctx.term.err(`Try 'runs-migrator ${commandName ? `${commandName} ` : ''}--help'.`);
    return error.exitCode;
  }
  if (error instanceof Error && error.name === 'ExitPromptError') {
    ctx.term.err('runs-migrator: cancelled');
    return EXIT.interrupted;
  }
  ctx.term.err(`runs-migrator: internal error: ${errorMessage(error)}`);
  if (ctx.env.RUNS_MIGRATOR_DEBUG && error instanceof Error && error.stack) ctx.term.err(error.stack);
  return EXIT.internal;
}
