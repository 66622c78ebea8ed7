/**
 * `runs-migrator <command> [options]`: picks the command from COMMANDS and turns what it throws
 * into an exit code (src/cli/exit-codes.ts) and one redacted line on stderr.
 */
import { UsageError } from '../util/errors.js';
import { refuseSecretFlags } from './args.js';
import type { Command } from './command.js';
import { createContext, type CliContext } from './context.js';
import { copyCommand } from './copy.js';
import { EXIT, EXIT_CODES_HELP, reportError } from './exit-codes.js';
import { inspectCommand } from './inspect.js';
import { verifyCommand } from './verify.js';

/** Adding a command is one line here. */
export const COMMANDS: Record<string, Command> = {
  copy: copyCommand,
  verify: verifyCommand,
  inspect: inspectCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const commands = Object.entries(COMMANDS)
    .map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`)
    .join('\n');
  return `Usage: runs-migrator <command> [options]

Copies ML experiment runs between MLflow servers, local MLflow stores (./mlruns, mlflow.db) and
Neptune export archives, exactly once. Run without arguments on a terminal to be asked.

Commands:
${commands}

  runs-migrator <command> --help   options of a command
  runs-migrator --version          print the version

${EXIT_CODES_HELP}`;
}

export async function main(argv: string[], overrides: Partial<Omit<CliContext, 'term'>> = {}): Promise<number> {
  const ctx = createContext(overrides);
  const [first, ...rest] = argv;
  const commandName = first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
  try {
    refuseSecretFlags(argv);
    if (first === undefined) {
      if (ctx.stdin.isTTY && ctx.stdout.isTTY) return await COMMANDS.copy!.run([], ctx);
      ctx.term.err(usage());
      return EXIT.usage;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      const topic = rest[0];
      if (first === 'help' && topic !== undefined && Object.hasOwn(COMMANDS, topic)) return await COMMANDS[topic]!.run(['--help'], ctx);
      ctx.term.out(usage());
      return EXIT.ok;
    }
    if (first === '--version') {
      ctx.term.out(ctx.version);
      return EXIT.ok;
    }
    if (first.startsWith('-')) {
      throw new UsageError(`a command comes first (${Object.keys(COMMANDS).join(', ')}): runs-migrator copy ${first.split('=', 1)[0]} ...`);
    }
    if (!commandName) throw new UsageError(`unknown command "${first}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return await COMMANDS[commandName]!.run(rest, ctx);
  } catch (error) {
    return reportError(error, ctx, commandName);
  }
}
