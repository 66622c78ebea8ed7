/**
 * A separate process writing into an mlruns store, for the crash and concurrency tests:
 *
 *   node --import tsx mlruns-child-writer.ts create-experiment <root> <name> <start-at-ms>
 *       waits until <start-at-ms> (so that racing children really race), opens (creating) the
 *       experiment and prints its id
 *   node --import tsx mlruns-child-writer.ts crash-mid-run <root> <name>
 *       writes half a run, prints its id, then kills itself with SIGKILL before finish()
 */
import { Readable } from 'node:stream';
import { openMlrunsStore } from '../../src/backends/mlruns/index.js';
import { PROVENANCE } from '../../src/model/provenance.js';

import { setTimeout as sleep } from 'node:timers/promises';

const [mode, root, name, startAt] = process.argv.slice(2);
if (startAt !== undefined) await sleep(Math.max(0, Number(startAt) - Date.now()));
const store = await openMlrunsStore(root!, 'target');
const target = await store.openTarget({ workspace: 'default', project: name! }, { tags: [] }, { create: true });
if (!target) throw new Error('openTarget returned nothing');

if (mode === 'create-experiment') {
  process.stdout.write(`${target.id}\n`);
} else if (mode === 'crash-mid-run') {
  const run = await target.createRun({
    name: 'doomed',
    startTime: 1700000000000,
    tags: [
      { key: PROVENANCE.runId, value: 'src-doomed' },
      { key: PROVENANCE.project, value: 'default/source' },
    ],
    source: { project: 'default/source', runId: 'src-doomed' },
  });
  await run.logParams([{ key: 'lr', value: '0.1' }]);
  await run.logMetrics([{ key: 'loss', points: [{ value: 0.5, timestamp: 1700000000000, step: 0 }] }]);
  await run.writeFile('model/w.bin', Readable.from([Buffer.from('weights')]), 7);
  process.stdout.write(`${run.runId}\n`, () => process.kill(process.pid, 'SIGKILL'));
} else {
  throw new Error(`unknown mode ${mode}`);
}
