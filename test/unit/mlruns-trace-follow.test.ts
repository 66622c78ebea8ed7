/**
 * The engine's trace copy (engine/traces/copy-traces.ts) from a real mlruns source into a real
 * mlruns target, watched through a spy on node:fs: a re-run with nothing changed opens no
 * assessment file of the source, and a re-run after one trace changed opens only that trace's.
 */
import * as fs from 'node:fs';
import { chmodSync, cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openMlrunsStore } from '../../src/backends/mlruns/index.js';
import { RACY_WINDOW_MS } from '../../src/backends/mlruns/trace-state-token.js';
import { copyTraces, type TraceCopyContext } from '../../src/engine/traces/copy-traces.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { tempDir } from '../support/cli-process.js';

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const readFileSync = vi.fn(actual.readFileSync);
  return { ...actual, readFileSync, default: { ...actual, readFileSync } };
});

const EXPERIMENT = '132527274744105650';
const FACTS_TRACE = 'tr-84d04f584528666a02608d68aed5da85';

/** Until the files just written are older than the racy window (trace-state-token.ts): their change time cannot be set back. */
const settle = () => new Promise((resolve) => setTimeout(resolve, RACY_WINDOW_MS + 300));

describe('following an mlruns source, seen from the file system', () => {
  it('opens no source assessment file in an unchanged re-run, and only the changed trace’s after a change', async () => {
    const base = tempDir('mlruns-follow');
    const sourceRoot = join(base, 'source');
    cpSync(join(GOLDEN_STORES_DIR, 'genai-mlruns'), sourceRoot, { recursive: true });
    for (const name of ['', ...(readdirSync(sourceRoot, { recursive: true }) as string[])]) chmodSync(join(sourceRoot, name), statSync(join(sourceRoot, name)).isDirectory() ? 0o755 : 0o644);
    await settle();

    const sourceStore = await openMlrunsStore(sourceRoot, 'source');
    const targetStore = await openMlrunsStore(join(base, 'target'), 'target');
    const pass = async () => {
      const source = await sourceStore.openSource({ workspace: 'default', project: 'genai-fixture' });
      const target = await targetStore.openTarget({ workspace: 'default', project: 'copied' }, source.meta, { create: true });
      const context: TraceCopyContext = {
        source,
        sourceStore,
        targetStore,
        target,
        dryRun: false,
        update: true,
        origin: { sourceProject: 'default/genai-fixture', sourceUri: sourceRoot },
        runCopies: new Map(),
        modelCopies: new Map(),
        workers: 4,
      };
      vi.mocked(fs.readFileSync).mockClear();
      const outcome = await copyTraces(context);
      const opened = vi.mocked(fs.readFileSync).mock.calls.map(([path]) => String(path)).filter((path) => path.startsWith(sourceRoot) && path.includes('/assessments/'));
      return { rows: outcome!.traces, opened };
    };

    const first = await pass();
    expect(first.rows.map((row) => row.outcome)).toEqual(Array(6).fill('copied'));
    // The spy sees the reads: the first copy opens each of the store's 7 assessment files.
    expect(first.opened).toHaveLength(7);

    const idle = await pass();
    expect(idle.rows.map((row) => row.outcome)).toEqual(Array(6).fill('skipped'));
    expect(idle.opened).toEqual([]);

    const dir = join(sourceRoot, EXPERIMENT, 'traces', FACTS_TRACE, 'assessments');
    const [name] = readdirSync(dir);
    const file = join(dir, name!);
    writeFileSync(file, readFileSync(file, 'utf8').replace('source_id: facts.py', 'source_id: fact2.py'));
    await settle();

    const followed = await pass();
    expect(followed.rows.filter((row) => row.outcome === 'updated').map((row) => row.sourceTraceId)).toEqual([FACTS_TRACE]);
    expect(followed.rows.filter((row) => row.outcome === 'skipped')).toHaveLength(5);
    expect(followed.opened).toEqual([file]);
  });
});
