/**
 * Spans as the tracking store keeps them (recorded: traces-otlp-json, traces-otlp-protobuf,
 * traces-client-exchange) and the two ways the server reads them back:
 * - /traces/get and /traces/batchGet: OTel-like protobuf JSON (ids base64, attributes as
 *   [{key, value: {string_value | int_value | ...}}], status codes as enum names, defaults left out);
 * - get-trace-artifact: MLflow's span dicts (traces.json shape; attribute values as JSON text),
 *   written with Python's json.dumps.
 * Stored attributes are JSON text, `mlflow.traceRequestId` first. A string attribute whose text
 * is a JSON object or array is kept as it is (it already is the JSON text); every other value
 * is json.dumps()'ed (inferred from the recordings: "4" -> "\"4\"", '{"prompt": ...}' kept).
 */
import { PyFloat, pyDumps, pyLoads, toWire, type PyValue } from './pyvalue.js';

export const REQUEST_ID_ATTR = 'mlflow.traceRequestId';
export const SPAN_INPUTS_ATTR = 'mlflow.spanInputs';
export const SPAN_OUTPUTS_ATTR = 'mlflow.spanOutputs';
export const SPAN_TYPE_ATTR = 'mlflow.spanType';

export type StatusCode = 'STATUS_CODE_UNSET' | 'STATUS_CODE_OK' | 'STATUS_CODE_ERROR';

/** One OTLP span, decoded from JSON or protobuf (ids as hex, values Python-typed). */
export interface OtlpSpan {
  traceIdHex: string;
  spanIdHex: string;
  parentIdHex: string;
  name: string;
  startNs: bigint;
  endNs: bigint;
  attributes: Array<[string, PyValue]>;
  events: Array<{ name: string; timeNs: bigint; attributes: Array<[string, PyValue]> }>;
  statusCode: number;
  statusMessage: string;
}

export interface StoredSpan {
  traceIdHex: string;
  spanIdHex: string;
  parentIdHex: string | undefined;
  name: string;
  startNs: bigint;
  endNs: bigint;
  statusCode: StatusCode;
  statusMessage: string;
  /** attribute -> JSON text, in stored order */
  attributes: Map<string, string>;
  events: Array<{ name: string; timeNs: bigint; attributes: Record<string, PyValue> }>;
}

const STATUS: StatusCode[] = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

function isJsonContainerText(s: string): boolean {
  const v = pyLoads(s);
  return v !== undefined && v !== null && typeof v === 'object' && !(v instanceof PyFloat);
}

/** The MLflow trace id of an OTLP span: its mlflow.traceRequestId attribute, else "tr-" + the OTel trace id. */
export function mlflowTraceId(s: OtlpSpan): string {
  const attr = s.attributes.find(([k]) => k === REQUEST_ID_ATTR)?.[1];
  if (typeof attr === 'string' && attr) {
    const decoded = pyLoads(attr);
    return typeof decoded === 'string' ? decoded : attr;
  }
  return `tr-${s.traceIdHex}`;
}

export function storeSpan(s: OtlpSpan, traceId: string): StoredSpan {
  const attributes = new Map<string, string>([[REQUEST_ID_ATTR, pyDumps(traceId)]]);
  for (const [k, v] of s.attributes) {
    if (k === REQUEST_ID_ATTR) continue;
    attributes.set(k, typeof v === 'string' && isJsonContainerText(v) ? v : pyDumps(v));
  }
  return {
    traceIdHex: s.traceIdHex,
    spanIdHex: s.spanIdHex,
    parentIdHex: s.parentIdHex || undefined,
    name: s.name,
    startNs: s.startNs,
    endNs: s.endNs,
    statusCode: STATUS[s.statusCode] ?? 'STATUS_CODE_UNSET',
    statusMessage: s.statusMessage,
    attributes,
    events: s.events.map((e) => ({ name: e.name, timeNs: e.timeNs, attributes: Object.fromEntries(e.attributes) })),
  };
}

/** Root spans first, then by start time (as /traces/get lists them). */
export function orderedSpans(spans: Iterable<StoredSpan>): StoredSpan[] {
  return [...spans].sort((a, b) => {
    const ra = a.parentIdHex ? 1 : 0;
    const rb = b.parentIdHex ? 1 : 0;
    if (ra !== rb) return ra - rb;
    return a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0;
  });
}

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

function anyValue(v: PyValue): Record<string, unknown> {
  if (v === null) return {};
  if (typeof v === 'string') return { string_value: v };
  if (typeof v === 'boolean') return { bool_value: v };
  if (typeof v === 'bigint') return { int_value: toWire(v) };
  if (v instanceof PyFloat) return { double_value: v.value };
  if (Array.isArray(v)) return { array_value: v.length ? { values: v.map(anyValue) } : {} };
  const entries = Object.entries(v);
  return { kvlist_value: entries.length ? { values: entries.map(([key, x]) => ({ key, value: anyValue(x) })) } : {} };
}

/** The span in /traces/get's protobuf JSON. */
export function spanProtoJson(s: StoredSpan): Record<string, unknown> {
  const out: Record<string, unknown> = { trace_id: b64(s.traceIdHex), span_id: b64(s.spanIdHex) };
  if (s.parentIdHex) out.parent_span_id = b64(s.parentIdHex);
  out.name = s.name;
  out.start_time_unix_nano = toWire(s.startNs);
  out.end_time_unix_nano = toWire(s.endNs);
  out.attributes = [...s.attributes].map(([key, text]) => ({ key, value: anyValue(pyLoads(text) ?? text) }));
  if (s.events.length)
    out.events = s.events.map((e) => {
      const ev: Record<string, unknown> = { time_unix_nano: toWire(e.timeNs), name: e.name };
      const attrs = Object.entries(e.attributes);
      if (attrs.length) ev.attributes = attrs.map(([key, v]) => ({ key, value: anyValue(v) }));
      return ev;
    });
  const status: Record<string, unknown> = {};
  if (s.statusMessage) status.message = s.statusMessage;
  if (s.statusCode !== 'STATUS_CODE_UNSET') status.code = s.statusCode;
  out.status = status;
  return out;
}

/** The span as MLflow's span dict (the traces.json shape). */
export function spanDict(s: StoredSpan): PyValue {
  return {
    trace_id: b64(s.traceIdHex),
    span_id: b64(s.spanIdHex),
    parent_span_id: s.parentIdHex ? b64(s.parentIdHex) : null,
    name: s.name,
    start_time_unix_nano: s.startNs,
    end_time_unix_nano: s.endNs,
    events: s.events.map((e) => ({ name: e.name, time_unix_nano: e.timeNs, attributes: e.attributes })),
    status: { code: s.statusCode, message: s.statusMessage },
    attributes: Object.fromEntries(s.attributes),
  };
}

/** get-trace-artifact's body for database spans. */
export function traceDataText(spans: Iterable<StoredSpan>): string {
  return pyDumps({ spans: orderedSpans(spans).map(spanDict) });
}
