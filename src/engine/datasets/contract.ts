/**
 * The evaluation-datasets part of the backend contract (MLflow 3 GenAI, issue 17): optional
 * abilities discovered at run time, like traces (../traces/contract.ts). A project that has them
 * gives or takes the evaluation datasets associated with its experiment; one that has not is
 * reported ("cannot hold evaluation datasets"), never silently skipped.
 *
 * JSON fields (inputs, expectations, outputs, tags, source) are lossless documents
 * (model/python-json.ts): a number keeps its digits, so `1.0` stays a float on the way through.
 */
import type { JsonDoc } from '../../model/python-json.js';

/** A dataset without its records. Times are epoch milliseconds. */
export interface EvalDataset {
  datasetId: string;
  name: string;
  /** The dataset's tags, values as text (MLflow keeps them as strings). */
  tags: Record<string, string>;
  /** JSON text as the store keeps it ({"inputs": {...}, ..., "version": "1.0"}); absent before any record. */
  schema?: string;
  /** JSON text ({"num_records": N}). */
  profile?: string;
  digest?: string;
  createdTime?: number;
  lastUpdateTime?: number;
  createdBy?: string;
  lastUpdatedBy?: string;
}

export interface DatasetRecord {
  recordId: string;
  inputs: JsonDoc;
  expectations?: JsonDoc;
  /** The record's outputs as MLflow's API gives them (the database wraps them in {"mlflow_wrapped": ...}). */
  outputs?: JsonDoc;
  tags?: JsonDoc;
  /** {"source_type": ..., "source_data": {...}}. */
  source?: JsonDoc;
  sourceType?: string;
  sourceId?: string;
  createdTime?: number;
  lastUpdateTime?: number;
  createdBy?: string;
  lastUpdatedBy?: string;
}

export interface SourceDatasets {
  /** The datasets associated with the project's experiment. */
  listDatasets(): AsyncIterable<EvalDataset>;
  /** One dataset's records, page by page, in the store's order. */
  readDatasetRecords(datasetId: string): AsyncIterable<DatasetRecord[]>;
  /** Does this store keep what a writer gives it (ids, times, schema, profile, digest)? Verify compares them only then. */
  readonly keepsDatasetFields: boolean;
}

/** A dataset of the target that names its source through the `old_sys/dataset_id` tag. */
export interface DatasetCopy extends EvalDataset {
  /** Associated with the target experiment already. */
  associated: boolean;
}

export interface RecordWrite {
  /** Records the target took as new ones. */
  inserted: number;
  /** Records the target merged into one it had (same inputs): count, and the source ids when known. */
  merged: number;
  mergedIds: string[];
  /** Ids the target minted or changed (source record id -> target record id), when it says. */
  notes: string[];
}

export interface TargetDatasets {
  /** Every dataset of the target workspace that carries `old_sys/dataset_id`. */
  listDatasetCopies(): AsyncIterable<DatasetCopy>;
  /** The target's records of one dataset, page by page. */
  readDatasetRecords(datasetId: string): AsyncIterable<DatasetRecord[]>;
  /**
   * Creates the copy, associated with the target experiment, with `tags` (the source's plus
   * provenance) in the same write, so that a copy is never found without its provenance.
   * Answers the new dataset's id and notes on what the store did not keep.
   */
  createDataset(dataset: EvalDataset, tags: Record<string, string>): Promise<{ datasetId: string; notes: string[] }>;
  /** Associates an existing copy with the target experiment. */
  associateDataset(datasetId: string): Promise<void>;
  /** Writes records that the copy does not hold yet (by inputs). */
  writeDatasetRecords(datasetId: string, records: DatasetRecord[]): Promise<RecordWrite>;
  /**
   * Replaces records of the copy whose content differs from the source's (same inputs): the
   * target's record id with the source record to put in its place.
   */
  replaceDatasetRecords(datasetId: string, records: Array<{ targetRecordId: string; record: DatasetRecord }>): Promise<void>;
  /** Removes records of the copy whose inputs the source no longer has. */
  deleteDatasetRecords(datasetId: string, targetRecordIds: string[]): Promise<void>;
  /** Brings the copy's tags (and, where settable, schema, profile, digest, times) to the source's; answers what changed. */
  updateDataset(copy: DatasetCopy, source: EvalDataset, tags: Record<string, string>): Promise<string[]>;
  readonly keepsDatasetFields: boolean;
}

export function sourceDatasetsOf(project: object | undefined): SourceDatasets | undefined {
  const p = project as Partial<SourceDatasets> | undefined;
  return p && typeof p.listDatasets === 'function' && typeof p.readDatasetRecords === 'function' ? (p as SourceDatasets) : undefined;
}

export function targetDatasetsOf(project: object | undefined): TargetDatasets | undefined {
  const p = project as Partial<TargetDatasets> | undefined;
  return p && typeof p.listDatasetCopies === 'function' && typeof p.writeDatasetRecords === 'function' ? (p as TargetDatasets) : undefined;
}

/** Provenance tags of a dataset copy (same scheme as runs' old_sys/*). */
export const DATASET_PROVENANCE = {
  datasetId: 'old_sys/dataset_id',
  project: 'old_sys/project',
  uri: 'old_sys/uri',
  digest: 'old_sys/dataset_digest',
  createdTime: 'old_sys/created_time',
  lastUpdateTime: 'old_sys/last_update_time',
} as const;

export function isProvenanceTag(key: string): boolean {
  return key.startsWith('old_sys/');
}
