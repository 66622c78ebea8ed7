/**
 * Compares a source trace with its copy, field by field, by the rules copy follows (map-trace.ts):
 * the copy's span documents must be the source's byte for byte once the trace id is the copy's;
 * assessments are paired by id, or (when the copy got new ids) by name, source and create time.
 */
import { TRACE_PROVENANCE, TRACE_PROVENANCE_KEYS } from '../../model/trace-provenance.js';
import { isLosslessNumber, type LosslessNumber } from 'lossless-json';
import { cloneDoc, docObject, dumpPythonJson, type JsonDoc } from '../../model/python-json.js';
import { spanForTrace } from '../../model/trace-span.js';
import { TRACE_METADATA, type Assessment, type Trace } from '../../model/trace.js';
import { STORE_OWNED_TAGS } from './map-trace.js';
import { comparePromptLinkTags, LINKED_PROMPTS_TAG } from './prompt-links.js';

export interface TraceLinks {
  /** Source run id -> its copy's id. */
  runCopies: ReadonlyMap<string, string>;
  modelCopies: ReadonlyMap<string, string>;
}

/** Metadata a store writes on its own traces (MLflow's SQL store marks finished trace infos). */
const STORE_OWNED_METADATA: ReadonlySet<string> = new Set([TRACE_METADATA.infoFinalized]);

export function compareTrace(source: Trace, copy: Trace, links: TraceLinks): string[] {
  const differences: string[] = [];
  const a = source.info;
  const b = copy.info;
  const same = (what: string, x: unknown, y: unknown) => {
    if (x !== y) differences.push(`${what}: ${JSON.stringify(x)} in the source, ${JSON.stringify(y)} in the copy`);
  };
  same('request_time', a.requestTime, b.requestTime);
  same('execution_duration_ms', a.executionDurationMs, b.executionDurationMs);
  same('state', a.state, b.state);
  same('request_preview', a.requestPreview, b.requestPreview);
  same('response_preview', a.responsePreview, b.responsePreview);
  same('client_request_id', a.clientRequestId, b.clientRequestId);

  const linkTags = new Set<string>([TRACE_PROVENANCE.sourceRun, TRACE_PROVENANCE.modelId]);
  const ownTags = (tags: Record<string, string>, copySide: boolean) =>
    Object.fromEntries(Object.entries(tags).filter(([key]) => !STORE_OWNED_TAGS.has(key) && !TRACE_PROVENANCE_KEYS.has(key) && key !== LINKED_PROMPTS_TAG && !(copySide && linkTags.has(key))));
  compareRecords('tag', ownTags(a.tags, false), ownTags(b.tags, true), differences);
  differences.push(...comparePromptLinkTags(a.tags, b.tags));

  const linked = [
    { key: TRACE_METADATA.sourceRun, copies: links.runCopies, old: TRACE_PROVENANCE.sourceRun },
    { key: TRACE_METADATA.modelId, copies: links.modelCopies, old: TRACE_PROVENANCE.modelId },
  ];
  const ownMetadata = (metadata: Record<string, string>) =>
    Object.fromEntries(Object.entries(metadata).filter(([key]) => !STORE_OWNED_METADATA.has(key) && !linked.some((link) => link.key === key)));
  compareRecords('metadata', ownMetadata(a.metadata), ownMetadata(b.metadata), differences);
  for (const link of linked) {
    const value = a.metadata[link.key];
    if (value === undefined || value === '') continue;
    const expected = link.copies.get(value);
    const ok = expected !== undefined ? b.metadata[link.key] === expected : b.metadata[link.key] === undefined && b.tags[link.old] === value;
    if (!ok) differences.push(`${link.key}: ${value} in the source is neither its copy's id nor kept in ${link.old} (copy has ${JSON.stringify(b.metadata[link.key])})`);
  }

  const copySpans = new Map(copy.spans.map((span) => [span.spanId, span]));
  if (copy.spans.length !== source.spans.length) differences.push(`spans: ${source.spans.length} in the source, ${copy.spans.length} in the copy`);
  for (const span of source.spans) {
    const other = copySpans.get(span.spanId);
    if (!other) {
      differences.push(`span ${span.spanId} (${span.name}): missing in the copy`);
      continue;
    }
    const expected = canonicalSpan(spanForTrace(span, a.traceId, b.traceId).document);
    if (expected !== canonicalSpan(other.document)) differences.push(`span ${span.spanId} (${span.name}): its document differs`);
  }
  compareAssessments(source.assessments, copy.assessments, links, differences);
  return differences;
}

