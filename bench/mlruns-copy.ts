/**
 * Issue 3's benchmark: mlruns -> mlruns through the CLI, against the raw ceiling of simply
 * reading and writing the same metric files with Node streams, measured in the same run.
 *
 *   npm run build && node --import tsx bench/mlruns-copy.ts [--points 1000000]
 *
 * Prints our points/s, the ceiling's, their ratio (target >= 0.5) and the CLI's peak RSS at 1/10
 * of the points and at all of them (flat in history size).
 */
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { openStore } from '../src/backends/registry.js';
import { PROVENANCE } from '../src/model/provenance.js';
import type { MetricPoint } from '../src/model/run.js';
import { arg, engineSeconds, runCli } from './support.js';

const POINTS = arg('points', 1_000_000);
const KEYS = 10;

/** One run of KEYS keys x points/KEYS steps, written through the mlruns backend. */
async function makeStore(root: string, experiment: string, points: number): Promise<void> {
  const store = await openStore(root, { credentials: {}, role: 'target' });
  const project = (await store.openTarget({ workspace: 'default', project: experiment }, { tags: [] }, { create: true }))!;
  const run = await project.createRun({ name: 'long', startTime: 1_700_000_000_000, tags: [], source: { project: 'bench', runId: experiment } });
  const steps = points / KEYS;
  for (let k = 0; k < KEYS; k++) {
    for (let start = 0; start < steps; start += 1000) {
      const batch: MetricPoint[] = [];
      for (let step = start; step < Math.min(steps, start + 1000); step++) {
        batch.push({ value: Math.sin(step) * 100 + k, timestamp: 1_700_000_000_000 + step, step });
      }
      await run.logMetrics([{ key: `metric_${k}`, points: batch }]);
    }
  }
  await run.finish({ status: 'FINISHED', endTime: 1_700_000_100_000, deleted: false, marker: { key: PROVENANCE.completed, value: 'bench' } });
  await store.close();
}

/** The ceiling: every metric file of the store streamed line by line into a new file. */
async function rawCopy(root: string, out: string): Promise<number> {
  const started = performance.now();
  const files: string[] = [];
  for (const name of readdirSync(root, { recursive: true }) as string[]) {
    if (/(^|\/)metrics\/[^/]+$/.test(name)) files.push(join(root, name));
  }
  let index = 0;
  for (const file of files) {
    await pipeline(createReadStream(file), createWriteStream(join(out, `m${index++}`)));
  }
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'runs-migrator-bench-mlruns-'));
  try {
    const small = POINTS / 10;
    await makeStore(join(dir, 'src'), 'small', small);
    await makeStore(join(dir, 'src'), 'large', POINTS);
    const rawOut = join(dir, 'raw');
    (await import('node:fs')).mkdirSync(rawOut);
    const rawSeconds = await rawCopy(join(dir, 'src'), rawOut);
    const ceiling = (small + POINTS) / rawSeconds;

    const copy = (experiment: string) =>
      runCli(['copy', '--source-uri', join(dir, 'src'), '--source-project', experiment, '--target-uri', join(dir, 'dst'), '--target-project', `${experiment}-copy`, '--quiet', '--no-progress', '--log-file', join(dir, `${experiment}.log`), '--report', join(dir, `${experiment}.json`)]);
    const smallRun = await copy('small');
    const largeRun = await copy('large');
    for (const run of [smallRun, largeRun]) if (run.exitCode !== 0) throw new Error(`copy failed: ${run.stderr}`);
    const ours = POINTS / largeRun.seconds;
    const oursEngine = POINTS / engineSeconds(join(dir, 'large.json'));
    console.log(`one run, ${POINTS.toLocaleString('en')} points (${KEYS} keys), mlruns -> mlruns`);
    console.log(`  raw ceiling (Node streams copying the same metric files): ${Math.round(ceiling).toLocaleString('en')} points/s`);
    console.log(`  runs-migrator copy (whole CLI run): ${Math.round(ours).toLocaleString('en')} points/s in ${largeRun.seconds.toFixed(1)} s`);
    console.log(`  runs-migrator copy (engine only, from the report): ${Math.round(oursEngine).toLocaleString('en')} points/s`);
    console.log(`  ratio to ceiling: ${(ours / ceiling).toFixed(2)} whole CLI run, ${(oursEngine / ceiling).toFixed(2)} engine only (target >= 0.5)`);
    console.log(`  peak RSS: ${smallRun.maxRssMb.toFixed(0)} MB at ${small.toLocaleString('en')} points, ${largeRun.maxRssMb.toFixed(0)} MB at ${POINTS.toLocaleString('en')} points; ratio ${(largeRun.maxRssMb / smallRun.maxRssMb).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
