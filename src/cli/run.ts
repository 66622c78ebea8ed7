/** Entry for `node --import tsx src/cli/run.ts ...` (the built CLI starts from bin/runs-migrator.js). */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
