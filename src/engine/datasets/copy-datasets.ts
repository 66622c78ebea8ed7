/**
 * Copies the evaluation datasets associated with the source experiment, exactly once, as a sync:
 * 1. the target's copies are found by their `old_sys/dataset_id` tag (in the whole target
 *    workspace: a dataset shared by two copied experiments is copied once and associated with both);
 * 2. a dataset without a copy is created with its tags plus provenance in one write;
 * 3. the copy's records are listed once, keeping only each record's input hash (never the
 *    records), and the source's records are streamed page by page: a record whose inputs the
 *    copy has is left alone, the others are written;
 * 4. the copy's tags (and where the target keeps them, schema, profile, digest, times) are brought
 *    to the source's, and a copy not yet associated with the target experiment is associated.
 * A re-run with nothing new writes nothing; a record added in the source since is added.
 */
import { errorMessage } from '../../util/errors.js';
import type { Provenance } from '../runs/prepare.js';
import { DATASET_PROVENANCE, type DatasetCopy, type EvalDataset, type SourceDatasets, type TargetDatasets } from './contract.js';
import { inputHash } from './record-digest.js';
import type { DatasetResult } from './types.js';

export interface CopyDatasetsInput {
  source: SourceDatasets;
  /** Undefined on a dry run whose target project does not exist yet. */
  target: TargetDatasets | undefined;
  dryRun: boolean;
  origin: Provenance;
  signal?: AbortSignal;
  onDatasetDone?(result: DatasetResult): void;
}

/** The tags a copy carries: the source's, plus provenance, plus what the target cannot keep itself. */
export function copyTags(dataset: EvalDataset, origin: Provenance, targetKeepsFields: boolean): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(dataset.tags)) if (!key.startsWith('old_sys/')) tags[key] = value;
  tags[DATASET_PROVENANCE.datasetId] = dataset.datasetId;
  tags[DATASET_PROVENANCE.project] = origin.sourceProject;
  tags[DATASET_PROVENANCE.uri] = origin.sourceUri;
  if (!targetKeepsFields) {
    if (dataset.digest !== undefined) tags[DATASET_PROVENANCE.digest] = dataset.digest;
    if (dataset.createdTime !== undefined) tags[DATASET_PROVENANCE.createdTime] = String(dataset.createdTime);
    if (dataset.lastUpdateTime !== undefined) tags[DATASET_PROVENANCE.lastUpdateTime] = String(dataset.lastUpdateTime);
  }
  return tags;
}

export async function copyDatasets(input: CopyDatasetsInput): Promise<DatasetResult[]> {
  const { source, target, dryRun } = input;
  const copies = new Map<string, DatasetCopy[]>();
  if (target) {
    for await (const copy of target.listDatasetCopies()) {
      const sourceId = copy.tags[DATASET_PROVENANCE.datasetId]!;
      copies.set(sourceId, [...(copies.get(sourceId) ?? []), copy]);
    }
  }
  const results: DatasetResult[] = [];
  for await (const dataset of source.listDatasets()) {
    const result: DatasetResult = {
      sourceDatasetId: dataset.datasetId,
      name: dataset.name,
      outcome: dryRun ? 'planned' : 'copied',
      records: { source: 0, written: 0, alreadyThere: 0, merged: 0 },
    };
    if (input.signal?.aborted) {
      result.outcome = 'failed';
      result.reason = 'not started: the migration was interrupted';
    } else {
      try {
        await copyOne(input, dataset, copies.get(dataset.datasetId) ?? [], result);
      } catch (error) {
        result.outcome = 'failed';
        result.reason = errorMessage(error);
      }
    }
    results.push(result);
    input.onDatasetDone?.(result);
  }
  return results;
}

async function copyOne(input: CopyDatasetsInput, dataset: EvalDataset, found: DatasetCopy[], result: DatasetResult): Promise<void> {
  const { source, target, dryRun } = input;
  const notes: string[] = [];
  const changes: string[] = [];
  const copy = found[0];
  if (found.length > 1) notes.push(`duplicate copies in the target: ${found.slice(1).map((c) => c.datasetId).join(', ')} (the first, ${copy!.datasetId}, is kept up to date)`);
  const tags = target ? copyTags(dataset, input.origin, target.keepsDatasetFields) : {};

  // Input hashes of what the copy holds: one short string per record, never the records.
  const present = new Set<string>();
  if (copy && target) {
    for await (const page of target.readDatasetRecords(copy.datasetId)) for (const record of page) present.add(inputHash(record.inputs));
  }

  let targetId = copy?.datasetId;
  if (!dryRun && target && !targetId) {
    const created = await target.createDataset(dataset, tags);
    targetId = created.datasetId;
    notes.push(...created.notes);
  }
  if (targetId) result.targetDatasetId = targetId;
  if (!dryRun && target && copy && !copy.associated) {
    await target.associateDataset(copy.datasetId);
    changes.push('associated with the target experiment');
  }

  const merged: string[] = [];
  for await (const page of source.readDatasetRecords(dataset.datasetId)) {
    result.records.source += page.length;
    const missing = [];
    for (const record of page) {
      const hash = inputHash(record.inputs);
      if (!present.has(hash)) {
        present.add(hash);
        missing.push(record);
      } else if (copy) result.records.alreadyThere++;
      else {
        // Two source records with the same inputs: the target keeps one record per inputs.
        merged.push(record.recordId);
        result.records.merged++;
      }
    }
    if (missing.length === 0) continue;
    if (dryRun || !target || !targetId) {
      result.records.written += missing.length;
      continue;
    }
    const written = await target.writeDatasetRecords(targetId, missing);
    result.records.written += written.inserted;
    result.records.merged += written.merged;
    merged.push(...written.mergedIds);
    notes.push(...written.notes);
  }
  if (merged.length > 0) result.mergedRecords = merged;

  if (!dryRun && target && copy) changes.push(...(await target.updateDataset(copy, dataset, tags)));
  if (!dryRun && copy) result.outcome = result.records.written > 0 || changes.length > 0 ? 'updated' : 'skipped';
  if (dryRun && copy && result.records.written === 0) {
    result.outcome = 'skipped';
    result.reason = `already copied to ${copy.datasetId}`;
  }
  if (changes.length > 0) result.changes = changes;
  if (notes.length > 0) result.notes = notes;
}
