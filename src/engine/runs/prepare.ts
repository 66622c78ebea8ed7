/**
 * Fits a source run's params, tags and metric keys to what the target accepts. Whatever does not
 * fit is reported as a RunIssue; nothing is changed or left out silently (DESIGN rule 3).
 */
import type { Store } from '../../backends/contract.js';
import type { KeyValue, RunInfo } from '../../model/run.js';
import { PROVENANCE, PROVENANCE_KEYS } from '../../model/provenance.js';
import type { RunIssue } from '../types.js';

export const PARENT_TAG = 'mlflow.parentRunId';

/** Tags runs-migrator writes for its own bookkeeping (`runs_migrator.completed`, `runs_migrator.discarded`). */
const TOOL_TAG_PREFIX = 'runs_migrator.';

export interface Provenance {
  sourceProject: string;
  sourceUri: string;
}

/** The provenance tags of a copy, and the read-only facts the target cannot set itself. */
export function provenanceTags(info: RunInfo, origin: Provenance, target: Store): KeyValue[] {
  const tags: KeyValue[] = [
    { key: PROVENANCE.runId, value: info.runId },
    { key: PROVENANCE.project, value: origin.sourceProject },
    { key: PROVENANCE.uri, value: origin.sourceUri },
  ];
  if (info.experimentId !== undefined) tags.push({ key: PROVENANCE.experimentId, value: info.experimentId });
  if (info.artifactUri !== undefined) tags.push({ key: PROVENANCE.artifactUri, value: info.artifactUri });
  if (info.parentRunId !== undefined) tags.push({ key: PROVENANCE.parentRunId, value: info.parentRunId });
  const caps = target.capabilities;
  if (!caps.setsStartTime && info.startTime !== undefined) tags.push({ key: 'old_sys/start_time', value: String(info.startTime) });
  if (!caps.setsEndTime && info.endTime !== undefined) tags.push({ key: 'old_sys/end_time', value: String(info.endTime) });
  if (!caps.setsStatus) tags.push({ key: 'old_sys/status', value: info.status });
  if (!caps.setsUser && info.user !== undefined) tags.push({ key: 'old_sys/user', value: info.user });
  return tags;
}

export interface PreparedValues {
  params: KeyValue[];
  tags: KeyValue[];
}

/**
 * Checks keys and value lengths. Source tags that carry provenance of an earlier copy are replaced
 * by this copy's provenance (reported as mapped); the parent tag is rewritten to the target's
 * parent id, or left out with the original id kept in old_sys/parent_run_id.
 */
export function prepareValues(
  params: KeyValue[],
  tags: KeyValue[],
  target: Store,
  parentTargetId: string | undefined,
  issues: RunIssue[],
): PreparedValues {
  const limits = target.capabilities.limits;
  const outParams: KeyValue[] = [];
  for (const param of params) {
    const fitted = fitValue('param', param, limits.maxParamValueLength, target, issues);
    if (fitted) outParams.push(fitted);
  }
  const outTags: KeyValue[] = [];
  for (const tag of tags) {
    if (PROVENANCE_KEYS.has(tag.key) || tag.key.startsWith(TOOL_TAG_PREFIX)) {
      // A run that is itself a copy: its provenance and our bookkeeping tags (completion marker,
      // discard mark) describe the earlier copy, not this one.
      issues.push({ field: 'tag', key: tag.key, action: 'mapped', reason: `replaced by this copy's provenance (was "${tag.value}")` });
      continue;
    }
    if (tag.key === PARENT_TAG) {
      if (parentTargetId !== undefined) {
        outTags.push({ key: PARENT_TAG, value: parentTargetId });
      } else {
        issues.push({
          field: 'tag',
          key: PARENT_TAG,
          action: 'dropped',
          reason: `parent run ${tag.value} was not copied; its id is kept in ${PROVENANCE.parentRunId}`,
        });
      }
      continue;
    }
    const fitted = fitValue('tag', tag, limits.maxTagValueLength, target, issues);
    if (fitted) outTags.push(fitted);
  }
  return { params: outParams, tags: outTags };
}

function fitValue(field: 'param' | 'tag', item: KeyValue, maxLength: number, target: Store, issues: RunIssue[]): KeyValue | undefined {
  const rejected = target.rejectKey(item.key);
  if (rejected) {
    issues.push({ field, key: item.key, action: 'dropped', reason: `${target.kind} refuses the key: ${rejected}` });
    return undefined;
  }
  if (item.value.length > maxLength) {
    issues.push({
      field,
      key: item.key,
      action: 'truncated',
      reason: `value of ${item.value.length} characters cut to the ${target.kind} limit of ${maxLength}`,
    });
    return { ...item, value: item.value.slice(0, maxLength) };
  }
  return item;
}

/** Metric keys the target refuses are left out and reported. */
export function acceptedMetricKeys(keys: string[], target: Store, issues: RunIssue[]): string[] {
  const accepted: string[] = [];
  for (const key of keys) {
    const rejected = target.rejectKey(key);
    if (rejected) {
      issues.push({ field: 'metric', key, action: 'dropped', reason: `${target.kind} refuses the key: ${rejected}` });
    } else {
      accepted.push(key);
    }
  }
  return accepted;
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
