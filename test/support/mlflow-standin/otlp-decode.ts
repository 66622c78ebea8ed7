/**
 * OTLP/HTTP trace export requests (ExportTraceServiceRequest) in their two encodings, JSON and
 * protobuf, decoded into OtlpSpan lists. No protobuf library is installed in this repository,
 * so the protobuf side is a small wire-format reader for exactly the messages of
 * opentelemetry/proto/collector/trace/v1 (field numbers from trace.proto / common.proto);
 * unknown fields are skipped, malformed input throws.
 */
import { PyFloat, type PyValue } from './pyvalue.js';
import type { OtlpSpan } from './spans.js';

export class OtlpFormatError extends Error {}

// ------------------------------------------------------------------ protobuf

type Field = { no: number; wire: number; varint?: bigint; bytes?: Buffer };

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let p = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (p >= buf.length || shift > 63n) throw new OtlpFormatError('bad varint');
      const b = buf[p++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  };
  const take = (n: number): Buffer => {
    if (n < 0 || p + n > buf.length) throw new OtlpFormatError('truncated field');
    const b = buf.subarray(p, p + n);
    p += n;
    return b;
  };
  while (p < buf.length) {
    const key = varint();
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (no === 0) throw new OtlpFormatError('field number 0');
    if (wire === 0) out.push({ no, wire, varint: varint() });
    else if (wire === 1) out.push({ no, wire, bytes: take(8) });
    else if (wire === 2) out.push({ no, wire, bytes: take(Number(varint())) });
    else if (wire === 5) out.push({ no, wire, bytes: take(4) });
    else throw new OtlpFormatError(`wire type ${wire}`);
  }
  return out;
}

const lenField = (f: Field): Buffer => {
  if (f.wire !== 2) throw new OtlpFormatError(`field ${f.no}: expected a length-delimited value`);
  return f.bytes!;
};
const utf8 = (f: Field) => lenField(f).toString('utf8');
const fixed64 = (f: Field): bigint => {
  if (f.wire !== 1) throw new OtlpFormatError(`field ${f.no}: expected fixed64`);
  return f.bytes!.readBigUInt64LE();
};
const vint = (f: Field): bigint => {
  if (f.wire !== 0) throw new OtlpFormatError(`field ${f.no}: expected a varint`);
  return f.varint!;
};

function anyValuePb(buf: Buffer): PyValue {
  let v: PyValue = null;
  for (const f of fields(buf)) {
    if (f.no === 1) v = utf8(f);
    else if (f.no === 2) v = vint(f) !== 0n;
    else if (f.no === 3) v = BigInt.asIntN(64, vint(f));
    else if (f.no === 4) {
      if (f.wire !== 1) throw new OtlpFormatError('double_value: expected fixed64');
      v = new PyFloat(f.bytes!.readDoubleLE());
    } else if (f.no === 5) v = fields(lenField(f)).filter((x) => x.no === 1).map((x) => anyValuePb(lenField(x)));
    else if (f.no === 6) v = Object.fromEntries(fields(lenField(f)).filter((x) => x.no === 1).map((x) => keyValuePb(lenField(x))));
    else if (f.no === 7) v = lenField(f).toString('base64');
  }
  return v;
}

function keyValuePb(buf: Buffer): [string, PyValue] {
  let key = '';
  let value: PyValue = null;
  for (const f of fields(buf)) {
    if (f.no === 1) key = utf8(f);
    else if (f.no === 2) value = anyValuePb(lenField(f));
  }
  return [key, value];
}

function spanPb(buf: Buffer): OtlpSpan {
  const s: OtlpSpan = { traceIdHex: '', spanIdHex: '', parentIdHex: '', name: '', startNs: 0n, endNs: 0n, attributes: [], events: [], statusCode: 0, statusMessage: '' };
  for (const f of fields(buf)) {
    if (f.no === 1) s.traceIdHex = lenField(f).toString('hex');
    else if (f.no === 2) s.spanIdHex = lenField(f).toString('hex');
    else if (f.no === 4) s.parentIdHex = lenField(f).toString('hex');
    else if (f.no === 5) s.name = utf8(f);
    else if (f.no === 7) s.startNs = fixed64(f);
    else if (f.no === 8) s.endNs = fixed64(f);
    else if (f.no === 9) s.attributes.push(keyValuePb(lenField(f)));
    else if (f.no === 11) {
      const ev = { name: '', timeNs: 0n, attributes: [] as Array<[string, PyValue]> };
      for (const g of fields(lenField(f))) {
        if (g.no === 1) ev.timeNs = fixed64(g);
        else if (g.no === 2) ev.name = utf8(g);
        else if (g.no === 3) ev.attributes.push(keyValuePb(lenField(g)));
      }
      s.events.push(ev);
    } else if (f.no === 15)
      for (const g of fields(lenField(f))) {
        if (g.no === 2) s.statusMessage = utf8(g);
        else if (g.no === 3) s.statusCode = Number(vint(g));
      }
  }
  return s;
}

