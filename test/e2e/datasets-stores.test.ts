/**
 * Evaluation datasets through the CLI (issue 17): the real genai-sqlite database's dataset (five
 * records, written by MLflow 3.11) into an MLflow server, into SQLite and into PostgreSQL, and
 * datasets made over REST from one server to another and from workspace to workspace on one
 * server. Every copy ends in a clean verify; a re-run copies nothing; a record added in the
 * source since is added by the next run.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { tempDir } from '../support/cli-process.js';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { createMlflowGenaiPostgresSchema } from '../support/mlflow-genai-postgres.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { cliReport, type Locations } from '../support/cli-pair.js';

vi.setConfig({ testTimeout: 240_000 });

const GENAI_SQLITE = join(GOLDEN_STORES_DIR, 'genai-sqlite');
const GOLDEN_DATASET = 'd-db4e85f8d0da465082ac875e79d87b4a';

const cli = cliReport;

/** copy, then verify: the copy's dataset section and a clean verify. */
async function copyAndVerify(cwd: string, where: Locations, extra: string[] = []) {
  const copied = await cli(cwd, 'copy', where, extra);
  expect(copied.result.code, copied.result.stderr + JSON.stringify(copied.report.datasets)).toBe(0);
  const checked = await cli(cwd, 'verify', where);
  expect(checked.report.datasets.datasets.filter((d: any) => d.status !== 'ok'), JSON.stringify(checked.report.datasets)).toEqual([]);
  expect(checked.report.clean).toBe(true);
  expect(checked.result.code).toBe(0);
  expect(checked.result.stderr + checked.result.stdout).toMatch(/\d+\/\d+ dataset\(s\) ok/);
  return { copy: copied.report.datasets, verify: checked.report.datasets };
}

/** Reads a server's datasets over /api/3.0/mlflow/datasets. */
function datasetsApi(url: string) {
  const get = async (path: string): Promise<any> => {
    const response = await request(`${url}/api/3.0/mlflow/datasets${path}`, { method: 'GET' });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`GET ${path}: ${response.statusCode} ${text}`);
    return JSON.parse(text);
  };
  return {
    records: async (datasetId: string) => JSON.parse((await get(`/${datasetId}/records`)).records) as any[],
    get: async (datasetId: string) => (await get(`/${datasetId}`)).dataset,
  };
}

/** A copy of genai-sqlite with no evaluation datasets left: MLflow's own schema, an empty place for the copy. */
function emptiedGenaiSqlite(cwd: string): string {
  cpSync(GENAI_SQLITE, join(cwd, 'target-db'), { recursive: true });
  const path = join(cwd, 'target-db', 'mlflow.db');
  const db = new Database(path);
  db.exec("DELETE FROM evaluation_dataset_records; DELETE FROM evaluation_dataset_tags; DELETE FROM evaluation_datasets; DELETE FROM entity_associations WHERE source_type = 'evaluation_dataset'");
  db.close();
  return `sqlite:///${path}`;
}

/** Adds a sixth record to the golden dataset in a copy of genai-sqlite, as MLflow would write it. */
function addSqliteRecord(dbPath: string): string {
  const db = new Database(dbPath);
  const id = 'dr-6666666666666666666666666666666a';
  db.prepare(
    `INSERT INTO evaluation_dataset_records (dataset_record_id, dataset_id, inputs, expectations, tags, source, source_id, source_type, created_time, last_update_time,
       created_by, last_updated_by, input_hash, outputs) VALUES (?, ?, ?, ?, ?, ?, NULL, 'HUMAN', ?, ?, 'root', 'root', ?, ?)`,
  ).run(
    id, GOLDEN_DATASET, '{"question": "Temperature?", "celsius": 21.0}', '{"expected_answer": "warm"}', '{"mlflow.user": "root"}',
    '{"source_type": "HUMAN", "source_data": {}}', 1796650999000, 1796650999000,
    // sha256 of json.dumps({"celsius": 21.0, "question": "Temperature?"}) as MLflow computes it
    '47e86c98fc075038b1353c03eaa6c7d27f40081a87199a01ef79245aba3a8db7',
    '{"mlflow_wrapped": {}}',
  );
  db.close();
  return id;
}

