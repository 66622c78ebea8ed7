/**
 * Span documents (as MLflow stores them) as an OTLP/JSON ExportTraceServiceRequest, for span
 * ingest through `POST /v1/traces` (traces-otlp-json). The server stores attribute values as JSON
 * text: a string attribute whose text is a JSON object or array is kept as it is, any other value
 * is json.dumps()'ed. So an attribute stored as the text `"CHAIN"` (a JSON string) goes as the
 * string CHAIN, `7` as intValue 7, `0.25` as doubleValue, `true` as boolValue, and `{...}` / `[...]`
 * as the text itself: the server then stores the same text again. Event attributes are raw values.
 * What cannot round-trip (an attribute text that is not JSON, a JSON null) is answered in `notes`.
 */
import { isLosslessNumber, type LosslessNumber } from 'lossless-json';
import { docDigits, docObject, docString, parseJsonDoc, type JsonDoc } from '../../model/python-json.js';
import { base64ToHex, type TraceSpan } from '../../model/trace.js';

type AnyValue = Record<string, unknown>;

const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

/** A raw value (event attribute, or a decoded attribute) as an OTLP AnyValue. */
function anyValue(value: JsonDoc): AnyValue {
  if (value === null) return {};
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (isLosslessNumber(value)) {
    const digits = (value as LosslessNumber).value;
    return /^-?\d+$/.test(digits) ? { intValue: digits } : { doubleValue: Number(digits) };
  }
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  return { kvlistValue: { values: Object.entries(docObject(value) ?? {}).map(([key, v]) => ({ key, value: anyValue(v) })) } };
}

/** A stored attribute (JSON text) as the AnyValue the server turns back into that text. */
function attributeValue(key: string, stored: JsonDoc, notes: string[]): AnyValue {
  if (typeof stored !== 'string') return anyValue(stored);
  const fast = objectOrStringText(stored);
  if (fast) return fast;
  let decoded: JsonDoc;
  try {
    decoded = parseJsonDoc(stored);
  } catch {
    notes.push(`span attribute ${key}: its value is not JSON text; the server stores it JSON-encoded`);
    return { stringValue: stored };
  }
  if (decoded !== null && typeof decoded === 'object' && !isLosslessNumber(decoded)) return { stringValue: stored };
  if (decoded === null) notes.push(`span attribute ${key}: a JSON null cannot be sent through OTLP; the server stores it differently`);
  return anyValue(decoded);
}

/**
 * The common attributes (inputs and outputs are JSON objects, most others JSON strings) through
 * the built-in parser, much cheaper than the lossless one: an object or array text goes as it is,
 * a JSON string as its text. Numbers, and text the built-in parser refuses (Python's NaN),
 * answer undefined and take the lossless path.
 */
function objectOrStringText(stored: string): AnyValue | undefined {
  const first = stored.charCodeAt(0);
  // '{', '[', '"'
  if (first !== 0x7b && first !== 0x5b && first !== 0x22) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(stored);
  } catch {
    return undefined;
  }
  if (typeof decoded === 'string') return { stringValue: decoded };
  return decoded !== null && typeof decoded === 'object' ? { stringValue: stored } : undefined;
}

export function otlpSpan(span: TraceSpan, notes: string[]): Record<string, unknown> {
  const doc = docObject(span.document) ?? {};
  const out: Record<string, unknown> = {
    traceId: base64ToHex(docString(doc.trace_id) ?? ''),
    spanId: span.spanId,
    name: span.name,
    startTimeUnixNano: span.startTimeNs,
  };
  if (span.parentSpanId) out.parentSpanId = span.parentSpanId;
  if (span.endTimeNs) out.endTimeUnixNano = span.endTimeNs;
  out.attributes = Object.entries(docObject(doc.attributes) ?? {}).map(([key, value]) => ({ key, value: attributeValue(key, value, notes) }));
  const events = Array.isArray(doc.events) ? doc.events : [];
  out.events = events.map((event) => {
    const e = docObject(event) ?? {};
    return {
      name: docString(e.name) ?? '',
      timeUnixNano: docDigits(e.time_unix_nano) ?? '0',
      attributes: Object.entries(docObject(e.attributes) ?? {}).map(([key, value]) => ({ key, value: anyValue(value) })),
    };
  });
  const status = docObject(doc.status) ?? {};
  out.status = { code: STATUS_CODES[docString(status.code) ?? ''] ?? 0, ...(docString(status.message) ? { message: docString(status.message) } : {}) };
  return out;
}

/** One ExportTraceServiceRequest (OTLP/JSON) with these spans. */
export function otlpRequest(spans: TraceSpan[], notes: string[]): string {
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: spans.map((span) => otlpSpan(span, notes)) }] }] });
}
