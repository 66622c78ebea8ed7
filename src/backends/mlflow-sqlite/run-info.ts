/**
 * A `runs` row as a RunInfo, the way MLflow's SqlRun.to_mlflow_entity reads it: the name falls
 * back to the mlflow.runName tag (runs written before MLflow 1.29 kept it only there), the parent
 * is the mlflow.parentRunId tag, `deleted` is lifecycle_stage 'deleted'.
 */
import type { ReadIssue } from '../contract.js';
import { isRunStatus, type RunInfo, type RunStatus } from '../../model/run.js';
import { num, text } from './values.js';

/** Columns for toRunInfo; `r` is the runs table. */
export const RUN_COLUMNS = `r.run_uuid, r.name, r.user_id, r.status, r.start_time, r.end_time, r.lifecycle_stage,
  r.experiment_id, r.artifact_uri,
  (SELECT value FROM tags WHERE key = 'mlflow.parentRunId' AND run_uuid = r.run_uuid) AS parent_run_id,
  (SELECT value FROM tags WHERE key = 'mlflow.runName' AND run_uuid = r.run_uuid) AS run_name_tag`;

/** MLflow's column default for runs.status (SqlRun). */
const DEFAULT_STATUS: RunStatus = 'SCHEDULED';

export function toRunInfo(row: Record<string, unknown>): { info: RunInfo; issues: ReadIssue[] } {
  const issues: ReadIssue[] = [];
  const rawStatus = text(row.status);
  let status: RunStatus = DEFAULT_STATUS;
  if (isRunStatus(rawStatus)) {
    status = rawStatus;
  } else {
    issues.push({
      field: 'info/status',
      reason: `status ${rawStatus === undefined ? 'is NULL' : `"${rawStatus}" is not an MLflow run status`} in the store; read as ${DEFAULT_STATUS} (the column's default)`,
    });
  }
  const info: RunInfo = {
    runId: text(row.run_uuid) ?? '',
    status,
    deleted: text(row.lifecycle_stage) === 'deleted',
  };
  const name = text(row.name) || text(row.run_name_tag);
  if (name) info.name = name;
  const user = text(row.user_id);
  if (user !== undefined) info.user = user;
  const start = num(row.start_time);
  if (start !== undefined) info.startTime = start;
  const end = num(row.end_time);
  if (end !== undefined) info.endTime = end;
  const experiment = text(row.experiment_id);
  if (experiment !== undefined) info.experimentId = experiment;
  const artifactUri = text(row.artifact_uri);
  if (artifactUri !== undefined) info.artifactUri = artifactUri;
  const parent = text(row.parent_run_id);
  if (parent) info.parentRunId = parent;
  return { info, issues };
}
