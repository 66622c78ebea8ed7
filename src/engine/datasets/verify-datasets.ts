/**
 * verify for evaluation datasets: pairs each source dataset with its copy (the target
 * experiment's dataset whose `old_sys/dataset_id` names it) and compares name, tags (provenance
 * left out), schema and profile (as JSON, key order aside), digest and times (where the target
 * keeps them; else the provenance tags that hold them), and every record by its inputs.
 * Records stream: the copy's records are read page by page into one short digest per record
 * (record-digest.ts), then the source's pages are compared against them; no record is held.
 */
import { errorMessage } from '../../util/errors.js';
import { inShard } from '../filters.js';
import type { Shard } from '../types.js';
import { docObject, parseJsonDoc, type JsonDoc } from '../../model/python-json.js';
import { DATASET_PROVENANCE, isProvenanceTag, sourceDatasetsOf, type EvalDataset, type SourceDatasets } from './contract.js';
import { canonicalJsonText, inputHash, recordDigest, sortedPythonJson } from './record-digest.js';

type JsonObject = { [key: string]: JsonDoc };

export type DatasetVerifyStatus = 'ok' | 'missing' | 'different' | 'duplicated' | 'error';

export interface VerifyDatasetResult {
  sourceDatasetId: string;
  name: string;
  targetDatasetIds: string[];
  status: DatasetVerifyStatus;
  differences: string[];
  /** Source records compared. */
  records: number;
}

export interface VerifyDatasetsReport {
  clean: boolean;
  summary: { datasets: number; ok: number; missing: number; different: number; duplicated: number; error: number; extra: number; records: number };
  /** Why the datasets were not compared (the target cannot hold them). */
  notCompared?: string;
  datasets: VerifyDatasetResult[];
  /** Copies in the target experiment whose source dataset is not associated with the source experiment. */
  extra: Array<{ targetDatasetId: string; sourceDatasetId: string }>;
}

export interface VerifyDatasetsInput {
  source: object;
  /** The target project, opened for reading. */
  target: object;
  targetKind: string;
  /** A shard's share (by dataset id), as the copy took it. */
  shard?: Shard;
}

/** At most this many record differences are listed per dataset; the counts say the rest. */
const LISTED = 20;

export async function verifyDatasets(input: VerifyDatasetsInput): Promise<VerifyDatasetsReport | undefined> {
  const source = sourceDatasetsOf(input.source);
  if (!source) return undefined;
  const target = sourceDatasetsOf(input.target);
  const summary: VerifyDatasetsReport['summary'] = { datasets: 0, ok: 0, missing: 0, different: 0, duplicated: 0, error: 0, extra: 0, records: 0 };
  if (!target) {
    for await (const dataset of source.listDatasets()) if (inShard(dataset.datasetId, input.shard)) summary.datasets++;
    return { clean: true, summary, notCompared: `${input.targetKind} stores cannot hold evaluation datasets: not compared (copy reports them as not copied)`, datasets: [], extra: [] };
  }
  const copies = new Map<string, EvalDataset[]>();
  for await (const dataset of target.listDatasets()) {
    const sourceId = dataset.tags[DATASET_PROVENANCE.datasetId];
    if (sourceId !== undefined) copies.set(sourceId, [...(copies.get(sourceId) ?? []), dataset]);
  }
  const datasets: VerifyDatasetResult[] = [];
  const seen = new Set<string>();
  for await (const dataset of source.listDatasets()) {
    seen.add(dataset.datasetId);
    if (!inShard(dataset.datasetId, input.shard)) continue;
    const found = copies.get(dataset.datasetId) ?? [];
    const result: VerifyDatasetResult = { sourceDatasetId: dataset.datasetId, name: dataset.name, targetDatasetIds: found.map((c) => c.datasetId), status: 'ok', differences: [], records: 0 };
    if (found.length === 0) {
      result.status = 'missing';
      result.differences.push('no copy in the target experiment');
    } else {
      try {
        compareDataset(dataset, found[0]!, target.keepsDatasetFields, result.differences);
        result.records = await compareRecords(source, target, dataset.datasetId, found[0]!.datasetId, target.keepsDatasetFields && source.keepsDatasetFields, result.differences);
        if (found.length > 1) {
          result.status = 'duplicated';
          result.differences.unshift(`${found.length} copies in the target`);
        } else if (result.differences.length > 0) result.status = 'different';
      } catch (error) {
        result.status = 'error';
        result.differences.push(errorMessage(error));
      }
    }
    summary.datasets++;
    summary[result.status]++;
    summary.records += result.records;
    datasets.push(result);
  }
  const extra: VerifyDatasetsReport['extra'] = [];
  for (const [sourceDatasetId, list] of copies) {
    if (!seen.has(sourceDatasetId) && inShard(sourceDatasetId, input.shard)) for (const copy of list) extra.push({ sourceDatasetId, targetDatasetId: copy.datasetId });
  }
  summary.extra = extra.length;
  return { clean: summary.ok === summary.datasets && extra.length === 0, summary, datasets, extra };
}