describe('the real genai-sqlite dataset', () => {
  let standin: StandinServer;
  let postgres: PostgresServer;
  beforeAll(async () => {
    standin = await startStandin();
    postgres = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await standin?.close();
    await postgres?.stop();
  });

  it('into an MLflow server: new ids, source id in old_sys/dataset_id, every record kept, verify clean; a re-run copies nothing', async () => {
    const cwd = tempDir('datasets-to-server');
    const where = { source: `sqlite:///${join(GENAI_SQLITE, 'mlflow.db')}`, sourceProject: 'genai-fixture', target: standin.url, targetProject: 'copied' };
    const { copy, verify } = await copyAndVerify(cwd, where);
    expect(copy.summary).toMatchObject({ datasets: 1, copied: 1, failed: 0, records: 5, recordsWritten: 5, recordsMerged: 0 });
    const [row] = copy.datasets;
    expect(row).toMatchObject({ sourceDatasetId: GOLDEN_DATASET, name: 'genai-fixture-eval', outcome: 'copied' });
    expect(row.targetDatasetId).not.toBe(GOLDEN_DATASET);
    expect(verify.summary).toMatchObject({ datasets: 1, ok: 1, records: 5 });

    const api = datasetsApi(standin.url);
    const dataset = await api.get(row.targetDatasetId);
    expect(JSON.parse(dataset.tags)).toMatchObject({ purpose: 'fixture', stage: 'dev', 'mlflow.user': 'root', 'old_sys/dataset_id': GOLDEN_DATASET, 'old_sys/dataset_digest': '63d36dd4' });
    expect(JSON.parse(dataset.profile)).toEqual({ num_records: 5 });
    const records = await api.records(row.targetDatasetId);
    const trip = records.find((r) => r.inputs.question === 'Plan a trip');
    expect(trip).toMatchObject({ inputs: { question: 'Plan a trip', days: 2 }, expectations: { expected_answer: 'museum, park' }, tags: { difficulty: 'hard', 'mlflow.user': 'root' }, source: { source_type: 'HUMAN', source_data: {} } });
    expect(records.find((r) => r.inputs.question === 'Hi').outputs).toEqual({ content: 'Hello!' });

    const again = await cli(cwd, 'copy', where);
    expect(again.result.code).toBe(0);
    expect(again.report.datasets.summary).toMatchObject({ datasets: 1, copied: 0, skipped: 1, recordsWritten: 0 });
  });

  it('into SQLite: ids, times and digest kept; a re-run copies nothing; a record added in the source is added by the next run', async () => {
    const cwd = tempDir('datasets-to-sqlite');
    cpSync(GENAI_SQLITE, join(cwd, 'source-db'), { recursive: true });
    const sourceDb = join(cwd, 'source-db', 'mlflow.db');
    const where = { source: `sqlite:///${sourceDb}`, sourceProject: 'genai-fixture', target: emptiedGenaiSqlite(cwd), targetProject: 'copied' };
    const { copy } = await copyAndVerify(cwd, where);
    expect(copy.datasets[0]).toMatchObject({ sourceDatasetId: GOLDEN_DATASET, targetDatasetId: GOLDEN_DATASET, outcome: 'copied', records: { source: 5, written: 5 } });
    const target = new Database(join(cwd, 'target-db', 'mlflow.db'), { readonly: true });
    const source = new Database(sourceDb, { readonly: true });
    try {
      const rows = (db: Database.Database) => db.prepare('SELECT * FROM evaluation_dataset_records ORDER BY dataset_record_id').all();
      expect(rows(target)).toEqual(rows(source));
      const datasetRow = (db: Database.Database) => db.prepare('SELECT * FROM evaluation_datasets').get();
      expect(datasetRow(target)).toEqual(datasetRow(source));
    } finally {
      target.close();
      source.close();
    }

    const again = await cli(cwd, 'copy', where);
    expect(again.report.datasets.summary).toMatchObject({ copied: 0, updated: 0, skipped: 1, recordsWritten: 0 });

    const added = addSqliteRecord(sourceDb);
    const third = await copyAndVerify(cwd, where);
    expect(third.copy.summary).toMatchObject({ datasets: 1, updated: 1, records: 6, recordsWritten: 1 });
    expect(third.verify.summary).toMatchObject({ ok: 1, records: 6 });
    const copied = new Database(join(cwd, 'target-db', 'mlflow.db'), { readonly: true });
    try {
      expect(copied.prepare('SELECT CAST(inputs AS TEXT) AS inputs FROM evaluation_dataset_records WHERE dataset_record_id = ?').get(added)).toEqual({
        inputs: '{"question": "Temperature?", "celsius": 21.0}',
      });
    } finally {
      copied.close();
    }

    // A record changed in the source and one deleted there: the copy follows.
    const db = new Database(sourceDb);
    db.prepare(`UPDATE evaluation_dataset_records SET expectations = '{"expected_answer": "An open source ML platform."}', last_update_time = 1796651000000 WHERE dataset_id = ? AND inputs = ?`).run(GOLDEN_DATASET, '{"question": "What is MLflow?"}');
    db.prepare('DELETE FROM evaluation_dataset_records WHERE dataset_record_id = ?').run('dr-d1094881eaf0417c9bac6eccc9f17d35');
    db.close();
    const fourth = await copyAndVerify(cwd, where);
    expect(fourth.copy.datasets[0]).toMatchObject({ outcome: 'updated', records: { source: 5, written: 0, alreadyThere: 4, replaced: 1, deleted: 1 } });
    const last = new Database(join(cwd, 'target-db', 'mlflow.db'), { readonly: true });
    const first = new Database(sourceDb, { readonly: true });
    try {
      const rows = (d: Database.Database) => d.prepare('SELECT * FROM evaluation_dataset_records ORDER BY dataset_record_id').all();
      expect(rows(last)).toEqual(rows(first));
    } finally {
      last.close();
      first.close();
    }
  });

  it('into another experiment of the same database: new dataset and record ids, the source rows unchanged, verify clean', async () => {
    const cwd = tempDir('datasets-same-db');
    cpSync(GENAI_SQLITE, join(cwd, 'db'), { recursive: true });
    const path = join(cwd, 'db', 'mlflow.db');
    const snapshot = () => {
      const db = new Database(path, { readonly: true });
      try {
        return {
          dataset: db.prepare('SELECT * FROM evaluation_datasets WHERE dataset_id = ?').get(GOLDEN_DATASET),
          tags: db.prepare('SELECT * FROM evaluation_dataset_tags WHERE dataset_id = ? ORDER BY "key"').all(GOLDEN_DATASET),
          records: db.prepare('SELECT * FROM evaluation_dataset_records WHERE dataset_id = ? ORDER BY dataset_record_id').all(GOLDEN_DATASET),
        };
      } finally {
        db.close();
      }
    };
    const before = snapshot();
    const where = { source: `sqlite:///${path}`, sourceProject: 'genai-fixture', target: `sqlite:///${path}`, targetProject: 'genai-copy' };
    const { copy } = await copyAndVerify(cwd, where);
    const [row] = copy.datasets;
    expect(row).toMatchObject({ outcome: 'copied', records: { source: 5, written: 5 } });
    expect(row.targetDatasetId).not.toBe(GOLDEN_DATASET);
    expect(row.notes.join('\n')).toContain('taken in this database');
    expect(snapshot()).toEqual(before);
    const db = new Database(path, { readonly: true });
    try {
      const ids = db.prepare('SELECT dataset_record_id FROM evaluation_dataset_records WHERE dataset_id = ?').all(row.targetDatasetId) as Array<{ dataset_record_id: string }>;
      expect(ids).toHaveLength(5);
      const sourceIds = new Set((before.records as Array<{ dataset_record_id: string }>).map((r) => r.dataset_record_id));
      expect(ids.every((r) => !sourceIds.has(r.dataset_record_id))).toBe(true);
    } finally {
      db.close();
    }
    const again = await cli(cwd, 'copy', where);
    expect(again.report.datasets.summary).toMatchObject({ skipped: 1, recordsWritten: 0 });
  });

  it('into PostgreSQL: ids kept, verify clean, a re-run copies nothing', async () => {
    const cwd = tempDir('datasets-to-postgres');
    const database = await postgres.createDatabase('datasets_target');
    const client = await postgres.client(database);
    try {
      await createMlflowGenaiPostgresSchema(client);
    } finally {
      await client.end();
    }
    const where = {
      source: `sqlite:///${join(GENAI_SQLITE, 'mlflow.db')}`, sourceProject: 'genai-fixture',
      target: `${postgres.uri(database)}?artifacts=${join(cwd, 'pg-artifacts')}`, targetProject: 'copied',
    };
    const { copy, verify } = await copyAndVerify(cwd, where);
    expect(copy.datasets[0]).toMatchObject({ targetDatasetId: GOLDEN_DATASET, outcome: 'copied', records: { source: 5, written: 5 } });
    expect(verify.summary).toMatchObject({ ok: 1, records: 5 });
    const again = await cli(cwd, 'copy', where);
    expect(again.report.datasets.summary).toMatchObject({ skipped: 1, recordsWritten: 0 });
  });
});
