/** A subcommand of `runs-migrator`: listed in COMMANDS (main.ts), one line each. */
import type { CliContext } from './context.js';

export interface Command {
  /** One line for `runs-migrator --help`. */
  summary: string;
  /** Returns the exit code (src/cli/exit-codes.ts); throws UserError for usage/auth/... errors. */
  run(argv: string[], ctx: CliContext): Promise<number>;
}