function compareDataset(source: EvalDataset, copy: EvalDataset, targetKeeps: boolean, differences: string[]): void {
  const differ = (what: string, a: unknown, b: unknown): void => {
    if (a !== b) differences.push(`${what}: source ${JSON.stringify(a)}, copy ${JSON.stringify(b)}`);
  };
  differ('name', source.name, copy.name);
  const keys = new Set([...Object.keys(source.tags), ...Object.keys(copy.tags)].filter((key) => !isProvenanceTag(key)));
  for (const key of [...keys].sort()) differ(`tag ${key}`, source.tags[key], copy.tags[key]);
  if (targetKeeps) differ('schema', canonicalJsonText(source.schema, parseJsonDoc), canonicalJsonText(copy.schema, parseJsonDoc));
  else schemaCovered(source.schema, copy.schema, differences);
  differ('profile', canonicalJsonText(source.profile, parseJsonDoc), canonicalJsonText(copy.profile, parseJsonDoc));
  if (targetKeeps) {
    differ('digest', source.digest, copy.digest);
    differ('created_time', source.createdTime, copy.createdTime);
    differ('last_update_time', source.lastUpdateTime, copy.lastUpdateTime);
    differ('created_by', source.createdBy, copy.createdBy);
    differ('last_updated_by', source.lastUpdatedBy, copy.lastUpdatedBy);
  } else {
    const asText = (n: number | undefined): string | undefined => (n === undefined ? undefined : String(n));
    differ(`digest (tag ${DATASET_PROVENANCE.digest})`, source.digest, copy.tags[DATASET_PROVENANCE.digest]);
    differ(`created_time (tag ${DATASET_PROVENANCE.createdTime})`, asText(source.createdTime), copy.tags[DATASET_PROVENANCE.createdTime]);
  }
}

/**
 * A server computes the copy's schema from the records it was given and never removes a field
 * (a record deleted or replaced leaves its fields in): every field of the source's schema must be
 * in the copy's with the same type; fields only the copy has are not a difference.
 */
function schemaCovered(sourceText: string | undefined, copyText: string | undefined, differences: string[]): void {
  if (sourceText === undefined || sourceText === '') return;
  if (copyText === undefined || copyText === '') {
    differences.push('schema: the copy has none');
    return;
  }
  let sourceSchema: JsonObject;
  let copySchema: JsonObject;
  try {
    sourceSchema = docObject(parseJsonDoc(sourceText)) ?? {};
    copySchema = docObject(parseJsonDoc(copyText)) ?? {};
  } catch {
    if (sourceText !== copyText) differences.push('schema: not JSON, and the texts differ');
    return;
  }
  for (const [section, fields] of Object.entries(sourceSchema)) {
    const sourceFields = docObject(fields);
    if (!sourceFields) {
      if (sortedPythonJson(fields) !== sortedPythonJson(copySchema[section] ?? null)) differences.push(`schema ${section}: source ${sortedPythonJson(fields)}, copy ${sortedPythonJson(copySchema[section] ?? null)}`);
      continue;
    }
    const copyFields = docObject(copySchema[section]) ?? {};
    for (const [field, type] of Object.entries(sourceFields)) {
      if (sortedPythonJson(type) !== sortedPythonJson(copyFields[field] ?? null)) differences.push(`schema ${section}.${field}: source ${sortedPythonJson(type)}, copy ${sortedPythonJson(copyFields[field] ?? null)}`);
    }
  }
}

async function compareRecords(source: SourceDatasets, target: SourceDatasets, sourceId: string, targetId: string, timesKept: boolean, differences: string[]): Promise<number> {
  const digestOf = (record: Parameters<typeof recordDigest>[0]): Record<string, string> => {
    const digest = recordDigest(record);
    if (timesKept) digest.times = `${record.createdTime ?? ''}/${record.lastUpdateTime ?? ''}`;
    return digest;
  };
  // The copy's records, one short digest per record.
  const copyRecords = new Map<string, Record<string, string>>();
  for await (const page of target.readDatasetRecords(targetId)) for (const record of page) copyRecords.set(inputHash(record.inputs), digestOf(record));
  let compared = 0;
  let missing = 0;
  let different = 0;
  for await (const page of source.readDatasetRecords(sourceId)) {
    for (const record of page) {
      compared++;
      const hash = inputHash(record.inputs);
      const copy = copyRecords.get(hash);
      if (!copy) {
        if (++missing <= LISTED) differences.push(`record ${record.recordId}: not in the copy`);
        continue;
      }
      copyRecords.delete(hash);
      const mine = digestOf(record);
      const fields = Object.keys(mine).filter((field) => mine[field] !== copy[field]);
      if (fields.length > 0 && ++different <= LISTED) differences.push(`record ${record.recordId}: ${fields.join(', ')} differ`);
    }
  }
  if (missing > LISTED) differences.push(`${missing - LISTED} more records not in the copy`);
  if (different > LISTED) differences.push(`${different - LISTED} more records differ`);
  if (copyRecords.size > 0) differences.push(`${copyRecords.size} record(s) in the copy have no source record with the same inputs`);
  return compared;
}
