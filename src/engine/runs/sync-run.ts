/**
 * Brings one complete copy up to date with its source (DESIGN rule 12; docs/sync.md). The copy is
 * read back through the target store's own reader and compared with the source under the same
 * mapping copy uses (prepare.ts, target-names.ts), then only the differences are written:
 *
 * - params: a new param is logged; a CHANGED param is a conflict - nothing is written to the run
 *   and the caller reports it as failed (MLflow params are write-once);
 * - restore a copy whose source was restored, before anything else (deleted runs take no writes);
 * - name, status and end time (what the target sets) in one update;
 * - tags set, changed and deleted (the note is a tag), the read-only facts in old_sys/* too;
 * - metric points appended exactly once (appendNewPoints below);
 * - dataset inputs the copy lacks; files the copy lacks or holds at another size.
 *
 * Without an editor (dry run) it only works out and counts what it would write.
 */
import type { CopyEditor, SourceRun, Store } from '../../backends/contract.js';
import type { DatasetInput, FileEntry, KeyValue, MetricPoint } from '../../model/run.js';
import { deletionGuard, describeFileChange, fileChange, lastComparedMs } from '../file-change.js';
import { PROVENANCE } from '../../model/provenance.js';
import { addPoint, canonicalPoint, newFingerprint, sameFingerprint, type Fingerprint } from '../fingerprint.js';
import { acceptedMetricKeys, chunk, prepareValues, provenanceTags, type Provenance } from './prepare.js';
import { counted } from './copy-run.js';
import { unsafePathReason } from '../paths.js';
import { errorMessage } from '../../util/errors.js';
import { withTargetNames } from './target-names.js';
import type { RunCounts, RunIssue } from '../types.js';

export interface RunSyncContext {
  targetStore: Store;
  origin: Provenance;
  /** Undefined in a dry run. */
  editor: CopyEditor | undefined;
  onProgress(points: number, bytes: number): void;
  signal?: AbortSignal;
}

export interface RunSync {
  /** What changed, one line each ("tag team set", "metric loss: 120 new points"). */
  changes: string[];
  /** Params whose value changed in the source: the copy was left as it was. */
  conflicts: string[];
  /** What could not be brought up to date, and why (the run then counts as failed). */
  problems: string[];
  /** What was written (or would be, in a dry run). */
  counts: RunCounts;
  issues: RunIssue[];
}

/** Tags the sync never deletes: provenance, our bookkeeping, and the run name (set with updateInfo). */
const RUN_NAME_TAG = 'mlflow.runName';
function keptByTarget(key: string): boolean {
  return key.startsWith('old_sys/') || key.startsWith('runs_migrator.') || key === RUN_NAME_TAG;
}

