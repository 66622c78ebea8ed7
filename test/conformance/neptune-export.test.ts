/**
 * The neptune-export backend against the shared suite: a fresh archive (data + files dirs) in a
 * temp dir per test, written and read through the contract. Small parts and row groups so the
 * suite's runs span several parts and row groups, as big exports do.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNeptuneArchive } from '../../src/backends/neptune-export/index.js';
import { describeConformance } from './suite.js';

describeConformance({
  kind: 'neptune-export',
  async open() {
    const root = await mkdtemp(join(tmpdir(), 'neptune-conformance-'));
    const store = openNeptuneArchive({ dataPath: join(root, 'data'), rolloverBytes: 16 * 1024, rowGroupRows: 5_000 });
    return { store, cleanup: () => rm(root, { recursive: true, force: true }) };
  },
});
