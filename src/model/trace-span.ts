/**
 * Span documents: reading the fields the engine needs out of the stored document, and moving a
 * span to another trace id (a copy on the same store gets a new id, and the document names it
 * twice: `trace_id` in base64 and the `mlflow.traceRequestId` attribute as a JSON string).
 */
import { base64ToHex, hexToBase64, otelTraceHex, type TraceSpan } from './trace.js';
import { cloneDoc, docDigits, docObject, docString, dumpPythonJson, parseJsonDoc, type JsonDoc } from './python-json.js';
import { canonicalObjectFields, type CanonicalObject } from './span-text.js';

const REQUEST_ID_ATTRIBUTE = 'mlflow.traceRequestId';
const SPAN_TYPE_ATTRIBUTE = 'mlflow.spanType';

/** A span from its stored document; throws when the document lacks an id, a name or a start time. */
export function spanFromDocument(document: JsonDoc): TraceSpan {
  const doc = docObject(document);
  if (!doc) throw new Error('span document is not a JSON object');
  const fields = spanFields({
    spanId: docString(doc.span_id),
    parent: docString(doc.parent_span_id),
    name: docString(doc.name),
    startTimeNs: docDigits(doc.start_time_unix_nano),
    endTimeNs: docDigits(doc.end_time_unix_nano),
    status: docString(docObject(doc.status)?.code),
    typeText: docString(docObject(doc.attributes)?.[SPAN_TYPE_ATTRIBUTE]),
  });
  return { ...fields, document };
}

interface SpanFieldTexts {
  spanId?: string;
  parent?: string;
  name?: string;
  startTimeNs?: string;
  endTimeNs?: string;
  /** status.code, e.g. STATUS_CODE_OK */
  status?: string;
  /** the mlflow.spanType attribute's JSON text */
  typeText?: string;
}

/** The span's fields from its document's values (parsed or as canonical texts); throws when one it needs is missing. */
function spanFields(texts: SpanFieldTexts): Omit<TraceSpan, 'document'> {
  const { spanId, parent, name, startTimeNs, endTimeNs, typeText } = texts;
  if (!spanId || name === undefined || !startTimeNs) throw new Error('span document lacks span_id, name or start_time_unix_nano');
  return {
    spanId: idToHex(spanId),
    ...(parent ? { parentSpanId: idToHex(parent) } : {}),
    name,
    startTimeNs,
    ...(endTimeNs ? { endTimeNs } : {}),
    status: (texts.status ?? 'STATUS_CODE_UNSET').replace(/^STATUS_CODE_/, ''),
    ...(typeText !== undefined ? { spanType: decodeJsonString(typeText) } : {}),
  };
}

export function parseSpanContent(content: string): TraceSpan {
  return spanFromText(content);
}

/**
 * The text of spans read from text already in json.dumps form (span-text.ts) is what spanContent
 * answers, without dumping the document again; a span whose document is replaced loses it. The
 * text lives in the closure of the span's `document` accessor (spanFromKept): spanContent asks
 * for it by reading `document` while this probe is set, and the accessor answers the text into the
 * probe instead of parsing. (A WeakMap from span to text, and Object.defineProperty per span,
 * cost 5-10 microseconds a span, more than a trace's inserts, and slowed every garbage collection.)
 */
const probe: { active: boolean; text: string | undefined } = { active: false, text: undefined };

/** The span document as MLflow's json.dumps writes it: the text it was read as, when that is this form. */
export function spanContent(span: TraceSpan): string {
  probe.active = true;
  probe.text = undefined;
  let document: JsonDoc;
  try {
    document = span.document;
  } finally {
    probe.active = false;
  }
  const text = probe.text;
  probe.text = undefined;
  return text ?? dumpPythonJson(document);
}

/**
 * A span from the text of its document (a traces.json element, a spans.content value). Text in
 * json.dumps form is kept as it is and parsed only if the document is asked for; other text is
 * parsed now (spanFromDocument). Throws as spanFromDocument does.
 */
export function spanFromText(text: string): TraceSpan {
  const fields = canonicalObjectFields(text);
  return fields ? spanFromCanonical({ text, start: 0, end: text.length, fields }) : spanFromDocument(parseJsonDoc(text));
}

/** A span from a document in json.dumps form found by span-text.ts: kept as read, parsed when asked for. */
export function spanFromCanonical(found: CanonicalObject): TraceSpan {
  const { fields, text } = canonicalSpanParts(found);
  return spanFromKept(fields, text);
}

/** A span's fields without its document, and the document's text: plain data (strings), as a worker thread sends them. */
export interface KeptSpanParts {
  fields: Omit<TraceSpan, 'document'>;
  text: string;
}

/** spanFromCanonical's first half: the fields and the text; throws as spanFromDocument does. */
export function canonicalSpanParts(found: CanonicalObject): KeptSpanParts {
  const value = (key: string, inner?: string): string | undefined => {
    let range = found.fields.get(key);
    if (inner !== undefined) range = range?.[2]?.get(inner);
    return range && found.text.slice(range[0], range[1]);
  };
  const fields = spanFromFields(value);
  const text = found.start === 0 && found.end === found.text.length ? found.text : found.text.slice(found.start, found.end);
  return { fields, text };
}

/**
 * spanFromCanonical's second half: the span of these fields, its document the text kept as it is
 * (parsed when asked for). `document` is an own, enumerable accessor, as a parsed span's is a
 * data property: spread, compared and serialised alike.
 */
export function spanFromKept(fields: Omit<TraceSpan, 'document'>, text: string): TraceSpan {
  let kept: string | undefined = text;
  let document: JsonDoc = null;
  let parsed = false;
  return {
    ...fields,
    get document(): JsonDoc {
      if (probe.active && kept !== undefined) {
        probe.text = kept;
        return null;
      }
      if (!parsed) {
        document = parseJsonDoc(text);
        parsed = true;
      }
      return document;
    },
    set document(replaced: JsonDoc) {
      kept = undefined;
      document = replaced;
      parsed = true;
    },
  };
}

/** A canonical value text as spanFromDocument sees the value: strings decoded, numbers as their digits. */
function fieldString(text: string | undefined): string | undefined {
  return text !== undefined && text.startsWith('"') ? (JSON.parse(text) as string) : undefined;
}

function fieldDigits(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text.startsWith('"')) {
    const value = JSON.parse(text) as string;
    return /^\d+$/.test(value) ? value : undefined;
  }
  // A number (docDigits answers a lossless number's text as written).
  return /^[-0-9]/.test(text) ? text : undefined;
}

/** spanFromDocument's fields, from the top-level value texts of a canonical document. */
function spanFromFields(field: (key: string, inner?: string) => string | undefined): Omit<TraceSpan, 'document'> {
  // status.code and attributes["mlflow.spanType"]: found by the scan one level down (only in objects).
  // The document is defined on the result by the caller (spanFromKept), parsed when asked for.
  return spanFields({
    spanId: fieldString(field('span_id')),
    parent: fieldString(field('parent_span_id')),
    name: fieldString(field('name')),
    startTimeNs: fieldDigits(field('start_time_unix_nano')),
    endTimeNs: fieldDigits(field('end_time_unix_nano')),
    status: fieldString(field('status', 'code')),
    typeText: fieldString(field('attributes', SPAN_TYPE_ATTRIBUTE)),
  });
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
