import type { Capabilities } from '../contract.js';
import { MLFLOW_BATCH_LIMITS, MLFLOW_VALUE_LIMITS } from '../mlflow-rules.js';

/**
 * What an mlruns store keeps. Run meta.yaml holds user, start/end time and status as written, and
 * deleted runs stay (lifecycle_stage: deleted). Metric values are Python float reprs, so NaN and
 * the infinities come back exactly (`nan`, `inf`, `-inf`). Keys and values follow MLflow's
 * validation rules (FileStore validates like every MLflow store). One metric write at a time per
 * run: concurrent appends to one history would interleave batches out of order.
 */
export const MLRUNS_CAPABILITIES: Capabilities = {
  read: true,
  write: true,
  setsStartTime: true,
  setsEndTime: true,
  setsStatus: true,
  setsUser: true,
  keepsDeletedRuns: true,
  nativeFilter: false,
  typedValues: false,
  nonFinite: 'exact',
  batch: MLFLOW_BATCH_LIMITS,
  limits: MLFLOW_VALUE_LIMITS,
  writeConcurrency: 1,
};
