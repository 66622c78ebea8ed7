/**
 * A trace's state token and the difference between a source trace and its complete copy.
 *
 * What can change in a trace after it is complete, in MLflow: its tags (set, changed, deleted)
 * and its assessments (created, updated, overridden, deleted). Spans never change once a trace is
 * complete, and MLflow offers no call that changes its metadata, request time, state or previews.
 * So the token is a digest of the source's tags and assessments, as the listing gives them: the
 * copy records the one it is up to date with (`runs_migrator.source_state`), and a copy whose
 * token did not move is not opened.
 */
import { createHash } from 'node:crypto';
import { isLosslessNumber, type LosslessNumber } from 'lossless-json';
import { docObject, dumpPythonJson, type JsonDoc } from '../../model/python-json.js';
import { TRACE_PROVENANCE_KEYS } from '../../model/trace-provenance.js';
import type { Assessment } from '../../model/trace.js';
import type { TraceUpdate } from './contract.js';
import { COPY_BOOKKEEPING, STORE_OWNED_TAGS } from './map-trace.js';

/** Numbers as numbers: a server answers 1 as 1.0 (a protobuf double), as verify allows (compare-trace.ts). */
function asNumbers(value: JsonDoc): JsonDoc {
  if (isLosslessNumber(value)) return Number((value as LosslessNumber).value);
  if (Array.isArray(value)) return value.map(asNumbers);
  const object = docObject(value);
  return object ? Object.fromEntries(Object.entries(object).map(([k, v]) => [k, asNumbers(v)])) : value;
}

/** Compared as text: the value as Python's json.dumps writes it, every other field as it is. */
function assessmentText(a: Assessment): string {
  return JSON.stringify([
    a.assessmentId,
    a.name,
    a.kind,
    dumpPythonJson(asNumbers(a.value)),
    a.error ?? null,
    a.rationale ?? null,
    a.sourceType,
    a.sourceId ?? null,
    Object.entries(a.metadata).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
    a.spanId ?? null,
    a.runId ?? null,
    a.overrides ?? null,
    a.valid,
    a.createTime,
    a.lastUpdateTime,
  ]);
}

export function traceStateToken(tags: Record<string, string>, assessments: Assessment[]): string {
  const hash = createHash('sha256');
  // Store-owned tags are left out (the source's store may rewrite them), and an earlier copy's bookkeeping.
  for (const key of Object.keys(tags).sort()) if (!STORE_OWNED_TAGS.has(key) && !key.startsWith(COPY_BOOKKEEPING)) hash.update(`t\u0000${key}\u0000${tags[key]}\u0000`);
  for (const text of assessments.map(assessmentText).sort()) hash.update(`a\u0000${text}\u0000`);
  return `t1:${hash.digest('hex').slice(0, 32)}`;
}

/** Tags the sync neither sets nor deletes: the store's own and the provenance (runs_migrator.*, old_sys/*). */
const notSynced = (key: string) => STORE_OWNED_TAGS.has(key) || TRACE_PROVENANCE_KEYS.has(key) || key.startsWith(COPY_BOOKKEEPING);

/** The same pairing as verify (compare-trace.ts): by id, or by name, source and create time. */
export const assessmentPairKey = (a: Assessment) => `${a.name}\u0000${a.sourceType}\u0000${a.sourceId ?? ''}\u0000${a.createTime}`;

/**
 * The difference between what the copy must hold (the source mapped with the copy's ids,
 * map-trace.ts) and what it holds, and one line per change for the report.
 */
export function traceDifference(wanted: { tags: Record<string, string>; assessments: Assessment[] }, copy: { tags: Record<string, string>; assessments: Assessment[] }): { update: TraceUpdate; changes: string[] } {
  const update: TraceUpdate = { setTags: {}, deleteTags: [], createAssessments: [], updateAssessments: [], deleteAssessments: [], wantedAssessments: wanted.assessments, copyAssessments: copy.assessments };
  const changes: string[] = [];
  for (const [key, value] of Object.entries(wanted.tags)) {
    if (notSynced(key) || copy.tags[key] === value) continue;
    update.setTags[key] = value;
    changes.push(copy.tags[key] === undefined ? `tag ${key} set` : `tag ${key} changed`);
  }
  for (const key of Object.keys(copy.tags)) {
    if (notSynced(key) || key in wanted.tags) continue;
    update.deleteTags.push(key);
    changes.push(`tag ${key} deleted`);
  }
  const copies = new Map(copy.assessments.map((a) => [a.assessmentId, a]));
  for (const a of wanted.assessments) {
    const existing = copies.get(a.assessmentId);
    if (!existing) {
      update.createAssessments.push(a);
      changes.push(`assessment ${a.name} (${a.assessmentId}) added`);
    } else if (assessmentText(existing) !== assessmentText(a)) {
      update.updateAssessments.push(a);
      changes.push(`assessment ${a.name} (${a.assessmentId}) updated`);
    }
  }
  const wantedIds = new Set(wanted.assessments.map((a) => a.assessmentId));
  for (const a of copy.assessments) {
    if (wantedIds.has(a.assessmentId)) continue;
    update.deleteAssessments.push(a.assessmentId);
    changes.push(`assessment ${a.name} (${a.assessmentId}) deleted`);
  }
  return { update, changes };
}

export function isEmptyUpdate(update: TraceUpdate): boolean {
  return Object.keys(update.setTags).length === 0 && update.deleteTags.length === 0 && update.createAssessments.length === 0 && update.updateAssessments.length === 0 && update.deleteAssessments.length === 0;
}
