/**
 * Evaluation datasets through an MLflow server's REST routes (/api/3.0/mlflow/datasets, recorded
 * in `datasets-crud` and `datasets-records`):
 * - tags travel as a JSON-encoded string, records as a JSON-encoded string of a list, both ways;
 * - the server mints dataset and record ids and times, and computes schema, profile and digest
 *   from the records itself: none of them can be set (keepsDatasetFields = false);
 * - a record upsert de-duplicates by inputs (an existing record's expectations and tags are
 *   merged, its outputs replaced) and answers {inserted_count, updated_count}.
 * Records are parsed losslessly (python-json.ts), so numbers keep their digits.
 */
import type { DatasetCopy, DatasetRecord, EvalDataset, RecordWrite, SourceDatasets, TargetDatasets } from '../../engine/datasets/contract.js';
import { DATASET_PROVENANCE } from '../../engine/datasets/contract.js';
import { docObject, dumpPythonJson, parseJsonDoc, type JsonDoc } from '../../model/python-json.js';
import type { MlflowHttpClient } from './http-client.js';
import { asArray, asRecord, toStr } from './json.js';

const BASE = '/api/3.0/mlflow/datasets';
const SEARCH_PAGE = 1000;
const RECORDS_PAGE = 1000;
/** Records per upsert request; a batch also stops growing at RECORD_BATCH_BYTES of JSON. */
const RECORD_BATCH = 200;
const RECORD_BATCH_BYTES = 4 * 1024 * 1024;

const datasetPath = (id: string): string => `${BASE}/${encodeURIComponent(id)}`;

function numberOf(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(typeof value === 'object' ? String((value as { value?: unknown }).value ?? value) : value);
  return Number.isFinite(n) ? n : undefined;
}

function tagsOf(text: unknown): Record<string, string> {
  if (typeof text !== 'string' || text === '') return {};
  const parsed = docObject(parseJsonDoc(text)) ?? {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) out[key] = typeof value === 'string' ? value : dumpPythonJson(value);
  return out;
}

export function datasetOf(doc: unknown): EvalDataset {
  const d = asRecord(doc);
  const out: EvalDataset = { datasetId: toStr(d.dataset_id) ?? '', name: toStr(d.name) ?? '', tags: tagsOf(d.tags) };
  const schema = toStr(d.schema);
  const profile = toStr(d.profile);
  const digest = toStr(d.digest);
  if (schema) out.schema = schema;
  if (profile) out.profile = profile;
  if (digest) out.digest = digest;
  const created = numberOf(d.created_time);
  const updated = numberOf(d.last_update_time);
  if (created !== undefined) out.createdTime = created;
  if (updated !== undefined) out.lastUpdateTime = updated;
  if (toStr(d.created_by)) out.createdBy = toStr(d.created_by)!;
  if (toStr(d.last_updated_by)) out.lastUpdatedBy = toStr(d.last_updated_by)!;
  return out;
}

function recordOf(doc: JsonDoc): DatasetRecord {
  const r = docObject(doc) ?? {};
  const str = (value: JsonDoc | undefined): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  const out: DatasetRecord = { recordId: str(r.dataset_record_id) ?? '', inputs: r.inputs ?? {} };
  if (r.expectations !== undefined) out.expectations = r.expectations;
  if (r.outputs !== undefined) out.outputs = r.outputs;
  if (r.tags !== undefined) out.tags = r.tags;
  if (r.source !== undefined) out.source = r.source;
  if (str(r.source_type)) out.sourceType = str(r.source_type)!;
  if (str(r.source_id)) out.sourceId = str(r.source_id)!;
  const created = numberOf(r.created_time);
  const updated = numberOf(r.last_update_time);
  if (created !== undefined) out.createdTime = created;
  if (updated !== undefined) out.lastUpdateTime = updated;
  if (str(r.created_by)) out.createdBy = str(r.created_by)!;
  if (str(r.last_updated_by)) out.lastUpdatedBy = str(r.last_updated_by)!;
  return out;
}

