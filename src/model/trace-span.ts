/**
 * Span documents: reading the fields the engine needs out of the stored document, and moving a
 * span to another trace id (a copy on the same store gets a new id, and the document names it
 * twice: `trace_id` in base64 and the `mlflow.traceRequestId` attribute as a JSON string).
 */
import { base64ToHex, hexToBase64, otelTraceHex, type TraceSpan } from './trace.js';
import { cloneDoc, docDigits, docObject, docString, dumpPythonJson, parseJsonDoc, type JsonDoc } from './python-json.js';

const REQUEST_ID_ATTRIBUTE = 'mlflow.traceRequestId';
const SPAN_TYPE_ATTRIBUTE = 'mlflow.spanType';

/** A span from its stored document; throws when the document lacks an id, a name or a start time. */
export function spanFromDocument(document: JsonDoc): TraceSpan {
  const doc = docObject(document);
  if (!doc) throw new Error('span document is not a JSON object');
  const spanId = docString(doc.span_id);
  const name = docString(doc.name);
  const startTimeNs = docDigits(doc.start_time_unix_nano);
  if (!spanId || name === undefined || !startTimeNs) throw new Error('span document lacks span_id, name or start_time_unix_nano');
  const parent = docString(doc.parent_span_id);
  const endTimeNs = docDigits(doc.end_time_unix_nano);
  const status = docString(docObject(doc.status)?.code) ?? 'STATUS_CODE_UNSET';
  const typeText = docString(docObject(doc.attributes)?.[SPAN_TYPE_ATTRIBUTE]);
  return {
    spanId: idToHex(spanId),
    ...(parent ? { parentSpanId: idToHex(parent) } : {}),
    name,
    startTimeNs,
    ...(endTimeNs ? { endTimeNs } : {}),
    status: status.replace(/^STATUS_CODE_/, ''),
    ...(typeText !== undefined ? { spanType: decodeJsonString(typeText) } : {}),
    document,
  };
}

export function parseSpanContent(content: string): TraceSpan {
  return spanFromDocument(parseJsonDoc(content));
}

export function spanContent(span: TraceSpan): string {
  return dumpPythonJson(span.document);
}

/** The span as it belongs to `traceId` (a copy of the document when the id changes). */
export function spanForTrace(span: TraceSpan, fromTraceId: string, toTraceId: string): TraceSpan {
  if (fromTraceId === toTraceId) return span;
  const document = cloneDoc(span.document);
  const doc = docObject(document)!;
  const hex = otelTraceHex(toTraceId);
  if (hex && typeof doc.trace_id === 'string') doc.trace_id = hexToBase64(hex);
  const attributes = docObject(doc.attributes);
  if (attributes && typeof attributes[REQUEST_ID_ATTRIBUTE] === 'string') attributes[REQUEST_ID_ATTRIBUTE] = JSON.stringify(toTraceId);
  return { ...span, document };
}

/** Stored ids are base64 (8 bytes) in documents MLflow writes; 16 hex digits pass unchanged. */
function idToHex(id: string): string {
  return /^[0-9a-f]{16}$/.test(id) ? id : base64ToHex(id);
}

function decodeJsonString(text: string): string {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'string' ? value : text;
  } catch {
    return text;
  }
}