/** ExportTraceServiceRequest.resource_spans[].scope_spans[].spans[] from protobuf bytes. */
export function decodeProtobuf(buf: Buffer): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  for (const rs of fields(buf)) {
    if (rs.no !== 1) continue;
    for (const ss of fields(lenField(rs))) {
      if (ss.no !== 2) continue;
      for (const sp of fields(lenField(ss))) if (sp.no === 2) spans.push(spanPb(lenField(sp)));
    }
  }
  return spans;
}

// ------------------------------------------------------------------ JSON

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const pick = (o: Record<string, unknown>, camel: string, snake: string) => o[camel] ?? o[snake];

function int64(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  if (v === undefined || v === null) return 0n;
  throw new OtlpFormatError(`not an integer: ${String(v)}`);
}

function anyValueJson(v: unknown): PyValue {
  const o = obj(v);
  if ('stringValue' in o || 'string_value' in o) return String(pick(o, 'stringValue', 'string_value'));
  if ('boolValue' in o || 'bool_value' in o) return pick(o, 'boolValue', 'bool_value') === true;
  if ('intValue' in o || 'int_value' in o) return int64(pick(o, 'intValue', 'int_value'));
  if ('doubleValue' in o || 'double_value' in o) return new PyFloat(Number(pick(o, 'doubleValue', 'double_value')));
  if ('arrayValue' in o || 'array_value' in o) return arr(obj(pick(o, 'arrayValue', 'array_value')).values).map(anyValueJson);
  if ('kvlistValue' in o || 'kvlist_value' in o) return Object.fromEntries(arr(obj(pick(o, 'kvlistValue', 'kvlist_value')).values).map(keyValueJson));
  if ('bytesValue' in o || 'bytes_value' in o) return String(pick(o, 'bytesValue', 'bytes_value'));
  return null;
}

function keyValueJson(v: unknown): [string, PyValue] {
  const o = obj(v);
  return [String(o.key ?? ''), anyValueJson(o.value)];
}

const STATUS_NAMES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

function spanJson(v: unknown): OtlpSpan {
  const o = obj(v);
  const status = obj(o.status);
  const code = status.code;
  const hex = (x: unknown) => (typeof x === 'string' ? x.toLowerCase() : '');
  return {
    traceIdHex: hex(pick(o, 'traceId', 'trace_id')),
    spanIdHex: hex(pick(o, 'spanId', 'span_id')),
    parentIdHex: hex(pick(o, 'parentSpanId', 'parent_span_id')),
    name: String(o.name ?? ''),
    startNs: int64(pick(o, 'startTimeUnixNano', 'start_time_unix_nano')),
    endNs: int64(pick(o, 'endTimeUnixNano', 'end_time_unix_nano')),
    attributes: arr(o.attributes).map(keyValueJson),
    events: arr(o.events).map((e) => {
      const eo = obj(e);
      return { name: String(eo.name ?? ''), timeNs: int64(pick(eo, 'timeUnixNano', 'time_unix_nano')), attributes: arr(eo.attributes).map(keyValueJson) };
    }),
    statusCode: typeof code === 'string' ? (STATUS_NAMES[code] ?? 0) : Number(code ?? 0),
    statusMessage: String(status.message ?? ''),
  };
}

/** The spans of an OTLP/JSON body already parsed by the JSON reader. */
export function decodeJson(body: unknown): OtlpSpan[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new OtlpFormatError('not an object');
  const spans: OtlpSpan[] = [];
  for (const rs of arr(pick(body as Record<string, unknown>, 'resourceSpans', 'resource_spans')))
    for (const ss of arr(pick(obj(rs), 'scopeSpans', 'scope_spans'))) for (const sp of arr(obj(ss).spans)) spans.push(spanJson(sp));
  return spans;
}
