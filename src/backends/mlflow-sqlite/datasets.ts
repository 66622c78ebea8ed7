/**
 * Evaluation datasets in MLflow's database (SQLite and PostgreSQL), in the tables SqlAlchemyStore
 * writes (MLflow 3.4+): evaluation_datasets, evaluation_dataset_tags, evaluation_dataset_records
 * and the experiment link in entity_associations (source_type 'evaluation_dataset',
 * destination_type 'experiment'). Read: what the golden store genai-sqlite holds.
 *
 * A writer here keeps everything: dataset and record ids (unless another dataset or record of the
 * database already has that id: then a new one is minted, as in a copy inside one database), times,
 * users, schema, profile and digest. A record's outputs are stored wrapped,
 * {"mlflow_wrapped": <outputs>}, as MLflow does; input_hash is sha256 of json.dumps(inputs,
 * sort_keys=True). JSON columns are read as text (CAST ... AS TEXT), so numbers keep their digits.
 * A database without these tables (before MLflow 3.4) offers no datasets: the engine reports them.
 */
import { randomUUID } from 'node:crypto';
import type { DatasetCopy, DatasetRecord, EvalDataset, RecordWrite, SourceDatasets, TargetDatasets } from '../../engine/datasets/contract.js';
import { DATASET_PROVENANCE } from '../../engine/datasets/contract.js';
import { inputHash } from '../../engine/datasets/record-digest.js';
import { docObject, dumpPythonJson, parseJsonDoc, type JsonDoc } from '../../model/python-json.js';
import type { Binding } from './metric-rows.js';
import type { Row, SqlDriver, SqlExecutor, SqlReader } from './sql-driver.js';
import { num, text } from './values.js';

const RECORD_PAGE = 500;
const WRAPPED = 'mlflow_wrapped';
const newHex = (): string => randomUUID().replaceAll('-', '');

const DATASET_COLUMNS = 'd.dataset_id, d.name, d.schema, d.profile, d.digest, d.created_time, d.last_update_time, d.created_by, d.last_updated_by';
const RECORD_COLUMNS = `dataset_record_id, CAST(inputs AS TEXT) AS inputs, CAST(expectations AS TEXT) AS expectations, CAST(tags AS TEXT) AS tags,
  CAST(source AS TEXT) AS source, source_id, source_type, created_time, last_update_time, created_by, last_updated_by, CAST(outputs AS TEXT) AS outputs`;

type Query = (sql: string, params: unknown[]) => Promise<Row[]>;

function datasetOf(row: Row, tags: Record<string, string>): EvalDataset {
  const out: EvalDataset = { datasetId: text(row.dataset_id) ?? '', name: text(row.name) ?? '', tags };
  const set = <K extends keyof EvalDataset>(key: K, value: EvalDataset[K] | undefined): void => {
    if (value !== undefined) out[key] = value;
  };
  set('schema', text(row.schema));
  set('profile', text(row.profile));
  set('digest', text(row.digest));
  set('createdTime', num(row.created_time));
  set('lastUpdateTime', num(row.last_update_time));
  set('createdBy', text(row.created_by));
  set('lastUpdatedBy', text(row.last_updated_by));
  return out;
}

function jsonCell(value: unknown): JsonDoc | undefined {
  const t = text(value);
  return t === undefined ? undefined : parseJsonDoc(t);
}

function recordOf(row: Row): DatasetRecord {
  const out: DatasetRecord = { recordId: text(row.dataset_record_id) ?? '', inputs: jsonCell(row.inputs) ?? {} };
  const expectations = jsonCell(row.expectations);
  if (expectations !== undefined && expectations !== null) out.expectations = expectations;
  const tags = jsonCell(row.tags);
  if (tags !== undefined && tags !== null) out.tags = tags;
  const source = jsonCell(row.source);
  if (source !== undefined && source !== null) out.source = source;
  const outputs = jsonCell(row.outputs);
  const wrapped = docObject(outputs ?? undefined);
  // MLflow wraps outputs so that any JSON value fits; an unwrapped value is taken as it is.
  if (outputs !== undefined && outputs !== null) out.outputs = wrapped && WRAPPED in wrapped ? wrapped[WRAPPED]! : outputs;
  if (text(row.source_type)) out.sourceType = text(row.source_type)!;
  if (text(row.source_id)) out.sourceId = text(row.source_id)!;
  if (num(row.created_time) !== undefined) out.createdTime = num(row.created_time)!;
  if (num(row.last_update_time) !== undefined) out.lastUpdateTime = num(row.last_update_time)!;
  if (text(row.created_by)) out.createdBy = text(row.created_by)!;
  if (text(row.last_updated_by)) out.lastUpdatedBy = text(row.last_updated_by)!;
  return out;
}

