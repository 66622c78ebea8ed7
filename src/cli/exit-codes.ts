/**
 * Exit codes of `runs-migrator`, in one place (README "Exit codes" repeats this table).
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
