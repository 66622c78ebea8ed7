/**
 * One metric's history, read in keyset-paginated chunks so that memory stays bounded and no
 * statement (no read lock) is held while the consumer works on a batch.
 *
 * How MLflow stores a point (sqlalchemy_store._get_metric_value_details): NaN as value 0 with
 * is_nan = 1; +-Infinity as +-1.7976931348623157e308 (so they come back clamped). The primary key
 * is (key, timestamp, step, run_uuid, value, is_nan), so within one run and key the tuple
 * (timestamp, step, value, is_nan) is unique: is_nan is part of the cursor because a NaN point and
 * a real 0 can share timestamp and step.
 *
 * Why the time window: the only index that serves "one key of one run, in order" before MLflow
 * 3.12 is that primary key, which leads with key and timestamp and holds every run's points of the
 * key. Bounding the scan by the run's first and last timestamp (one GROUP BY over the run's own
 * rows, shared by all its keys) keeps each chunk from walking other runs' later points.
 */
import type { MetricPoint } from '../../model/run.js';
import type { SqlReader } from './sql-driver.js';
import { bool, int64, num, text } from './values.js';

export const DEFAULT_METRIC_CHUNK = 10_000;

export interface KeySummary {
  key: string;
  first: bigint;
  last: bigint;
  count: number;
}

const SUMMARY_SQL = `SELECT key, MIN(timestamp) AS first, MAX(timestamp) AS last, COUNT(*) AS count
  FROM metrics WHERE run_uuid = ? GROUP BY key ORDER BY key`;

const FIRST_CHUNK_SQL = `SELECT timestamp, step, value, is_nan FROM metrics
  WHERE key = ? AND run_uuid = ? AND timestamp >= ? AND timestamp <= ?
  ORDER BY timestamp, step, run_uuid, value, is_nan LIMIT ?`;

// run_uuid sits inside the row value so that it lines up with the primary key's columns and
// SQLite can seek straight to the cursor; it is constant, so it does not change the order.
const NEXT_CHUNK_SQL = `SELECT timestamp, step, value, is_nan FROM metrics
  WHERE key = ? AND run_uuid = ? AND (timestamp, step, run_uuid, value, is_nan) > (?, ?, ?, ?, ?) AND timestamp <= ?
  ORDER BY timestamp, step, run_uuid, value, is_nan LIMIT ?`;

export async function summariseKeys(connection: SqlReader, runId: string): Promise<Map<string, KeySummary>> {
  const summaries = new Map<string, KeySummary>();
  for (const row of await connection.all(SUMMARY_SQL, runId)) {
    const key = text(row.key);
    if (key === undefined) continue;
    summaries.set(key, {
      key,
      first: typeof row.first === 'bigint' ? row.first : BigInt(num(row.first) ?? 0),
      last: typeof row.last === 'bigint' ? row.last : BigInt(num(row.last) ?? 0),
      count: num(row.count) ?? 0,
    });
  }
  return summaries;
}

/**
 * Yields the points of `summary.key` in (timestamp, step) order, at most `chunk` per batch.
 * `onShort` hears how many points the summary counted but the pages did not reach (rows whose
 * timestamp is NULL, which MLflow never writes but SQLite would accept).
 */
export async function* readMetricHistory(
  connection: SqlReader,
  runId: string,
  summary: KeySummary,
  chunk: number,
  onShort: (missing: number) => void,
): AsyncGenerator<MetricPoint[]> {
  let rows = await connection.all(FIRST_CHUNK_SQL, summary.key, runId, summary.first, summary.last, chunk);
  let read = 0;
  while (rows.length > 0) {
    read += rows.length;
    const last = rows[rows.length - 1]!;
    const cursor = [last.timestamp, last.step, runId, last.value, last.is_nan];
    const full = rows.length === chunk;
    yield rows.map(toPoint);
    if (!full) break;
    rows = await connection.all(NEXT_CHUNK_SQL, summary.key, runId, ...cursor, summary.last, chunk);
  }
  if (read < summary.count) onShort(summary.count - read);
}

function toPoint(row: Record<string, unknown>): MetricPoint {
  return {
    value: bool(row.is_nan) ? Number.NaN : (num(row.value) ?? Number.NaN),
    timestamp: num(row.timestamp) ?? 0,
    step: int64(row.step) ?? 0,
  };
}