export async function syncRun(
  context: RunSyncContext,
  source: SourceRun,
  copy: SourceRun,
  parentTargetId: string | undefined,
  progress: RunSync,
): Promise<RunSync> {
  const { targetStore, editor, signal } = context;
  const caps = targetStore.capabilities;
  const { changes, conflicts, counts, issues } = progress;
  source = withTargetNames(source, targetStore, issues);
  const info = source.info;

  const [params, tags, inputs, metricKeys, copyParams, copyTags, copyInputs, copyMetricKeys] = await Promise.all([
    source.params(), source.tags(), source.inputs(), source.metricKeys(),
    copy.params(), copy.tags(), copy.inputs(), copy.metricKeys(),
  ]);
  const values = prepareValues(params, tags, targetStore, parentTargetId, issues);

  // Params first: a changed one leaves the whole copy as it is.
  const haveParams = new Map(copyParams.map((p) => [p.key, p.value]));
  const newParams: KeyValue[] = [];
  for (const param of values.params) {
    const value = haveParams.get(param.key);
    if (value === undefined) newParams.push(param);
    else if (value !== param.value) conflicts.push(`param ${param.key}: the source now has ${show(param.value)}, the copy keeps ${show(value)} (params are write-once)`);
  }
  if (conflicts.length > 0) return progress;

  if (copy.info.deleted && !info.deleted && caps.keepsDeletedRuns) {
    await editor?.restore();
    changes.push('restored like its source');
  }

  const infoChanges: string[] = [];
  if ((info.name ?? '') !== (copy.info.name ?? '') && info.name !== undefined && info.name !== '') infoChanges.push(`name ${show(copy.info.name)} -> ${show(info.name)}`);
  if (caps.setsStatus && info.status !== copy.info.status) infoChanges.push(`status ${copy.info.status} -> ${info.status}`);
  if (caps.setsEndTime && info.endTime !== copy.info.endTime) infoChanges.push(`end time ${show(copy.info.endTime)} -> ${show(info.endTime)}`);
  if (infoChanges.length > 0) {
    signal?.throwIfAborted();
    await editor?.updateInfo({ name: info.name, status: info.status, ...(info.endTime !== undefined ? { endTime: info.endTime } : {}) });
    changes.push(...infoChanges);
  }

  for (const batch of chunk(newParams, caps.batch.maxParams)) {
    signal?.throwIfAborted();
    await editor?.logParams(batch);
    counts.params += batch.length;
  }
  if (newParams.length > 0) changes.push(`${newParams.length} new param(s): ${newParams.map((p) => p.key).join(', ')}`);

  // Tags: what the copy should hold, as copy writes it (the URI has many spellings: left alone).
  const wanted = [...values.tags, ...provenanceTags(info, context.origin, targetStore)].filter(
    (tag) => tag.key !== RUN_NAME_TAG && tag.key !== PROVENANCE.uri,
  );
  const haveTags = new Map(copyTags.map((t) => [t.key, t.value]));
  const setTags = wanted.filter((tag) => haveTags.get(tag.key) !== tag.value);
  const wantedKeys = new Set(wanted.map((tag) => tag.key));
  const deleteKeys = copyTags.map((t) => t.key).filter((key) => !wantedKeys.has(key) && !keptByTarget(key));
  for (const batch of chunk(setTags, caps.batch.maxTags)) {
    signal?.throwIfAborted();
    await editor?.setTags(batch);
    counts.tags += batch.length;
  }
  for (const tag of setTags) changes.push(`tag ${tag.key} ${haveTags.has(tag.key) ? 'changed' : 'set'}`);
  if (deleteKeys.length > 0) {
    signal?.throwIfAborted();
    await editor?.deleteTags(deleteKeys);
    for (const key of deleteKeys) changes.push(`tag ${key} deleted`);
  }

  const keys = acceptedMetricKeys(metricKeys, targetStore, issues);
  const copyKeys = new Set(copyMetricKeys);
  for (const key of keys) {
    signal?.throwIfAborted();
    const outcome = await appendNewPoints(source, copy, key, copyKeys.has(key), context);
    if ('mismatch' in outcome) {
      progress.problems.push(`metric ${key}: ${outcome.mismatch}`);
      continue;
    }
    if (outcome.appended > 0) {
      counts.metricKeys += 1;
      counts.points += outcome.appended;
      changes.push(`metric ${key}: ${outcome.appended} new point(s)`);
    }
  }

  const haveInputs = new Set(copyInputs.map(canonicalInput));
  const newInputs = inputs.filter((input) => !haveInputs.has(canonicalInput(input)));
  if (newInputs.length > 0) {
    await editor?.logInputs(newInputs);
    counts.inputs += newInputs.length;
    changes.push(`${newInputs.length} new dataset input(s)`);
  }

  await syncFiles(source, copy, context, lastComparedMs(copyTags), progress);
  return progress;
}

/**
 * Appends the source points the copy does not hold yet, exactly once.
 *
 * Writes go one batch at a time, in the source's order, so whatever a killed pass left behind, the
 * copy holds a PREFIX of the source history. The copy's history is fingerprinted (count + two
 * order-free sums, fingerprint.ts: memory does not grow with its length); the source history is
 * then read from its start, and once as many points were seen as the copy holds, the two
 * fingerprints must be equal - the copy is that prefix - and every later point is appended. When
 * they differ the copy is not a prefix (the source's history was changed, not appended to, or the
 * target dropped duplicate points): nothing is written for the key and it is reported.
 */
async function appendNewPoints(
  source: SourceRun,
  copy: SourceRun,
  key: string,
  copyHasKey: boolean,
  context: RunSyncContext,
): Promise<{ appended: number } | { mismatch: string }> {
  const have = newFingerprint();
  if (copyHasKey) {
    for await (const page of copy.metricHistory(key)) for (const point of page) addPoint(have, canonicalPoint(point));
  }
  const plain = await appendAfterPrefix(source, key, have, context, undefined);
  if (!('mismatch' in plain) || !context.targetStore.capabilities.dropsExactDuplicatePoints) return plain;
  // The target keeps an exact duplicate once (MLflow's SQL stores): the copy then holds the
  // DISTINCT points of a source prefix. Nothing was written above (a mismatch is found before the
  // first write), so the source is read again, this time counting each point once - this holds
  // the distinct points of this one history in memory, as verify does for such targets.
  return appendAfterPrefix(source, key, have, context, new Set<string>());
}