async function tagsOf(query: Query, datasetId: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  for (const row of await query('SELECT "key", value FROM evaluation_dataset_tags WHERE dataset_id = ? ORDER BY "key"', [datasetId])) {
    tags[text(row.key) ?? ''] = text(row.value) ?? '';
  }
  return tags;
}

async function* readRecords(query: Query, datasetId: string): AsyncIterable<DatasetRecord[]> {
  let after = '';
  for (;;) {
    const rows = await query(
      `SELECT ${RECORD_COLUMNS} FROM evaluation_dataset_records WHERE dataset_id = ? AND dataset_record_id > ? ORDER BY dataset_record_id LIMIT ?`,
      [datasetId, after, RECORD_PAGE],
    );
    if (rows.length > 0) yield rows.map(recordOf);
    if (rows.length < RECORD_PAGE) return;
    after = text(rows[rows.length - 1]!.dataset_record_id) ?? '';
  }
}

async function* experimentDatasets(query: Query, experimentId: string): AsyncIterable<EvalDataset> {
  const rows = await query(
    `SELECT ${DATASET_COLUMNS} FROM evaluation_datasets d JOIN entity_associations a
       ON a.source_type = 'evaluation_dataset' AND a.source_id = d.dataset_id AND a.destination_type = 'experiment'
     WHERE a.destination_id = ? ORDER BY d.dataset_id`,
    [experimentId],
  );
  for (const row of rows) yield datasetOf(row, await tagsOf(query, text(row.dataset_id) ?? ''));
}

/** Does the database have the dataset tables (MLflow 3.4+)? */
async function hasDatasetTables(query: Query): Promise<boolean> {
  try {
    await query('SELECT dataset_id FROM evaluation_datasets WHERE 1 = 0', []);
    await query('SELECT dataset_record_id, input_hash, outputs FROM evaluation_dataset_records WHERE 1 = 0', []);
    await query('SELECT "key" FROM evaluation_dataset_tags WHERE 1 = 0', []);
    await query('SELECT association_id FROM entity_associations WHERE 1 = 0', []);
    return true;
  } catch {
    return false;
  }
}

export async function sqlSourceDatasets(connection: SqlReader, experimentId: string): Promise<SourceDatasets | undefined> {
  const query: Query = (sql, params) => connection.all(sql, ...params);
  if (!(await hasDatasetTables(query))) return undefined;
  return {
    keepsDatasetFields: true,
    listDatasets: () => experimentDatasets(query, experimentId),
    readDatasetRecords: (datasetId) => readRecords(query, datasetId),
  };
}

export interface SqlDatasetSettings {
  driver: SqlDriver;
  bind: Binding;
  now: () => number;
  experimentId: string;
  workspace: string;
}

async function hasWorkspaceColumn(query: Query): Promise<boolean> {
  try {
    await query('SELECT workspace FROM evaluation_datasets WHERE 1 = 0', []);
    return true;
  } catch {
    return false;
  }
}

/** JSON text as MLflow's JSON columns hold it (json.dumps; None is the JSON null). */
const jsonText = (value: JsonDoc | undefined): string => (value === undefined ? 'null' : dumpPythonJson(value));

