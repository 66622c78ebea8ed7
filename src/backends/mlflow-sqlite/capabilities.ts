/**
 * What MLflow's database (SQLite or PostgreSQL) keeps, as a source and as a target. Apart from
 * the drivers so that opening PostgreSQL does not load SQLite's native module.
 */
import type { Capabilities } from '../contract.js';
import { MLFLOW_BATCH_LIMITS, MLFLOW_VALUE_LIMITS } from '../mlflow-rules.js';

/** As a source: what the reader gives (it never writes). */
export const MLFLOW_SQLITE_CAPABILITIES: Capabilities = {
  read: true,
  write: false,
  setsStartTime: false,
  setsEndTime: false,
  setsStatus: false,
  setsUser: false,
  keepsDeletedRuns: false,
  nativeFilter: false,
  typedValues: false,
  nonFinite: 'infinity-clamped',
  batch: MLFLOW_BATCH_LIMITS,
  limits: MLFLOW_VALUE_LIMITS,
  writeConcurrency: 1,
};

/**
 * As a target: every run field is a column MLflow lets its clients set, deleted runs stay
 * (lifecycle_stage), infinities are clamped as MLflow clamps them, an exact duplicate point is
 * stored once (the whole row is the primary key). Metric batches are larger
 * than the REST API's 1000 (a batch is one short transaction; fewer commits is most of the speed)
 * while keys and values keep MLflow's limits. One writer at a time: SQLite has one write lock.
 */
export const MLFLOW_SQLITE_TARGET_CAPABILITIES: Capabilities = {
  ...MLFLOW_SQLITE_CAPABILITIES,
  write: true,
  setsStartTime: true,
  setsEndTime: true,
  setsStatus: true,
  setsUser: true,
  keepsDeletedRuns: true,
  batch: { ...MLFLOW_BATCH_LIMITS, maxMetrics: 10_000, maxEntities: 10_000 },
  dropsExactDuplicatePoints: true,
};