/**
 * A span document with its attributes in key order: an MLflow server that takes spans through
 * OTLP stores mlflow.traceRequestId first. Every byte of every value is still compared.
 */
function canonicalSpan(document: JsonDoc): string {
  const doc = docObject(cloneDoc(document));
  const attributes = docObject(doc?.attributes);
  if (doc && attributes) doc.attributes = Object.fromEntries(Object.entries(attributes).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return dumpPythonJson(doc ?? document);
}

/** Values compared as numbers where they are numbers: a server answers 1 as 1.0 (a protobuf double). */
function valueText(value: JsonDoc): string {
  return dumpPythonJson(asNumbers(value));
}

function asNumbers(value: JsonDoc): JsonDoc {
  if (isLosslessNumber(value)) return Number((value as LosslessNumber).value);
  if (Array.isArray(value)) return value.map(asNumbers);
  const object = docObject(value);
  return object ? Object.fromEntries(Object.entries(object).map(([k, v]) => [k, asNumbers(v)])) : value;
}

function compareRecords(what: string, a: Record<string, string>, b: Record<string, string>, differences: string[]): void {
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (a[key] !== b[key]) differences.push(`${what} ${key}: ${JSON.stringify(a[key])} in the source, ${JSON.stringify(b[key])} in the copy`);
  }
}

const pairKey = (a: Assessment) => `${a.name}\u0000${a.sourceType}\u0000${a.sourceId ?? ''}\u0000${a.createTime}`;

function compareAssessments(source: Assessment[], copy: Assessment[], links: TraceLinks, differences: string[]): void {
  if (source.length !== copy.length) differences.push(`assessments: ${source.length} in the source, ${copy.length} in the copy`);
  const byId = new Map(copy.map((a) => [a.assessmentId, a]));
  const byKey = new Map(copy.map((a) => [pairKey(a), a]));
  const idMap = new Map<string, string>();
  const pairs: Array<[Assessment, Assessment]> = [];
  for (const a of source) {
    const b = byId.get(a.assessmentId) ?? byKey.get(pairKey(a));
    if (!b) {
      differences.push(`assessment ${a.assessmentId} (${a.name}): missing in the copy`);
      continue;
    }
    idMap.set(a.assessmentId, b.assessmentId);
    pairs.push([a, b]);
  }
  for (const [a, b] of pairs) {
    const where = `assessment ${a.assessmentId} (${a.name})`;
    const fields: Array<[string, unknown, unknown]> = [
      ['kind', a.kind, b.kind],
      ['value', valueText(a.value), valueText(b.value)],
      ['error', JSON.stringify(a.error ?? null), JSON.stringify(b.error ?? null)],
      ['rationale', a.rationale, b.rationale],
      ['source', `${a.sourceType}:${a.sourceId ?? ''}`, `${b.sourceType}:${b.sourceId ?? ''}`],
      ['span_id', a.spanId, b.spanId],
      ['valid', a.valid, b.valid],
      ['overrides', a.overrides === undefined ? undefined : (idMap.get(a.overrides) ?? a.overrides), b.overrides],
      ['create_time', a.createTime, b.createTime],
      ['last_update_time', a.lastUpdateTime, b.lastUpdateTime],
      ['run_id', a.runId === undefined ? undefined : (links.runCopies.get(a.runId) ?? `(old_sys/run_id ${a.runId})`), b.runId ?? (b.metadata['old_sys/run_id'] !== undefined ? `(old_sys/run_id ${b.metadata['old_sys/run_id']})` : undefined)],
    ];
    for (const [field, x, y] of fields) if (x !== y) differences.push(`${where} ${field}: ${JSON.stringify(x)} in the source, ${JSON.stringify(y)} in the copy`);
    const metadata = { ...b.metadata };
    delete metadata['old_sys/run_id'];
    compareRecords(`${where} metadata`, a.metadata, metadata, differences);
  }
}
