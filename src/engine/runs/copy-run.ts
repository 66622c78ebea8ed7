/**
 * Copies one run, in the order that satisfies every store (reference M): create with the original
 * name, user, start time and provenance; params; tags; metric histories; inputs; files; then
 * finish (status, end time, the completion marker last, delete when the source run is deleted).
 * Without a target it only counts what would be copied (dry run).
 */
import { Transform, type Readable } from 'node:stream';
import type { ReadIssue, SourceRun, Store, TargetProject, TargetRun } from '../../backends/contract.js';
import { PROVENANCE } from '../../model/provenance.js';
import { acceptedMetricKeys, chunk, prepareValues, provenanceTags, type Provenance } from './prepare.js';
import { pumpMetrics } from './metric-pump.js';
import { firstWrite } from './first-write.js';
import { unsafePathReason } from '../paths.js';
import { withTargetNames } from './target-names.js';
import { FileCopyPool } from './file-pool.js';
import type { RunCounts, RunIssue } from '../types.js';

export interface RunCopyContext {
  targetStore: Store;
  /** Undefined in a dry run. */
  target: TargetProject | undefined;
  origin: Provenance;
  onProgress(points: number, bytes: number): void;
  signal?: AbortSignal;
  /** The listing's state token of the run (RunInfo.stateToken), recorded on the copy for the next sync. */
  stateToken?: string;
}

export interface RunCopy {
  targetRunId?: string;
  counts: RunCounts;
  issues: RunIssue[];
}

export function emptyCounts(): RunCounts {
  return { params: 0, tags: 0, metricKeys: 0, points: 0, inputs: 0, files: 0, bytes: 0 };
}

/**
 * `progress` is filled as the copy goes, so a caller that catches a failure still knows how far
 * it got.
 */
