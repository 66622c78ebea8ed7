/**
 * The mlruns logged-model files: metric lines with and without a dataset, as FileStore writes
 * them, read back by our reader; links of a run written once however often they are asked.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseModelMetricLine, readRunModelLinks, writeRunModelLinks } from '../../src/backends/mlruns/models.js';
import { filesBelow } from '../support/cli-process.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';

describe('mlruns logged models', () => {
  it('reads metric lines of the real file store (timestamp value step run_id) and with a dataset', () => {
    expect(parseModelMetricLine('loss', '1735689600000 1.0 0 d3c238855dbb489d8ea79df4c85a82fc')).toEqual({
      key: 'loss', value: 1, timestamp: 1735689600000, step: 0, runId: 'd3c238855dbb489d8ea79df4c85a82fc',
    });
    expect(parseModelMetricLine('acc', '1700000000000 0.9 3 abc eval-set 0cc175b9')).toEqual({
      key: 'acc', value: 0.9, timestamp: 1700000000000, step: 3, runId: 'abc', datasetName: 'eval-set', datasetDigest: '0cc175b9',
    });
    expect(Number.isNaN(parseModelMetricLine('odd', '1 nan 0 r').value)).toBe(true);
  });

  it('writes run links in FileStore layout, once, and reads them back', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'mlruns-links-'));
    const links = { outputs: [{ modelId: 'm-aaa', step: 2 }], inputs: [{ modelId: 'm-aaa' }] };
    await writeRunModelLinks(runDir, 'r1', links);
    await writeRunModelLinks(runDir, 'r1', links);
    // The input folder is md5(model id + run id), as in the real store (test/golden/stores/mlruns).
    expect(filesBelow(runDir).map((f) => f.path.slice(runDir.length + 1)).sort()).toEqual(['inputs/8a34733c9840eac348aab90d6f0f417d/meta.yaml', 'outputs/m-aaa/meta.yaml']);
    expect(await readRunModelLinks(runDir)).toEqual(links);
  });

  it('writes link files byte for byte like the real file store', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'mlruns-links-'));
    const run = 'd3c238855dbb489d8ea79df4c85a82fc';
    await writeRunModelLinks(runDir, run, { outputs: [{ modelId: 'm-ae2113beadab4fbdb96f3f3b7471f000', step: 0 }], inputs: [{ modelId: 'm-97974bbd4b914384a9253728a5163cbb' }] });
    const real = join(GOLDEN_STORES_DIR, 'mlruns/108393184598687107', run);
    for (const file of ['outputs/m-ae2113beadab4fbdb96f3f3b7471f000/meta.yaml', 'inputs/380951a219d0dfc2d1813a3fb82a4f3a/meta.yaml']) {
      expect(readFileSync(join(runDir, file), 'utf8')).toBe(readFileSync(join(real, file), 'utf8'));
    }
  });
});
