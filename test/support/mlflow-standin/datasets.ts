/**
 * Evaluation datasets and their records: state and JSON shapes (recorded: `datasets-crud`,
 * `datasets-records`). Kept per store in a WeakMap so that store.ts stays as it is.
 *
 * - A dataset answers `tags`, `schema` and `profile` as JSON-encoded strings (Python json.dumps
 *   text), `experiment_ids` only where the route says so, created_by / last_updated_by only when
 *   the tags hold `mlflow.user`.
 * - Records are keyed by the sha256 of their inputs (json.dumps with sorted keys): an upsert with
 *   known inputs merges expectations and tags, replaces outputs, keeps source and created_time.
 * - The server answers records as ONE JSON-encoded string (a list of objects, keys in the order
 *   below), so the text is built with pyJsonDumps to match the real server byte for byte.
 */
import { createHash, randomBytes } from 'node:crypto';
import { pyJsonDumps } from './pyfmt.js';
import type { Store } from './store.js';

export interface DatasetRecord {
  id: string;
  datasetId: string;
  inputs: unknown;
  inputHash: string;
  /** undefined: none given (the key is then left out). */
  expectations?: Record<string, unknown>;
  tags: Record<string, unknown>;
  source?: Record<string, unknown>;
  sourceId?: string;
  sourceType?: string;
  createdTime: number;
  lastUpdateTime: number;
  createdBy?: string;
  lastUpdatedBy?: string;
  outputs: unknown;
}

export interface Dataset {
  id: string;
  workspace: string;
  /** Creation order, for "created_time DESC" among datasets of the same millisecond. */
  seq: number;
  name: string;
  tags: Record<string, string>;
  /** section ("inputs", "outputs", "expectations") -> field -> type name, in first-seen order. */
  schema?: Record<string, Record<string, string>>;
  digest: string;
  createdTime: number;
  lastUpdateTime: number;
  createdBy?: string;
  lastUpdatedBy?: string;
  experimentIds: string[];
  records: Map<string, DatasetRecord>;
}

interface DatasetTable {
  datasets: Map<string, Dataset>;
  seq: number;
  lastTime: number;
}

const tables = new WeakMap<Store, DatasetTable>();

export function datasetTable(store: Store): DatasetTable {
  let t = tables.get(store);
  if (!t) tables.set(store, (t = { datasets: new Map(), seq: 0, lastTime: 0 }));
  return t;
}

/** Times strictly increase per store, so records listed by (created_time, id) keep their upsert order. */
export function datasetNow(t: DatasetTable): number {
  t.lastTime = Math.max(Date.now(), t.lastTime + 1);
  return t.lastTime;
}

export const hex32 = (): string => randomBytes(16).toString('hex');

/** 8 hex characters from the name and the last update time (the real hash is not published). */
export function digestOf(name: string, lastUpdateTime: number): string {
  return createHash('sha256').update(`${name}:${lastUpdateTime}`).digest('hex').slice(0, 8);
}

function sortedDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedDeep);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortedDeep((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** sha256 of json.dumps(inputs, sort_keys=True): the record's identity inside its dataset. */
export const inputHashOf = (inputs: unknown): string => createHash('sha256').update(pyJsonDumps(sortedDeep(inputs))).digest('hex');

/** Python str() of a tag value: tags are stored as strings (1 -> "1"). */
export function tagText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null || v === undefined) return 'None';
  return pyJsonDumps(v);
}

const SCHEMA_TYPE = (v: unknown): string => {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return 'integer';
  if (typeof v === 'number') return 'float';
  if (Array.isArray(v)) return 'array';
  if (v && typeof v === 'object') return 'object';
  return 'null';
};

/** Adds the fields of a record to the dataset's schema (never removes: a delete keeps them, recorded). */
export function growSchema(d: Dataset, r: DatasetRecord): void {
  const schema = (d.schema ??= {});
  const add = (section: string, v: unknown) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return;
    for (const [k, x] of Object.entries(v)) {
      const s = (schema[section] ??= {});
      if (!(k in s)) s[k] = SCHEMA_TYPE(x);
    }
  };
  add('inputs', r.inputs);
  add('outputs', r.outputs);
  add('expectations', r.expectations);
}

function schemaText(schema: Record<string, Record<string, string>>): string {
  const out: Record<string, unknown> = {};
  for (const section of ['inputs', 'outputs', 'expectations']) if (schema[section]) out[section] = schema[section];
  out.version = '1.0';
  return pyJsonDumps(out);
}

export function datasetJson(d: Dataset, withExperimentIds: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { dataset_id: d.id, name: d.name, tags: pyJsonDumps(d.tags) };
  if (d.schema) out.schema = schemaText(d.schema);
  if (d.schema) out.profile = pyJsonDumps({ num_records: d.records.size });
  out.digest = d.digest;
  out.created_time = d.createdTime;
  out.last_update_time = d.lastUpdateTime;
  if (d.createdBy) out.created_by = d.createdBy;
  if (d.lastUpdatedBy) out.last_updated_by = d.lastUpdatedBy;
  if (withExperimentIds && d.experimentIds.length) out.experiment_ids = [...d.experimentIds];
  return out;
}

export function recordJson(r: DatasetRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { dataset_record_id: r.id, dataset_id: r.datasetId, inputs: r.inputs };
  if (r.expectations !== undefined) out.expectations = r.expectations;
  out.tags = r.tags;
  if (r.source !== undefined) out.source = r.source;
  if (r.sourceId !== undefined) out.source_id = r.sourceId;
  if (r.sourceType !== undefined) out.source_type = r.sourceType;
  out.created_time = r.createdTime;
  out.last_update_time = r.lastUpdateTime;
  if (r.createdBy !== undefined) out.created_by = r.createdBy;
  if (r.lastUpdatedBy !== undefined) out.last_updated_by = r.lastUpdatedBy;
  out.outputs = r.outputs;
  return out;
}

/** Records in the server's reading order: (created_time, dataset_record_id). */
export function orderedRecords(d: Dataset): DatasetRecord[] {
  return [...d.records.values()].sort((a, b) => a.createdTime - b.createdTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Where a record came from: the id inside source_data the server lifts out (TRACE: trace_id, DOCUMENT: doc_uri). */
export function sourceIdOf(sourceType: string | undefined, sourceData: unknown): string | undefined {
  if (!sourceData || typeof sourceData !== 'object') return undefined;
  const data = sourceData as Record<string, unknown>;
  const v = sourceType === 'TRACE' ? data.trace_id : sourceType === 'DOCUMENT' ? data.doc_uri : undefined;
  return typeof v === 'string' ? v : undefined;
}
