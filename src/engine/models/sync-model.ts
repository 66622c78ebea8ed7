/**
 * A re-run meets a logged model that has a complete copy: bring the copy up to date with its
 * source (DESIGN rule 12; docs/sync.md "Logged models"). Deciding is cheap: the source's listing
 * gives each model a state token (LoggedModelInfo.stateToken) and the copy records the token it
 * was last synced with (`runs_migrator.source_state`); equal tokens mean the copy is not opened.
 * Otherwise source and copy are compared under the mapping the first copy used, and only the
 * differences are written:
 *
 * - params: a new one is logged; a CHANGED one is a conflict - MLflow logged-model params are
 *   write-once (a second value for a key is a 400 on a real server) - nothing is written to the
 *   model and it is reported as failed;
 * - status (finalize), tags set, changed and deleted (never provenance, our bookkeeping or the
 *   registry's mlflow.modelVersions);
 * - metric rows the copy lacks (run remapped);
 * - files new or of another size written again; files gone from the source deleted where the
 *   store can delete a file, else reported (the model is then not up to date: failed);
 * - the new token last, so a pass killed before it compares the model again next time. Every
 *   write above is idempotent (set-based), so a repeated pass never duplicates anything.
 */
import type { Store } from '../../backends/contract.js';
import type { ModelCopyEditor, ModelCopyRecord, ModelMetric, SourceModel } from '../../backends/model-contract.js';
import { MODEL_PROVENANCE_KEYS, MODEL_VERSIONS_TAG } from '../../model/model-provenance.js';
import { PROVENANCE } from '../../model/provenance.js';
import type { FileEntry, KeyValue } from '../../model/run.js';
import { deletionGuard, describeFileChange, fileChange, lastComparedMs } from '../file-change.js';
import { errorMessage } from '../../util/errors.js';
import { counted } from '../runs/copy-run.js';
import { unsafePathReason } from '../paths.js';
import { prepareValues } from '../runs/prepare.js';
import type { RunIssue } from '../types.js';
import type { ModelCounts } from './model-types.js';

export interface ModelSyncContext {
  targetStore: Store;
  /** Opened also in a dry run (opening writes nothing), where it is only asked what it can do. */
  editor: ModelCopyEditor;
  dryRun: boolean;
  /** Source run id -> run id of its copy. */
  runCopies: Map<string, string>;
  onBytes(bytes: number): void;
  signal?: AbortSignal;
}

export interface ModelSync {
  /** One line each ("status PENDING -> READY", "tag stage changed", "file MLmodel added"). */
  changes: string[];
  /** Params whose value changed in the source: nothing was written. */
  conflicts: string[];
  /** What could not be brought up to date, and why (the model then counts as failed). */
  problems: string[];
  counts: ModelCounts;
  issues: RunIssue[];
}

/** True when the copy may be behind its source: only then is it opened. */
export function modelCopyMayBeBehind(token: string | undefined, kept: ModelCopyRecord): boolean {
  return token === undefined || kept.sourceState !== token;
}

/** Tags a sync never deletes on a model copy. */
function keptByTarget(key: string): boolean {
  return key === MODEL_VERSIONS_TAG || MODEL_PROVENANCE_KEYS.has(key) || key.startsWith('old_sys/') || key.startsWith('runs_migrator.');
}

export async function syncModel(
  context: ModelSyncContext,
  source: SourceModel,
  copy: SourceModel,
  token: string | undefined,
  sync: ModelSync,
): Promise<ModelSync> {
  const { targetStore, signal } = context;
  const editor = context.dryRun ? undefined : context.editor;
  // Before the source is read: a file modified after this moment is found by the next pass.
  const started = Date.now();
  const [params, tags, copyParams, copyTags] = await Promise.all([source.params(), source.tags(), copy.params(), copy.tags()]);
  // The same mapping as the first copy (copy-models.ts): provenance-like source tags are not the user's.
  const values = prepareValues(params, tags.filter((tag) => !keptByTarget(tag.key)), targetStore, undefined, sync.issues);

  const haveParams = new Map(copyParams.map((p) => [p.key, p.value]));
  const newParams: KeyValue[] = [];
  for (const param of values.params) {
    const value = haveParams.get(param.key);
    if (value === undefined) newParams.push(param);
    else if (value !== param.value) sync.conflicts.push(`param ${param.key}: the source now has ${show(param.value)}, the copy keeps ${show(value)} (logged-model params are write-once)`);
  }
  if (sync.conflicts.length > 0) return sync;

  if (newParams.length > 0) {
    signal?.throwIfAborted();
    await editor?.logParams(newParams);
    sync.counts.params += newParams.length;
    sync.changes.push(`${newParams.length} new param(s): ${newParams.map((p) => p.key).join(', ')}`);
  }

  const haveTags = new Map(copyTags.map((t) => [t.key, t.value]));
  const setTags = values.tags.filter((tag) => haveTags.get(tag.key) !== tag.value);
  const wanted = new Set(values.tags.map((tag) => tag.key));
  const deleteKeys = copyTags.map((t) => t.key).filter((key) => !wanted.has(key) && !keptByTarget(key));
  if (setTags.length > 0) {
    signal?.throwIfAborted();
    await editor?.setTags(setTags);
    sync.counts.tags += setTags.length;
    for (const tag of setTags) sync.changes.push(`tag ${tag.key} ${haveTags.has(tag.key) ? 'changed' : 'set'}`);
  }
  if (deleteKeys.length > 0) {
    signal?.throwIfAborted();
    await editor?.deleteTags(deleteKeys);
    for (const key of deleteKeys) sync.changes.push(`tag ${key} deleted`);
  }

  await syncMetrics(context, source, copy, sync);
  await syncFiles(context, source, copy, lastComparedMs(copyTags), sync);

  // The status last but one: a model turning READY is complete on the target once its files are.
  if (source.info.status !== copy.info.status) {
    signal?.throwIfAborted();
    await editor?.setStatus(source.info.status);
    sync.changes.push(`status ${copy.info.status} -> ${source.info.status}`);
  }
  // A source that could not be read whole is compared again next time: no token.
  if (sync.problems.length > 0 || (source.readIssues?.() ?? []).some((issue) => issue.lost)) return sync;
  const bookkeeping: KeyValue[] = [];
  if (token !== undefined && haveTags.get(PROVENANCE.sourceState) !== token) bookkeeping.push({ key: PROVENANCE.sourceState, value: token });
  if (bookkeeping.length > 0 || sync.changes.length > 0) bookkeeping.push({ key: PROVENANCE.syncedAt, value: String(started) });
  if (editor && bookkeeping.length > 0) await editor.setTags(bookkeeping);
  return sync;
}

