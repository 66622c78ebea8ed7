/**
 * Test archives written by DuckDB, an independent Parquet writer: rows are typed with the exact
 * column types of neptune-exporter's schema (DECIMAL(18,6) steps, UTC timestamps, VARCHAR[],
 * STRUCTs) and written with `COPY ... (FORMAT parquet, COMPRESSION snappy)`. DuckDB stores the
 * decimal INT64-backed and timestamps as MICROS (or MILLIS with TIMESTAMP_MS) - physical variants
 * pyarrow does not use, so they test the reader's tolerance too.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { sanitizePathPart } from '../../src/backends/neptune-export/sanitise.js';

export interface FixtureRow {
  project_id?: string | null;
  run_id?: string | null;
  attribute_path: string | null;
  attribute_type: string | null;
  /** Decimal text, e.g. '2.5'. */
  step?: string | number | null;
  /** Epoch ms. */
  timestamp?: number | null;
  int_value?: bigint | number | null;
  float_value?: number | null;
  string_value?: string | null;
  bool_value?: boolean | null;
  datetime_value?: number | null;
  string_set_value?: string[] | null;
  file_value?: { path: string } | null;
  histogram_value?: { type: string; edges: number[]; values: number[] } | null;
}

export interface PartOptions {
  /** TIMESTAMPTZ (MICROS, UTC; default) or TIMESTAMP_MS (MILLIS). */
  timestamps?: 'TIMESTAMPTZ' | 'TIMESTAMP_MS';
  rowGroupSize?: number;
}

const HISTOGRAM = 'STRUCT(type VARCHAR, edges DOUBLE[], "values" DOUBLE[])';

let connection: DuckDBConnection | undefined;

export async function duckdb(): Promise<DuckDBConnection> {
  if (!connection) connection = await (await DuckDBInstance.create(':memory:')).connect();
  return connection;
}

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function sqlDouble(value: number): string {
  if (Number.isNaN(value)) return `'NaN'::DOUBLE`;
  if (value === Infinity) return `'Infinity'::DOUBLE`;
  if (value === -Infinity) return `'-Infinity'::DOUBLE`;
  return `${Object.is(value, -0) ? '-0.0' : String(value)}::DOUBLE`;
}

function sqlTimestamp(ms: number | null | undefined, type: 'TIMESTAMPTZ' | 'TIMESTAMP_MS'): string {
  if (ms === null || ms === undefined) return `NULL::${type}`;
  return type === 'TIMESTAMPTZ' ? `make_timestamptz(${ms}::BIGINT * 1000)` : `epoch_ms(${ms}::BIGINT)::TIMESTAMP_MS`;
}

function rowSql(row: FixtureRow, defaults: { project_id: string; run_id: string }, seq: number, ts: 'TIMESTAMPTZ' | 'TIMESTAMP_MS'): string {
  const text = (value: string | null | undefined): string => (value === null || value === undefined ? 'NULL::VARCHAR' : sqlString(value));
  const project = row.project_id === undefined ? defaults.project_id : row.project_id;
  const run = row.run_id === undefined ? defaults.run_id : row.run_id;
  return `(${[
    seq,
    text(project),
    text(run),
    text(row.attribute_path),
    text(row.attribute_type),
    row.step === null || row.step === undefined ? 'NULL::DECIMAL(18,6)' : `CAST('${row.step}' AS DECIMAL(18,6))`,
    sqlTimestamp(row.timestamp, ts),
    row.int_value === null || row.int_value === undefined ? 'NULL::BIGINT' : `${row.int_value}::BIGINT`,
    row.float_value === null || row.float_value === undefined ? 'NULL::DOUBLE' : sqlDouble(row.float_value),
    text(row.string_value),
    row.bool_value === null || row.bool_value === undefined ? 'NULL::BOOLEAN' : row.bool_value ? 'TRUE' : 'FALSE',
    sqlTimestamp(row.datetime_value, ts),
    row.string_set_value === null || row.string_set_value === undefined
      ? 'NULL::VARCHAR[]'
      : `[${row.string_set_value.map(sqlString).join(', ')}]::VARCHAR[]`,
    row.file_value === null || row.file_value === undefined
      ? 'NULL::STRUCT(path VARCHAR)'
      : `{'path': ${sqlString(row.file_value.path)}}::STRUCT(path VARCHAR)`,
    row.histogram_value === null || row.histogram_value === undefined
      ? `NULL::${HISTOGRAM}`
      : `{'type': ${sqlString(row.histogram_value.type)}, 'edges': [${row.histogram_value.edges.map(sqlDouble).join(', ')}]::DOUBLE[], 'values': [${row.histogram_value.values.map(sqlDouble).join(', ')}]::DOUBLE[]}::${HISTOGRAM}`,
  ].join(', ')})`;
}

const COLUMN_LIST =
  'seq, project_id, run_id, attribute_path, attribute_type, step, "timestamp", int_value, float_value, string_value, bool_value, datetime_value, string_set_value, file_value, histogram_value';

/** Writes one part file with DuckDB, rows in the given order. */
export async function writePart(
  file: string,
  rows: FixtureRow[],
  defaults: { project_id: string; run_id: string },
  options: PartOptions = {},
): Promise<void> {
  const db = await duckdb();
  const ts = options.timestamps ?? 'TIMESTAMPTZ';
  const values = rows.map((row, index) => rowSql(row, defaults, index, ts)).join(',\n');
  const rowGroup = options.rowGroupSize ? `, ROW_GROUP_SIZE ${options.rowGroupSize}` : '';
  await db.run(
    `COPY (SELECT * EXCLUDE (seq) FROM (VALUES ${values}) v(${COLUMN_LIST}) ORDER BY seq)
     TO ${sqlString(file)} (FORMAT parquet, COMPRESSION snappy${rowGroup})`,
  );
}

/** `<data>/<S(projectId)>`, created. */
export async function projectDir(data: string, projectId: string, name = sanitizePathPart(projectId)): Promise<string> {
  const dir = join(data, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

export function partFile(dir: string, runId: string, index: number, tmp = false): string {
  return join(dir, `${sanitizePathPart(runId)}_part_${index}.parquet${tmp ? '.tmp' : ''}`);
}

/** Rows of a query as plain objects (DuckDB JSON-friendly values). */
export async function query(sql: string): Promise<Array<Record<string, unknown>>> {
  const db = await duckdb();
  const result = await db.runAndReadAll(sql);
  return result.getRowObjectsJson() as Array<Record<string, unknown>>;
}
