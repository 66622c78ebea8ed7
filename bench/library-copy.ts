/**
 * One copy through the library in its own process, for benchmarks that compare engine options the
 * CLI does not offer (adaptive workers). Prints one JSON line: seconds, runs copied and failed,
 * mean seconds per run.
 *
 *   node --import tsx bench/library-copy.ts SOURCE_URI SOURCE_PROJECT TARGET_URI TARGET_PROJECT WORKERS [adaptive]
 */
import { copyProject, openStore, parseProjectRef } from '../src/index.js';

const [sourceUri, sourceProject, targetUri, targetProject, workers, mode] = process.argv.slice(2);
const source = await openStore(sourceUri!, { credentials: {}, role: 'source' });
const target = await openStore(targetUri!, { credentials: {}, role: 'target' });
const started = performance.now();
const report = await copyProject({
  source: { store: source, project: parseProjectRef(sourceProject!) },
  target: { store: target, project: parseProjectRef(targetProject!) },
  workers: Number(workers),
  adaptiveWorkers: mode === 'adaptive',
});
const seconds = (performance.now() - started) / 1000;
const mean = report.runs.reduce((sum, run) => sum + (run.durationMs ?? 0), 0) / Math.max(1, report.runs.length) / 1000;
console.log(JSON.stringify({ seconds, copied: report.summary.copied, failed: report.summary.failed, meanRunSeconds: mean }));
await source.close();
await target.close();