/** What an upsert sends of a record: ids and times would be ignored by the server, so they are not sent. */
function recordText(record: DatasetRecord): string {
  const fields: Array<[string, JsonDoc]> = [['inputs', record.inputs]];
  if (record.expectations !== undefined && record.expectations !== null) fields.push(['expectations', record.expectations]);
  if (record.outputs !== undefined && record.outputs !== null) fields.push(['outputs', record.outputs]);
  if (record.tags !== undefined && record.tags !== null) fields.push(['tags', record.tags]);
  if (record.source !== undefined && record.source !== null) fields.push(['source', record.source]);
  return `{${fields.map(([key, value]) => `"${key}": ${dumpPythonJson(value)}`).join(', ')}}`;
}

async function* searchDatasets(client: MlflowHttpClient, workspace: string, experimentId: string | undefined): AsyncIterable<EvalDataset> {
  let token: string | undefined;
  do {
    const body: Record<string, unknown> = { max_results: SEARCH_PAGE };
    if (experimentId !== undefined) body.experiment_ids = [experimentId];
    if (token) body.page_token = token;
    const answer = asRecord(await client.post(`${BASE}/search`, body, 'datasets/search', workspace));
    for (const doc of asArray(answer.datasets)) yield datasetOf(doc);
    token = toStr(answer.next_page_token) || undefined;
  } while (token);
}

async function* readRecords(client: MlflowHttpClient, workspace: string, datasetId: string): AsyncIterable<DatasetRecord[]> {
  let token: string | undefined;
  do {
    // The records arrive as one JSON-encoded string: read as text so that no number is rounded.
    const text = await client.text({
      method: 'GET',
      path: `${datasetPath(datasetId)}/records`,
      query: { max_results: RECORDS_PAGE, ...(token ? { page_token: token } : {}) },
      what: 'datasets/records',
      ...(workspace ? { workspace } : {}),
    });
    const answer = docObject(parseJsonDoc(text.trim() === '' ? '{}' : text)) ?? {};
    const records = typeof answer.records === 'string' ? parseJsonDoc(answer.records) : [];
    const page = Array.isArray(records) ? records.map(recordOf) : [];
    if (page.length > 0) yield page;
    token = typeof answer.next_page_token === 'string' && answer.next_page_token !== '' ? answer.next_page_token : undefined;
  } while (token);
}

export function mlflowSourceDatasets(client: MlflowHttpClient, workspace: string, experimentId: string): SourceDatasets {
  return {
    keepsDatasetFields: false,
    listDatasets: () => searchDatasets(client, workspace, experimentId),
    readDatasetRecords: (datasetId) => readRecords(client, workspace, datasetId),
  };
}