export async function copyRun(
  context: RunCopyContext,
  source: SourceRun,
  parentTargetId: string | undefined,
  progress: RunCopy,
): Promise<RunCopy> {
  const { targetStore, target, signal } = context;
  const info = source.info;
  const caps = targetStore.capabilities;
  const { counts, issues } = progress;
  // Names the target refuses are renamed by the published rule (key-mapping.ts) and reported.
  source = withTargetNames(source, targetStore, issues);

  const [params, tags, inputs, metricKeys] = await Promise.all([
    source.params(),
    source.tags(),
    source.inputs(),
    source.metricKeys(),
  ]);
  const values = prepareValues(params, tags, targetStore, parentTargetId, issues);
  const keys = acceptedMetricKeys(metricKeys, targetStore, issues);
  const initialTags = provenanceTags(info, context.origin, targetStore);

  let run: TargetRun | undefined;
  if (target) {
    run = await target.createRun({
      name: info.name,
      user: info.user ?? tags.find((tag) => tag.key === 'mlflow.user')?.value,
      startTime: info.startTime,
      // The state the copy starts from: a re-run with the same listing state has nothing to do (sync-copy.ts).
      tags: context.stateToken === undefined ? initialTags : [...initialTags, { key: PROVENANCE.sourceState, value: context.stateToken }],
      source: { project: context.origin.sourceProject, runId: info.runId },
    });
    progress.targetRunId = run.runId;
  }

  // Params and tags ride with the first metrics when the target takes them in one write.
  const first = firstWrite(run, values, caps.batch, (params, tags) => {
    counts.params += params;
    counts.tags += tags;
  });
  for (const batch of first ? [] : chunk(values.params, caps.batch.maxParams)) {
    signal?.throwIfAborted();
    await run?.logParams(batch);
    counts.params += batch.length;
  }
  for (const batch of first ? [] : chunk(values.tags, caps.batch.maxTags)) {
    signal?.throwIfAborted();
    await run?.setTags(batch);
    counts.tags += batch.length;
  }
  counts.tags += initialTags.length;

  counts.metricKeys = keys.length;
  const pumped = await pumpMetrics(source, keys, run, caps, (points) => {
    counts.points += points;
    context.onProgress(points, 0);
  }, issues, signal, first, Boolean(run?.finishWith));

  if (inputs.length > 0) {
    await run?.logInputs(inputs);
    counts.inputs = inputs.length;
  }

  // Files go a few at a time when both sides say they can (fileConcurrency); else one by one.
  const files = new FileCopyPool(run ? fileConcurrency(source, run) : 1, FILE_BYTE_BUDGET);
  try {
    for await (const file of source.files()) {
      signal?.throwIfAborted();
      const unsafe = unsafePathReason(file.path);
      if (unsafe) {
        issues.push({ field: 'file', key: file.path, action: 'dropped', reason: `unsafe artifact path from the source: ${unsafe}` });
        continue;
      }
      const refused = targetStore.rejectPath?.(file.path);
      if (refused) {
        issues.push({ field: 'file', key: file.path, action: 'dropped', reason: `${targetStore.kind} refuses the path: ${refused}` });
        continue;
      }
      if (run) {
        await files.add(file.size, async () => {
          const stream = await source.openFile(file.path);
          await run.writeFile(file.path, counted(stream, file.size, file.path, (bytes) => context.onProgress(0, bytes)), file.size);
          counts.files += 1;
          counts.bytes += file.size;
        });
      } else {
        context.onProgress(0, file.size);
        counts.files += 1;
        counts.bytes += file.size;
      }
    }
    await files.drain();
  } finally {
    // On any failure, no copy may still be writing once the run is reported failed.
    await files.settle();
  }

  const readIssues = source.readIssues?.() ?? [];
  for (const issue of readIssues) {
    issues.push({ field: issue.field, action: 'dropped', reason: issue.reason });
  }
  // Data the source holds but could not read is a failed run, never a copy (no completion marker).
  failOnLostData(readIssues);

  if (run) {
    const end = {
      status: info.status,
      endTime: info.endTime,
      deleted: info.deleted,
      marker: { key: PROVENANCE.completed, value: new Date().toISOString() },
    };
    if (pumped.held) {
      // A small run's values were held back to go with the marker: one write for both.
      await run.finishWith!(end, pumped.held.values);
      pumped.held.written();
    } else {
      await run.finish(end);
    }
    for (const issue of run.writeIssues?.() ?? []) issues.push({ field: issue.field, action: 'dropped', reason: issue.reason });
  }
  return progress;
}

/** Bytes of files in flight at once (a target may hold a small file whole to retry it). */
const FILE_BYTE_BUDGET = 32 * 1024 * 1024;

/** How many files of a run go at once: what both the source and the target take. */
export function fileConcurrency(source: SourceRun, run: TargetRun): number {
  return Math.max(1, Math.min(source.fileConcurrency ?? 1, run.fileConcurrency ?? 1));
}

/** Passes bytes through, reports them, and fails when the source sends more or fewer than listed. */
export function counted(stream: Readable, expected: number, path: string, onBytes: (bytes: number) => void): Readable {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > expected) {
        callback(new Error(`artifact ${path}: the source sent more than the ${expected} bytes it listed`));
        return;
      }
      onBytes(chunk.length);
      callback(null, chunk);
    },
    flush(callback) {
      callback(seen === expected ? null : new Error(`artifact ${path}: the source sent ${seen} of the ${expected} bytes it listed`));
    },
  });
  stream.on('error', (error) => counter.destroy(error));
  return stream.pipe(counter);
}

/** Throws when the source could not read something it holds: the run must not count as copied. */
export function failOnLostData(readIssues: readonly ReadIssue[]): void {
  const lost = readIssues.filter((issue) => issue.lost);
  if (lost.length === 0) return;
  const shown = lost.slice(0, 3).map((issue) => `${issue.field}: ${issue.reason}`);
  if (lost.length > 3) shown.push(`and ${lost.length - 3} more`);
  throw new Error(`not copied whole, the source could not read ${lost.length} part(s): ${shown.join('; ')}`);
}