export async function sqlTargetDatasets(settings: SqlDatasetSettings): Promise<TargetDatasets | undefined> {
  const { driver, bind } = settings;
  const query: Query = (sql, params) => driver.query(sql, params);
  if (!(await hasDatasetTables(query))) return undefined;
  const workspaced = await hasWorkspaceColumn(query);
  const int = (value: number | undefined): unknown => (value === undefined ? null : bind.int(BigInt(Math.trunc(value))));

  const setTags = async (tx: SqlExecutor, datasetId: string, tags: Record<string, string>): Promise<void> => {
    for (const [key, value] of Object.entries(tags)) {
      await tx.run('DELETE FROM evaluation_dataset_tags WHERE dataset_id = ? AND "key" = ?', [datasetId, key]);
      await tx.run('INSERT INTO evaluation_dataset_tags (dataset_id, "key", value) VALUES (?, ?, ?)', [datasetId, key, value]);
    }
  };
  const associate = async (tx: SqlExecutor, datasetId: string): Promise<void> => {
    const known = await tx.query(
      `SELECT 1 AS n FROM entity_associations WHERE source_type = 'evaluation_dataset' AND source_id = ? AND destination_type = 'experiment' AND destination_id = ?`,
      [datasetId, settings.experimentId],
    );
    if (known.length > 0) return;
    await tx.run(
      `INSERT INTO entity_associations (association_id, source_type, source_id, destination_type, destination_id, created_time) VALUES (?, 'evaluation_dataset', ?, 'experiment', ?, ?)`,
      [`a-${newHex()}`, datasetId, settings.experimentId, int(settings.now())],
    );
  };

  return {
    keepsDatasetFields: true,
    async *listDatasetCopies(): AsyncIterable<DatasetCopy> {
      const rows = await query(
        `SELECT ${DATASET_COLUMNS},
           (SELECT COUNT(*) FROM entity_associations a WHERE a.source_type = 'evaluation_dataset' AND a.source_id = d.dataset_id
              AND a.destination_type = 'experiment' AND a.destination_id = ?) AS associated
         FROM evaluation_datasets d JOIN evaluation_dataset_tags t ON t.dataset_id = d.dataset_id AND t."key" = ?
         ${workspaced ? 'WHERE d.workspace = ?' : ''} ORDER BY d.dataset_id`,
        [settings.experimentId, DATASET_PROVENANCE.datasetId, ...(workspaced ? [settings.workspace] : [])],
      );
      for (const row of rows) {
        yield { ...datasetOf(row, await tagsOf(query, text(row.dataset_id) ?? '')), associated: (num(row.associated) ?? 0) > 0 };
      }
    },
    readDatasetRecords: (datasetId) => readRecords(query, datasetId),
    async createDataset(dataset, tags) {
      return driver.transaction(async (tx) => {
        const notes: string[] = [];
        let datasetId = dataset.datasetId;
        if (!datasetId || (await tx.query('SELECT 1 AS n FROM evaluation_datasets WHERE dataset_id = ?', [datasetId])).length > 0) {
          datasetId = `d-${newHex()}`;
          notes.push(`the id ${dataset.datasetId} is taken in this database: the copy is ${datasetId} (source id in tag ${DATASET_PROVENANCE.datasetId})`);
        }
        const columns = ['dataset_id', 'name', 'schema', 'profile', 'digest', 'created_time', 'last_update_time', 'created_by', 'last_updated_by'];
        const now = settings.now();
        const values: unknown[] = [
          datasetId, dataset.name, dataset.schema ?? null, dataset.profile ?? null, dataset.digest ?? null,
          int(dataset.createdTime ?? now), int(dataset.lastUpdateTime ?? dataset.createdTime ?? now), dataset.createdBy ?? null, dataset.lastUpdatedBy ?? null,
        ];
        if (workspaced) {
          columns.push('workspace');
          values.push(settings.workspace);
        }
        await tx.run(`INSERT INTO evaluation_datasets (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, values);
        await setTags(tx, datasetId, tags);
        await associate(tx, datasetId);
        return { datasetId, notes };
      });
    },
    async associateDataset(datasetId) {
      await driver.transaction((tx) => associate(tx, datasetId));
    },
    async writeDatasetRecords(datasetId, records) {
      const result: RecordWrite = { inserted: 0, merged: 0, mergedIds: [], notes: [] };
      if (records.length === 0) return result;
      await driver.transaction(async (tx) => {
        const ids = records.map((record) => record.recordId).filter((id) => id !== '');
        const taken = new Set<string>();
        for (let i = 0; i < ids.length; i += 200) {
          const slice = ids.slice(i, i + 200);
          const rows = await tx.query(`SELECT dataset_record_id FROM evaluation_dataset_records WHERE dataset_record_id IN (${slice.map(() => '?').join(', ')})`, slice);
          for (const row of rows) taken.add(text(row.dataset_record_id) ?? '');
        }
        let minted = 0;
        for (const record of records) {
          const hash = inputHash(record.inputs);
          const same = await tx.query('SELECT dataset_record_id FROM evaluation_dataset_records WHERE dataset_id = ? AND input_hash = ?', [datasetId, hash]);
          if (same.length > 0) {
            // A record with the same inputs is there: MLflow keeps one record per inputs in a dataset.
            result.merged++;
            result.mergedIds.push(record.recordId);
            continue;
          }
          let recordId = record.recordId;
          if (!recordId || taken.has(recordId)) {
            recordId = `dr-${newHex()}`;
            minted++;
          }
          await tx.run(
            `INSERT INTO evaluation_dataset_records (dataset_record_id, dataset_id, inputs, expectations, tags, source, source_id, source_type,
               created_time, last_update_time, created_by, last_updated_by, input_hash, outputs) VALUES (${new Array(14).fill('?').join(', ')})`,
            [
              recordId, datasetId, jsonText(record.inputs), jsonText(record.expectations), jsonText(record.tags), jsonText(record.source),
              record.sourceId ?? null, record.sourceType ?? null, int(record.createdTime ?? settings.now()), int(record.lastUpdateTime ?? record.createdTime ?? settings.now()),
              record.createdBy ?? null, record.lastUpdatedBy ?? null, hash, dumpPythonJson({ [WRAPPED]: record.outputs ?? {} }),
            ],
          );
          result.inserted++;
        }
        if (minted > 0) result.notes.push(`${minted} record id(s) were taken in this database: new ids were minted for them`);
      });
      return result;
    },
    async deleteDatasetRecords(datasetId, targetRecordIds) {
      await driver.transaction(async (tx) => {
        for (const id of targetRecordIds) await tx.run('DELETE FROM evaluation_dataset_records WHERE dataset_id = ? AND dataset_record_id = ?', [datasetId, id]);
      });
    },
    async replaceDatasetRecords(datasetId, records) {
      await driver.transaction(async (tx) => {
        for (const { targetRecordId, record } of records) {
          await tx.run(
            `UPDATE evaluation_dataset_records SET expectations = ?, tags = ?, source = ?, source_id = ?, source_type = ?, created_time = ?, last_update_time = ?,
               created_by = ?, last_updated_by = ?, outputs = ? WHERE dataset_id = ? AND dataset_record_id = ?`,
            [
              jsonText(record.expectations), jsonText(record.tags), jsonText(record.source), record.sourceId ?? null, record.sourceType ?? null,
              int(record.createdTime ?? settings.now()), int(record.lastUpdateTime ?? settings.now()), record.createdBy ?? null, record.lastUpdatedBy ?? null,
              dumpPythonJson({ [WRAPPED]: record.outputs ?? {} }), datasetId, targetRecordId,
            ],
          );
        }
      });
    },
    async updateDataset(copy, source, tags) {
      const changes: string[] = [];
      const set: Record<string, string> = {};
      for (const [key, value] of Object.entries(tags)) if (copy.tags[key] !== value) set[key] = value;
      const dropped = Object.keys(copy.tags).filter((key) => !(key in tags));
      const fields: Array<[string, unknown, unknown]> = [
        ['name', copy.name, source.name],
        ['schema', copy.schema, source.schema],
        ['profile', copy.profile, source.profile],
        ['digest', copy.digest, source.digest],
        ['last_update_time', copy.lastUpdateTime, source.lastUpdateTime],
        ['last_updated_by', copy.lastUpdatedBy, source.lastUpdatedBy],
      ];
      const changed = fields.filter(([, was, now]) => now !== undefined && was !== now);
      if (Object.keys(set).length === 0 && dropped.length === 0 && changed.length === 0) return changes;
      await driver.transaction(async (tx) => {
        await setTags(tx, copy.datasetId, set);
        for (const key of dropped) await tx.run('DELETE FROM evaluation_dataset_tags WHERE dataset_id = ? AND "key" = ?', [copy.datasetId, key]);
        if (changed.length > 0) {
          const values = changed.map(([column, , now]) => (column === 'last_update_time' ? int(now as number) : now));
          await tx.run(`UPDATE evaluation_datasets SET ${changed.map(([column]) => `${column} = ?`).join(', ')} WHERE dataset_id = ?`, [...values, copy.datasetId]);
        }
      });
      if (Object.keys(set).length > 0) changes.push(`set tags ${Object.keys(set).join(', ')}`);
      for (const key of dropped) changes.push(`deleted tag ${key}`);
      if (changed.length > 0) changes.push(`updated ${changed.map(([column]) => column).join(', ')}`);
      return changes;
    },
  };
}
