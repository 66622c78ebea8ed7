import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMlrunsStore } from '../../src/backends/mlruns/index.js';
import { describeConformance } from './suite.js';

describeConformance({
  kind: 'mlruns',
  async open() {
    const dir = await mkdtemp(join(tmpdir(), 'mlruns-conformance-'));
    // The store root does not exist yet: the backend creates it as MLflow would.
    const store = await openMlrunsStore(join(dir, 'mlruns'), 'target');
    return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
});
