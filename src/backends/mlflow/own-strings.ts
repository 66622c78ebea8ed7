/**
 * Strings the MLflow backend keeps for the whole copy (a listed run's info, a copy's ids) must
 * not keep the answer they came from: V8's JSON.parse hands out string values of 13 characters
 * or more as slices of the parsed text, so one run id kept from a runs/search page keeps the
 * whole page (megabytes for 1000 runs) alive. Kept strings are copied into strings of their own.
 */
import { RUN_STATUSES, type RunInfo, type RunStatus } from '../../model/run.js';

export function ownString(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

/** A listed run's info in strings of its own; its status is one of the shared constants. */
export function ownRunInfo(info: RunInfo, stateToken?: string): RunInfo {
  const own = (text: string | undefined) => (text === undefined ? undefined : ownString(text));
  // Every field, in one order, even when undefined: all infos then share one hidden class (a
  // spread with fields added after it gets one per object once V8 optimises it).
  return {
    runId: ownString(info.runId),
    name: own(info.name),
    user: own(info.user),
    startTime: info.startTime,
    endTime: info.endTime,
    status: sharedStatus(info.status),
    deleted: info.deleted,
    experimentId: own(info.experimentId),
    artifactUri: own(info.artifactUri),
    parentRunId: own(info.parentRunId),
    stateToken,
  };
}

/** Each parsed status is a string of its own (24 bytes a run); the constant is shared. */
function sharedStatus(status: RunStatus): RunStatus {
  return RUN_STATUSES.find((known) => known === status) ?? status;
}