/** Fingerprints the source until it matches the copy (`have`), then appends the rest in order. */
async function appendAfterPrefix(
  source: SourceRun,
  key: string,
  have: Fingerprint,
  context: RunSyncContext,
  seen: Set<string> | undefined,
): Promise<{ appended: number } | { mismatch: string }> {
  const { targetStore, editor, signal } = context;
  const prefix = newFingerprint();
  let matched = have.count === 0;
  let pending: MetricPoint[] = [];
  let appended = 0;
  const maxPoints = targetStore.capabilities.batch.maxMetrics;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const points = pending;
    pending = [];
    signal?.throwIfAborted();
    // One write at a time: a kill leaves a prefix, never a hole (see above).
    await editor?.logMetrics([{ key, points }]);
    appended += points.length;
    context.onProgress(points.length, 0);
  };
  for await (const page of source.metricHistory(key)) {
    for (const point of page) {
      const canonical = canonicalPoint(point, storedValue(targetStore, point.value));
      if (seen) {
        if (seen.has(canonical)) continue;
        seen.add(canonical);
      }
      if (!matched) {
        addPoint(prefix, canonical);
        if (prefix.count === have.count) {
          if (!sameFingerprint(prefix, have)) {
            return { mismatch: `the copy's ${have.count} point(s) are not the first ${have.count} of the source's history; not synced (the source history was changed, not appended to)` };
          }
          matched = true;
        }
        continue;
      }
      pending.push(point);
      if (pending.length >= maxPoints) await flush();
    }
  }
  if (!matched) return { mismatch: `the copy holds ${have.count} point(s), the source only ${prefix.count}; not synced` };
  await flush();
  return { appended };
}

/**
 * New and changed files are written (again; file-change.ts says what counts); files the source no
 * longer has are deleted where the target can delete a file, else reported (the run then counts
 * as not up to date). Nothing is deleted when the source could not list all its files.
 */
async function syncFiles(source: SourceRun, copy: SourceRun, context: RunSyncContext, comparedMs: number | undefined, progress: RunSync): Promise<void> {
  const { targetStore, editor, signal } = context;
  const have = new Map<string, FileEntry>();
  for await (const file of copy.files()) have.set(file.path, file);
  for await (const file of source.files()) {
    signal?.throwIfAborted();
    if (unsafePathReason(file.path) !== undefined || targetStore.rejectPath?.(file.path) !== undefined) continue; // reported by the first copy
    const held = have.get(file.path);
    have.delete(file.path);
    const change = fileChange(file, held, comparedMs);
    if (!change) continue;
    if (editor) {
      const stream = await source.openFile(file.path);
      await editor.writeFile(file.path, counted(stream, file.size, file.path, (bytes) => context.onProgress(0, bytes)), file.size);
    } else {
      context.onProgress(0, file.size);
    }
    progress.counts.files += 1;
    progress.counts.bytes += file.size;
    progress.changes.push(describeFileChange(file.path, change, file, held));
  }
  // What is left in `have` is gone from the source (or a path the first copy refused: never there).
  const guard = deletionGuard(source.readIssues?.() ?? []);
  const gone = [...have.keys()].filter((path) => unsafePathReason(path) === undefined && !guard.keep.has(path)).sort();
  if (gone.length === 0) return;
  if (guard.blocked) {
    progress.problems.push(guard.blocked);
    return;
  }
  for (const path of gone) {
    signal?.throwIfAborted();
    try {
      if (editor) {
        if (!editor.deleteFile) throw new Error(`${targetStore.kind} copies cannot delete a file`);
        await editor.deleteFile(path);
      }
    } catch (error) {
      progress.problems.push(`file ${path} was deleted in the source; the copy keeps it: ${errorMessage(error)}`);
      continue;
    }
    progress.changes.push(`file ${path} deleted`);
  }
}

function storedValue(target: Store, value: number): number {
  if (target.capabilities.nonFinite === 'infinity-clamped' && (value === Infinity || value === -Infinity)) {
    return value > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
  }
  return value;
}

function canonicalInput(input: DatasetInput): string {
  const { name, digest, sourceType, source, schema, profile } = input.dataset;
  const tags = [...input.tags].sort((x, y) => (x.key < y.key ? -1 : 1)).map((tag) => [tag.key, tag.value]);
  return JSON.stringify([name, digest, sourceType, source, schema ?? '', profile ?? '', tags]);
}

function show(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}
