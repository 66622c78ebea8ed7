/**
 * Metric points as MLflow's SqlAlchemyStore stores them (_get_metric_value_details): NaN as value
 * 0 with is_nan true; +-Infinity as +-1.7976931348623157e308 (the largest double); everything
 * else as it is. Rows go in as multi-row INSERTs; an exact duplicate (same key, timestamp, step,
 * value, is_nan: the whole primary key) is left alone, as MLflow drops it, so a retried batch
 * never adds a row.
 *
 * latest_metrics is kept the way MLflow keeps it (_update_latest_metrics_if_necessary): per key
 * the point with the greatest (step, timestamp, value) - stored values, so a NaN counts as 0 -
 * and on a full tie the one logged first stays. Recorded against a real server in the golden
 * case `metrics-latest-value`.
 */
import type { MetricBatch } from '../contract.js';
import type { Int64, MetricPoint } from '../../model/run.js';
import type { SqlExecutor } from './sql-driver.js';

const DOUBLE_MAX = 1.7976931348623157e308;
/** Rows per INSERT statement: 6 parameters each, well below SQLite's and PostgreSQL's limits. */
export const ROWS_PER_INSERT = 500;

export interface StoredPoint {
  value: number;
  isNan: boolean;
  timestamp: number;
  step: bigint;
}

export function storedPoint(point: MetricPoint): StoredPoint {
  const nan = Number.isNaN(point.value);
  let value = nan ? 0 : point.value;
  if (value === Number.POSITIVE_INFINITY) value = DOUBLE_MAX;
  if (value === Number.NEGATIVE_INFINITY) value = -DOUBLE_MAX;
  return { value, isNan: nan, timestamp: point.timestamp, step: BigInt(point.step) };
}

/** MLflow's order for the latest value: step, then timestamp, then stored value. */
function later(a: StoredPoint, b: StoredPoint): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return a.value > b.value;
}

/** How the dialect binds a boolean and an int64, and whether it takes whole columns as arrays. */
export interface Binding {
  bool(value: boolean): unknown;
  int(value: Int64 | bigint): unknown;
  /**
   * PostgreSQL: a batch goes in as one INSERT ... SELECT FROM unnest(<column arrays>) - four
   * array parameters instead of six parameters a row, as fast as COPY yet with ON CONFLICT.
   */
  columnArrays?: boolean;
}

const METRIC_COLUMNS = '(key, value, timestamp, run_uuid, step, is_nan)';

function insertSql(rows: number): string {
  return `INSERT INTO metrics ${METRIC_COLUMNS} VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT DO NOTHING`;
}

const FULL_INSERT = insertSql(ROWS_PER_INSERT);

const UNNEST_INSERT = `INSERT INTO metrics ${METRIC_COLUMNS}
  SELECT ?, u.v, u.ts, ?, u.st, u.nan FROM unnest(?::float8[], ?::bigint[], ?::bigint[], ?::boolean[]) AS u(v, ts, st, nan)
  ON CONFLICT DO NOTHING`;

/** A PostgreSQL array literal of plain tokens (numbers, t/f): nothing to quote. */
function arrayLiteral(items: string[]): string {
  return `{${items.join(',')}}`;
}

const LATEST_SQL = `INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan
  WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)`;

/** Inserts the batches' points and moves latest_metrics on; answers the rows really added, per batch. */
export async function insertMetricBatches(tx: SqlExecutor, runId: string, batches: MetricBatch[], bind: Binding): Promise<number[]> {
  const addedPerBatch: number[] = [];
  let added = 0;
  let params: unknown[] = [];
  let rows = 0;
  const flush = async () => {
    if (rows === 0) return;
    added += await tx.run(rows === ROWS_PER_INSERT ? FULL_INSERT : insertSql(rows), params);
    params = [];
    rows = 0;
  };
  for (const batch of batches) {
    let latest: StoredPoint | undefined;
    if (bind.columnArrays) {
      const values: string[] = [];
      const times: string[] = [];
      const steps: string[] = [];
      const nans: string[] = [];
      for (const point of batch.points) {
        const stored = storedPoint(point);
        if (!latest || later(stored, latest)) latest = stored;
        values.push(String(stored.value));
        times.push(String(stored.timestamp));
        steps.push(stored.step.toString());
        nans.push(stored.isNan ? 't' : 'f');
      }
      addedPerBatch.push(
        batch.points.length === 0
          ? 0
          : await tx.run(UNNEST_INSERT, [batch.key, runId, arrayLiteral(values), arrayLiteral(times), arrayLiteral(steps), arrayLiteral(nans)]),
      );
      if (latest) await tx.run(LATEST_SQL, [batch.key, latest.value, bind.int(latest.timestamp), bind.int(latest.step), bind.bool(latest.isNan), runId]);
      continue;
    }
    for (const point of batch.points) {
      const stored = storedPoint(point);
      if (!latest || later(stored, latest)) latest = stored;
      params.push(batch.key, stored.value, bind.int(stored.timestamp), runId, bind.int(stored.step), bind.bool(stored.isNan));
      if (++rows === ROWS_PER_INSERT) await flush();
    }
    await flush();
    addedPerBatch.push(added);
    added = 0;
    if (latest) {
      await tx.run(LATEST_SQL, [batch.key, latest.value, bind.int(latest.timestamp), bind.int(latest.step), bind.bool(latest.isNan), runId]);
    }
  }
  return addedPerBatch;
}