export function mlflowTargetDatasets(client: MlflowHttpClient, workspace: string, experimentId: string): TargetDatasets {
  const patchTags = async (datasetId: string, tags: Record<string, string>): Promise<void> => {
    await client.json({ method: 'PATCH', path: `${datasetPath(datasetId)}/tags`, json: JSON.stringify({ tags: JSON.stringify(tags) }), what: 'datasets/set-tags', workspace });
  };
  const api: TargetDatasets = {
    keepsDatasetFields: false,
    async *listDatasetCopies(): AsyncIterable<DatasetCopy> {
      const associated = new Set<string>();
      for await (const dataset of searchDatasets(client, workspace, experimentId)) associated.add(dataset.datasetId);
      // Copies are looked for in the whole workspace: a dataset shared by two copied experiments is copied once.
      for await (const dataset of searchDatasets(client, workspace, undefined)) {
        if (dataset.tags[DATASET_PROVENANCE.datasetId] !== undefined) yield { ...dataset, associated: associated.has(dataset.datasetId) };
      }
    },
    readDatasetRecords: (datasetId) => readRecords(client, workspace, datasetId),
    async createDataset(dataset, tags) {
      const answer = asRecord(
        await client.post(`${BASE}/create`, { name: dataset.name, experiment_ids: [experimentId], tags: JSON.stringify(tags) }, 'datasets/create', workspace),
      );
      const created = datasetOf(answer.dataset);
      if (!created.datasetId) throw new Error(`datasets/create answered no dataset id for "${dataset.name}"`);
      const notes: string[] = [];
      if (created.datasetId !== dataset.datasetId) notes.push(`the server chose the id ${created.datasetId} (source id in tag ${DATASET_PROVENANCE.datasetId})`);
      return { datasetId: created.datasetId, notes };
    },
    async associateDataset(datasetId) {
      await client.post(`${datasetPath(datasetId)}/add-experiments`, { experiment_ids: [experimentId] }, 'datasets/add-experiments', workspace);
    },
    async writeDatasetRecords(datasetId, records) {
      const result: RecordWrite = { inserted: 0, merged: 0, mergedIds: [], notes: [] };
      let batch: DatasetRecord[] = [];
      let texts: string[] = [];
      let bytes = 0;
      const flush = async (): Promise<void> => {
        if (texts.length === 0) return;
        const answer = asRecord(await client.post(`${datasetPath(datasetId)}/records`, { records: `[${texts.join(', ')}]` }, 'datasets/upsert-records', workspace));
        const inserted = numberOf(answer.inserted_count) ?? 0;
        const updated = numberOf(answer.updated_count) ?? 0;
        result.inserted += inserted;
        if (updated > 0) {
          result.merged += updated;
          // One request per record would say which; a batch only says how many.
          if (batch.length === 1) result.mergedIds.push(batch[0]!.recordId);
          else result.notes.push(`${updated} of records ${batch.map((r) => r.recordId).join(', ')} were merged by the server into records it had with the same inputs`);
        }
        batch = [];
        texts = [];
        bytes = 0;
      };
      for (const record of records) {
        const text = recordText(record);
        if (texts.length >= RECORD_BATCH || (texts.length > 0 && bytes + text.length > RECORD_BATCH_BYTES)) await flush();
        batch.push(record);
        texts.push(text);
        bytes += text.length;
      }
      await flush();
      return result;
    },
    async deleteDatasetRecords(datasetId, targetRecordIds) {
      for (let i = 0; i < targetRecordIds.length; i += RECORD_BATCH) {
        const ids = targetRecordIds.slice(i, i + RECORD_BATCH);
        await client.json({ method: 'DELETE', path: `${datasetPath(datasetId)}/records`, json: JSON.stringify({ dataset_record_ids: ids }), what: 'datasets/delete-records', workspace });
      }
    },
    async replaceDatasetRecords(datasetId, records) {
      // An upsert would merge expectations and tags into the old record (a key removed in the
      // source would stay): the old record goes first, then the source's is written anew. Cut
      // off between the two, the record is missing, and the next run writes it.
      await api.deleteDatasetRecords(datasetId, records.map((r) => r.targetRecordId));
      const written = await api.writeDatasetRecords(datasetId, records.map((r) => r.record));
      if (written.merged > 0) throw new Error(`the server merged ${written.merged} replaced record(s) instead of inserting them`);
    },
    async updateDataset(copy, _source, tags) {
      const changes: string[] = [];
      const set: Record<string, string> = {};
      for (const [key, value] of Object.entries(tags)) if (copy.tags[key] !== value) set[key] = value;
      if (Object.keys(set).length > 0) {
        await patchTags(copy.datasetId, set);
        changes.push(`set tags ${Object.keys(set).join(', ')}`);
      }
      for (const key of Object.keys(copy.tags)) {
        if (key in tags) continue;
        await client.json({ method: 'DELETE', path: `${datasetPath(copy.datasetId)}/tags/${encodeURIComponent(key)}`, what: 'datasets/delete-tag', workspace });
        changes.push(`deleted tag ${key}`);
      }
      return changes;
    },
  };
  return api;
}
