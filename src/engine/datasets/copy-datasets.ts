/**
 * Copies the evaluation datasets associated with the source experiment, exactly once, as a sync:
 * 1. the target's copies are found by their `old_sys/dataset_id` tag (in the whole target
 *    workspace: a dataset shared by two copied experiments is copied once and associated with both);
 * 2. a dataset without a copy is created with its tags plus provenance in one write;
 * 3. the copy's records are listed once, keeping only each record's input hash, id and a
 *    content digest (never the records), and the source's records are streamed page by page: a
 *    record the copy has as it is is left alone, one whose content changed is replaced, a new one
 *    is written, and the copy's records whose inputs the source no longer has are deleted;
 * 4. the copy's tags (and where the target keeps them, schema, profile, digest, times) are brought
 *    to the source's, and a copy not yet associated with the target experiment is associated.
 * A re-run with nothing new writes nothing; a record added in the source since is added.
 */
import { errorMessage } from '../../util/errors.js';
import type { Provenance } from '../runs/prepare.js';
import { DATASET_PROVENANCE, type DatasetCopy, type DatasetRecord, type EvalDataset, type SourceDatasets, type TargetDatasets } from './contract.js';
import { inputHash, recordDigest } from './record-digest.js';
import type { DatasetResult } from './types.js';

export interface CopyDatasetsInput {
  source: SourceDatasets;
  /** Undefined on a dry run whose target project does not exist yet. */
  target: TargetDatasets | undefined;
  dryRun: boolean;
  origin: Provenance;
  signal?: AbortSignal;
  /** Which datasets this process copies (a shard's share, by dataset id); all when absent. */
  select?(datasetId: string): boolean;
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
  // The target's copies are listed once, and only when the source has a dataset to copy (most
  // experiments have none: their copy then costs the target no request).
  let copies: Map<string, DatasetCopy[]> | undefined;
  const copiesOf = async (): Promise<Map<string, DatasetCopy[]>> => {
    if (copies) return copies;
    // Kept only when the whole listing was read: a partial one would make copies of copies.
    const listed = new Map<string, DatasetCopy[]>();
    if (target) {
      for await (const copy of target.listDatasetCopies()) {
        const sourceId = copy.tags[DATASET_PROVENANCE.datasetId]!;
        listed.set(sourceId, [...(listed.get(sourceId) ?? []), copy]);
      }
    }
    copies = listed;
    return copies;
  };
  const results: DatasetResult[] = [];
  for await (const dataset of source.listDatasets()) {
    if (input.select && !input.select(dataset.datasetId)) continue;
    const result: DatasetResult = {
      sourceDatasetId: dataset.datasetId,
      name: dataset.name,
      outcome: dryRun ? 'planned' : 'copied',
      records: { source: 0, written: 0, alreadyThere: 0, merged: 0, replaced: 0, deleted: 0 },
    };
    if (input.signal?.aborted) {
      result.outcome = 'failed';
      result.reason = 'not started: the migration was interrupted';
    } else {
      try {
        await copyOne(input, dataset, (await copiesOf()).get(dataset.datasetId) ?? [], result);
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

/** What the sync keeps of one record of the copy: its id and a digest of its content, never the record. */
interface CopiedRecord {
  targetRecordId: string;
  content: string;
  seen: boolean;
}

const contentOf = (record: DatasetRecord): string => Object.values(recordDigest(record)).join('');

async function copyOne(input: CopyDatasetsInput, dataset: EvalDataset, found: DatasetCopy[], result: DatasetResult): Promise<void> {
  const { source, target, dryRun } = input;
  const notes: string[] = [];
  const changes: string[] = [];
  const copy = found[0];
  if (found.length > 1) notes.push(`duplicate copies in the target: ${found.slice(1).map((c) => c.datasetId).join(', ')} (the first, ${copy!.datasetId}, is kept up to date)`);
  const tags = target ? copyTags(dataset, input.origin, target.keepsDatasetFields) : {};

  // The copy's records by input hash: id and content digest only.
  const present = new Map<string, CopiedRecord>();
  if (copy && target) {
    for await (const page of target.readDatasetRecords(copy.datasetId)) {
      for (const record of page) present.set(inputHash(record.inputs), { targetRecordId: record.recordId, content: contentOf(record), seen: false });
    }
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
  const writing = !dryRun && target !== undefined && targetId !== undefined;

  const merged: string[] = [];
  for await (const page of source.readDatasetRecords(dataset.datasetId)) {
    result.records.source += page.length;
    const missing: DatasetRecord[] = [];
    const changed: Array<{ targetRecordId: string; record: DatasetRecord }> = [];
    for (const record of page) {
      const hash = inputHash(record.inputs);
      const there = present.get(hash);
      if (!there) {
        present.set(hash, { targetRecordId: '', content: contentOf(record), seen: true });
        missing.push(record);
      } else if (there.seen) {
        // Two source records with the same inputs: the target keeps one record per inputs.
        merged.push(record.recordId);
        result.records.merged++;
      } else {
        there.seen = true;
        if (there.content === contentOf(record)) result.records.alreadyThere++;
        else changed.push({ targetRecordId: there.targetRecordId, record });
      }
    }
    if (!writing) {
      result.records.written += missing.length;
      result.records.replaced += changed.length;
      continue;
    }
    if (changed.length > 0) {
      await target!.replaceDatasetRecords(targetId!, changed);
      result.records.replaced += changed.length;
    }
    if (missing.length === 0) continue;
    const written = await target!.writeDatasetRecords(targetId!, missing);
    result.records.written += written.inserted;
    result.records.merged += written.merged;
    merged.push(...written.mergedIds);
    notes.push(...written.notes);
  }
  if (merged.length > 0) result.mergedRecords = merged;

  // Records of the copy whose inputs the source no longer has: the copy follows its source.
  const gone = [...present.values()].filter((record) => !record.seen).map((record) => record.targetRecordId);
  present.clear();
  if (gone.length > 0) {
    if (writing) await target!.deleteDatasetRecords(targetId!, gone);
    result.records.deleted += gone.length;
  }

  if (!dryRun && target && copy) changes.push(...(await target.updateDataset(copy, dataset, tags)));
  const recordChanges = result.records.written + result.records.replaced + result.records.deleted;
  if (!dryRun && copy) result.outcome = recordChanges > 0 || changes.length > 0 ? 'updated' : 'skipped';
  if (dryRun && copy && recordChanges === 0) {
    result.outcome = 'skipped';
    result.reason = `already copied to ${copy.datasetId}`;
  }
  if (changes.length > 0) result.changes = changes;
  if (notes.length > 0) result.notes = notes;
}
