/** `runs-migrator inspect`: stub until the lead wires it. */
import { UsageError } from '../util/errors.js';
import type { Command } from './command.js';
import { EXIT } from './exit-codes.js';

export const inspectCommand: Command = {
  summary: 'show what a store or project holds (not available yet)',
  async run(argv, ctx) {
    if (argv.includes('--help') || argv.includes('-h')) {
      ctx.term.out('Usage: runs-migrator inspect [options]\n\nNot available yet.');
      return EXIT.ok;
    }
    throw new UsageError('inspect is not available yet');
  },
};