/** Metric rows of the source (run remapped) the copy lacks are logged; rows of runs without a copy were reported by the first copy. */
async function syncMetrics(context: ModelSyncContext, source: SourceModel, copy: SourceModel, sync: ModelSync): Promise<void> {
  const editor = context.dryRun ? undefined : context.editor;
  const have = new Set((await copy.metrics()).map((m) => metricId(m, m.runId)));
  const missing: ModelMetric[] = [];
  for (const metric of await source.metrics()) {
    const runId = metric.runId ? context.runCopies.get(metric.runId) : undefined;
    if (!runId) continue;
    const id = metricId(metric, runId);
    if (have.has(id)) continue;
    have.add(id);
    missing.push({ ...metric, runId });
  }
  if (missing.length === 0) return;
  context.signal?.throwIfAborted();
  await editor?.logMetrics(missing);
  sync.counts.metrics += missing.length;
  sync.changes.push(`${missing.length} new metric row(s)`);
}

/** Files compared by path and size (docs/sync.md says what each store can offer beyond that). */
async function syncFiles(context: ModelSyncContext, source: SourceModel, copy: SourceModel, comparedMs: number | undefined, sync: ModelSync): Promise<void> {
  const { targetStore, signal } = context;
  const editor = context.dryRun ? undefined : context.editor;
  const have = new Map<string, FileEntry>();
  for await (const file of copy.files()) have.set(file.path, file);
  for await (const file of source.files()) {
    signal?.throwIfAborted();
    if (unsafePathReason(file.path) !== undefined || targetStore.rejectPath?.(file.path) !== undefined) {
      have.delete(file.path);
      continue; // reported by the first copy
    }
    const held = have.get(file.path);
    have.delete(file.path);
    const change = fileChange(file, held, comparedMs);
    if (!change) continue;
    if (editor) await editor.writeFile(file.path, counted(await source.openFile(file.path), file.size, file.path, context.onBytes), file.size);
    else context.onBytes(file.size);
    sync.counts.files += 1;
    sync.counts.bytes += file.size;
    sync.changes.push(describeFileChange(file.path, change, file, held));
  }
  // What is left was deleted in the source - unless the source could not list all its files.
  const guard = deletionGuard(source.readIssues?.() ?? []);
  const gone = [...have.keys()].filter((path) => !guard.keep.has(path)).sort();
  if (gone.length === 0) return;
  if (guard.blocked) {
    sync.problems.push(guard.blocked);
    return;
  }
  for (const path of gone) {
    const cannot = (reason: string) => sync.problems.push(`file ${path} was deleted in the source; the copy keeps it: ${reason}`);
    if (!context.editor.deleteFile) {
      cannot(`${targetStore.kind} model copies cannot delete a file`);
      continue;
    }
    signal?.throwIfAborted();
    try {
      await editor?.deleteFile?.(path);
    } catch (error) {
      cannot(errorMessage(error));
      continue;
    }
    sync.changes.push(`file ${path} deleted`);
  }
}

function metricId(m: ModelMetric, runId: string | undefined): string {
  const value = Number.isNaN(m.value) ? 'NaN' : String(m.value);
  return JSON.stringify([m.key, value, m.timestamp, String(m.step), runId ?? '', m.datasetName ?? '', m.datasetDigest ?? '']);
}

function show(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}
