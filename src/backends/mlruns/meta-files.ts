/**
 * The two meta.yaml shapes of a FileStore, field for field as MLflow writes them.
 *
 * Experiment (`_create_experiment_with_id`: `dict(Experiment)` without tags; properties sorted,
 * mlflow/entities/experiment.py):
 *   artifact_location, creation_time, experiment_id (a string), last_update_time,
 *   lifecycle_stage, name
 *
 * Run (`_make_persisted_run_info_dict`: `dict(RunInfo)` plus legacy fields; mlflow/entities/run_info.py):
 *   artifact_uri, [deleted_time], end_time, entry_point_name: '', experiment_id, lifecycle_stage,
 *   run_id, run_name, run_uuid, source_name: '', source_type: 4 (SourceType.LOCAL),
 *   source_version: '', start_time, status (an int: RUNNING=1 SCHEDULED=2 FINISHED=3 FAILED=4
 *   KILLED=5, service.proto RunStatus), tags: [], user_id
 * `create_run` writes `deleted_time: null`; `_overwrite_run_info` (update, delete, restore)
 * writes the key only when the run is deleted.
 */
import type { ReadIssue } from '../contract.js';
import { RUN_STATUSES, isRunStatus, type RunStatus } from '../../model/run.js';
import { dumpPyYaml, parsePyYaml, type YamlValue } from './pyyaml.js';

export type LifecycleStage = 'active' | 'deleted';

export interface ExperimentMeta {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  creationTime?: number;
  lastUpdateTime?: number;
}

export interface RunMeta {
  runId: string;
  runName: string;
  experimentId: string;
  userId: string;
  status: RunStatus;
  startTime: number | null;
  endTime: number | null;
  artifactUri: string;
  lifecycleStage: LifecycleStage;
  /** undefined: the key is absent; null: written as `null` (a run MLflow never updated). */
  deletedTime?: number | null;
}

/** A meta.yaml that is missing, empty or not what FileStore writes. */
export class MalformedMetaError extends Error {
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'MalformedMetaError';
  }
}

const STATUS_CODES: Record<RunStatus, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
const SOURCE_TYPE_LOCAL = 4;

export function statusCode(status: RunStatus): number {
  return STATUS_CODES[status];
}

export function formatExperimentMeta(meta: ExperimentMeta): string {
  return dumpPyYaml({
    artifact_location: meta.artifactLocation,
    creation_time: meta.creationTime ?? null,
    experiment_id: meta.experimentId,
    last_update_time: meta.lastUpdateTime ?? null,
    lifecycle_stage: meta.lifecycleStage,
    name: meta.name,
  });
}

export function formatRunMeta(meta: RunMeta): string {
  const data: { [key: string]: YamlValue } = {
    artifact_uri: meta.artifactUri,
    end_time: meta.endTime,
    entry_point_name: '',
    experiment_id: meta.experimentId,
    lifecycle_stage: meta.lifecycleStage,
    run_id: meta.runId,
    run_name: meta.runName,
    run_uuid: meta.runId,
    source_name: '',
    source_type: SOURCE_TYPE_LOCAL,
    source_version: '',
    start_time: meta.startTime,
    status: STATUS_CODES[meta.status],
    tags: [],
    user_id: meta.userId,
  };
  if (meta.deletedTime !== undefined) data.deleted_time = meta.deletedTime;
  return dumpPyYaml(data);
}

function mapping(text: string, path: string): { [key: string]: YamlValue } {
  let value: YamlValue;
  try {
    value = parsePyYaml(text);
  } catch (error) {
    throw new MalformedMetaError(path, `not YAML (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedMetaError(path, 'empty or not a mapping');
  }
  return value;
}

function text(value: YamlValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') return undefined;
  return String(value);
}

/** Times are ints in the file; legacy stores may hold floats. */
function time(value: YamlValue | undefined): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function lifecycle(value: YamlValue | undefined): LifecycleStage {
  return value === 'deleted' ? 'deleted' : 'active';
}

export function parseExperimentMeta(textContent: string, path: string): ExperimentMeta {
  const data = mapping(textContent, path);
  // Legacy stores wrote experiment_id as an int (`_read_persisted_experiment_dict`).
  const experimentId = text(data.experiment_id);
  const name = text(data.name);
  if (experimentId === undefined) throw new MalformedMetaError(path, 'no experiment_id');
  if (name === undefined) throw new MalformedMetaError(path, 'no name');
  return {
    experimentId,
    name,
    artifactLocation: text(data.artifact_location) ?? '',
    lifecycleStage: lifecycle(data.lifecycle_stage),
    creationTime: time(data.creation_time),
    lastUpdateTime: time(data.last_update_time),
  };
}

/** Status as `_read_persisted_run_info_dict` reads it: an int enum, RUNNING when absent. */
function parseStatus(value: YamlValue | undefined, issues: ReadIssue[]): RunStatus {
  if (value === undefined || value === null) return 'RUNNING';
  if (typeof value === 'number') {
    const status = RUN_STATUSES.find((name) => STATUS_CODES[name] === value);
    if (status) return status;
  }
  if (isRunStatus(value)) return value;
  issues.push({ field: 'status', reason: `unknown run status ${String(value)} in meta.yaml; read as RUNNING` });
  return 'RUNNING';
}

export function parseRunMeta(textContent: string, path: string): { meta: RunMeta; issues: ReadIssue[] } {
  const data = mapping(textContent, path);
  const issues: ReadIssue[] = [];
  const runId = text(data.run_id) ?? text(data.run_uuid);
  const experimentId = text(data.experiment_id);
  if (runId === undefined) throw new MalformedMetaError(path, 'no run_id');
  if (experimentId === undefined) throw new MalformedMetaError(path, 'no experiment_id');
  const deletedTime = data.deleted_time === null ? null : time(data.deleted_time);
  return {
    meta: {
      runId,
      runName: text(data.run_name) ?? '',
      experimentId,
      userId: text(data.user_id) ?? '',
      status: parseStatus(data.status, issues),
      startTime: time(data.start_time) ?? null,
      endTime: time(data.end_time) ?? null,
      artifactUri: text(data.artifact_uri) ?? '',
      lifecycleStage: lifecycle(data.lifecycle_stage),
      ...(deletedTime !== undefined ? { deletedTime } : {}),
    },
    issues,
  };
}
