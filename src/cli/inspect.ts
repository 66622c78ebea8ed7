/**
 * `runs-migrator inspect URI`: what a store holds (for Neptune archives: per project the runs,
 * rows, attribute types, step ranges, points, files and bytes, and incomplete runs). Reads only.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../util/errors.js';
import type { Command } from './command.js';
import { EXIT } from './exit-codes.js';

const HELP = `Usage: runs-migrator inspect URI [--json]

Shows what a store holds without changing it. Neptune archives
(neptune-export:<data-path>[?files=<files-path>]): per project the runs, rows, attribute types and
their counts, step ranges, metric points, files and bytes, and which runs are incomplete.

  --json     print the summary as JSON`;

export const inspectCommand: Command = {
  summary: 'show what a Neptune export archive holds (runs, rows, types, steps, files, incomplete runs)',
  async run(argv, ctx) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(`inspect: ${(error as Error).message.split('\n', 1)[0]}`);
    }
    if (parsed.values.help) {
      ctx.term.out(HELP);
      return EXIT.ok;
    }
    const [uri, ...extra] = parsed.positionals;
    if (!uri || extra.length > 0) throw new UsageError('inspect takes one store URI, e.g. runs-migrator inspect "neptune-export:./exports/data"');
    const store = await ctx.openStore(uri, { credentials: {}, role: 'source' });
    try {
      if (!store.inspect) throw new UsageError(`inspect is not available for ${store.kind} stores yet (it reads neptune-export archives)`);
      const { summary, text } = await store.inspect();
      if (parsed.values.json) ctx.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      else ctx.term.out(text);
      return EXIT.ok;
    } finally {
      await store.close().catch(() => undefined);
    }
  },
};
