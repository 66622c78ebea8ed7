/**
 * Trace info and assessments in the shape of MLflow's protos as JSON (snake_case field names,
 * Timestamp as RFC 3339 text): the shape FileStore writes into trace_info.yaml and assessment
 * yaml files, and the REST API speaks. One converter serves both.
 */
import { dumpPythonJson, LosslessNumber, parseJsonDoc, plainNumbers, type JsonDoc } from './python-json.js';
import type { Assessment, TraceInfo, TraceState } from './trace.js';

type Dict = { [key: string]: unknown };

const asDict = (value: unknown): Dict | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof LosslessNumber) ? (value as Dict) : undefined;
const asText = (value: unknown): string | undefined =>
  value === undefined || value === null ? undefined : typeof value === 'string' ? value : String(value);

/** Protobuf's Timestamp JSON form: no fraction for whole seconds, else 3, 6 or 9 digits. */
export function timestampText(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? iso.replace(/\.000Z$/, 'Z') : iso;
}

/** Milliseconds of a Timestamp's JSON text (digits beyond milliseconds are cut off). */
export function timestampMs(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A duration's JSON text ("0.300s") or a number of ms, as ms. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^-?\d+(\.\d+)?s$/.test(value)) return Math.round(Number(value.slice(0, -1)) * 1000);
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

const STATES = new Set<TraceState>(['OK', 'ERROR', 'IN_PROGRESS', 'STATE_UNSPECIFIED']);

export function traceState(value: unknown): TraceState {
  const text = asText(value) ?? 'STATE_UNSPECIFIED';
  return STATES.has(text as TraceState) ? (text as TraceState) : 'STATE_UNSPECIFIED';
}

/** A TraceInfo from its proto dict (trace_info.yaml or a REST answer); tags and metadata apart. */
export function traceInfoFromProto(dict: Dict, tags: Record<string, string>, metadata: Record<string, string>): TraceInfo {
  const location = asDict(asDict(dict.trace_location)?.mlflow_experiment);
  const traceId = asText(dict.trace_id);
  if (!traceId) throw new Error('trace info without trace_id');
  const info: TraceInfo = {
    traceId,
    requestTime: timestampMs(dict.request_time) ?? 0,
    state: traceState(dict.state),
    tags,
    metadata,
  };
  const experimentId = asText(location?.experiment_id);
  if (experimentId !== undefined) info.experimentId = experimentId;
  const duration = dict.execution_duration_ms !== undefined ? durationMs(dict.execution_duration_ms) : durationMs(dict.execution_duration);
  if (duration !== undefined) info.executionDurationMs = duration;
  const request = asText(dict.request_preview);
  if (request !== undefined) info.requestPreview = request;
  const response = asText(dict.response_preview);
  if (response !== undefined) info.responsePreview = response;
  const client = asText(dict.client_request_id);
  if (client !== undefined) info.clientRequestId = client;
  return info;
}

/** The value of a feedback or expectation dict as a JSON document. */
function valueOf(part: Dict): JsonDoc {
  const serialized = asDict(part.serialized_value);
  if (serialized && typeof serialized.value === 'string') return plainNumbers(parseJsonDoc(serialized.value));
  return plainNumbers(toDoc(part.value));
}

/** A YAML or JSON value as a JSON document (bigint keeps its digits). */
export function toDoc(value: unknown): JsonDoc {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return new LosslessNumber(value.toString());
  if (Array.isArray(value)) return value.map(toDoc);
  if (value instanceof LosslessNumber) return value;
  const dict = asDict(value);
  if (dict) return Object.fromEntries(Object.entries(dict).map(([k, v]) => [k, toDoc(v)]));
  return value as JsonDoc;
}

export function assessmentFromProto(dict: Dict): Assessment {
  const feedback = asDict(dict.feedback);
  const expectation = asDict(dict.expectation);
  const source = asDict(dict.source) ?? {};
  const assessmentId = asText(dict.assessment_id);
  const traceId = asText(dict.trace_id);
  if (!assessmentId || !traceId) throw new Error('assessment without assessment_id or trace_id');
  const createTime = timestampMs(dict.create_time) ?? 0;
  const assessment: Assessment = {
    assessmentId,
    traceId,
    name: asText(dict.assessment_name) ?? '',
    kind: expectation ? 'expectation' : 'feedback',
    value: valueOf(feedback ?? expectation ?? {}),
    sourceType: asText(source.source_type) ?? 'SOURCE_TYPE_UNSPECIFIED',
    metadata: Object.fromEntries(Object.entries(asDict(dict.metadata) ?? {}).map(([k, v]) => [k, asText(v) ?? ''])),
    valid: dict.valid === undefined ? true : dict.valid === true || dict.valid === 'true',
    createTime,
    lastUpdateTime: timestampMs(dict.last_update_time) ?? createTime,
  };
  const error = asDict(feedback?.error);
  if (error) {
    assessment.error = {};
    if (error.error_code !== undefined) assessment.error.code = asText(error.error_code)!;
    if (error.error_message !== undefined) assessment.error.message = asText(error.error_message)!;
    if (error.stack_trace !== undefined) assessment.error.stackTrace = asText(error.stack_trace)!;
  }
  const optional = { rationale: dict.rationale, sourceId: source.source_id, spanId: dict.span_id, runId: dict.run_id, overrides: dict.overrides } as const;
  for (const [key, value] of Object.entries(optional)) {
    const text = asText(value);
    if (text !== undefined && text !== '') (assessment as unknown as Record<string, string>)[key] = text;
  }
  return assessment;
}

/**
 * The assessment as a proto dict. A value that is not a plain string, number or boolean goes as
 * `serialized_value` (JSON_FORMAT), as MLflow does for expectations holding lists or objects.
 */
export function assessmentToProto(a: Assessment, timeText: (ms: number) => unknown = timestampText): Dict {
  const dict: Dict = { assessment_id: a.assessmentId, assessment_name: a.name, trace_id: a.traceId };
  const source: Dict = { source_type: a.sourceType };
  if (a.sourceId !== undefined) source.source_id = a.sourceId;
  dict.source = source;
  dict.create_time = timeText(a.createTime);
  dict.last_update_time = timeText(a.lastUpdateTime);
  if (a.kind === 'expectation') {
    const v = a.value;
    const plain = v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number' || v instanceof LosslessNumber;
    dict.expectation = plain ? { value: plainValue(v) } : { serialized_value: { serialization_format: 'JSON_FORMAT', value: dumpPythonJson(v) } };
  } else {
    const feedback: Dict = { value: plainValue(a.value) };
    if (a.error) {
      const error: Dict = {};
      if (a.error.code !== undefined) error.error_code = a.error.code;
      if (a.error.message !== undefined) error.error_message = a.error.message;
      if (a.error.stackTrace !== undefined) error.stack_trace = a.error.stackTrace;
      feedback.error = error;
    }
    dict.feedback = feedback;
  }
  if (a.rationale !== undefined) dict.rationale = a.rationale;
  if (Object.keys(a.metadata).length > 0) dict.metadata = { ...a.metadata };
  if (a.spanId !== undefined) dict.span_id = a.spanId;
  if (a.runId !== undefined) dict.run_id = a.runId;
  if (a.overrides !== undefined) dict.overrides = a.overrides;
  dict.valid = a.valid;
  return dict;
}

/** Numbers as JS numbers where exact (YAML and JSON writers take them), else their digits' bigint. */
function plainValue(value: JsonDoc): unknown {
  if (value instanceof LosslessNumber) {
    const n = Number(value.value);
    return /^-?\d+$/.test(value.value) && !Number.isSafeInteger(n) ? BigInt(value.value) : n;
  }
  if (Array.isArray(value)) return value.map(plainValue);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v)]));
  return value;
}

export function traceInfoToProto(info: TraceInfo): Dict {
  const dict: Dict = { trace_id: info.traceId };
  if (info.clientRequestId !== undefined) dict.client_request_id = info.clientRequestId;
  if (info.experimentId !== undefined) dict.trace_location = { mlflow_experiment: { experiment_id: info.experimentId }, type: 'MLFLOW_EXPERIMENT' };
  dict.request_time = timestampText(info.requestTime);
  if (info.executionDurationMs !== undefined) dict.execution_duration_ms = info.executionDurationMs;
  dict.state = info.state;
  if (info.requestPreview !== undefined) dict.request_preview = info.requestPreview;
  if (info.responsePreview !== undefined) dict.response_preview = info.responsePreview;
  return dict;
}
