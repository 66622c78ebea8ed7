/**
 * Trace behaviour of the MLflow stand-in that no golden case shows, as the stand-in decided it
 * (from MLflow's source where it could be read, else chosen; listed in the stand-in's README):
 * search paging, the "not fully exported" rule, spans arriving before / after StartTraceV3,
 * trace state from an UNSET root, the database-first span read of get-trace-artifact, and
 * assessment bookkeeping across overrides.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { standinRequest } from '../support/standin-request.js';

let server: StandinServer;
let exp: string;

beforeEach(async () => {
  server = await startStandin();
  exp = (await post('/api/2.0/mlflow/experiments/create', { name: 'traces-unit' })).body.experiment_id;
});
afterEach(() => server.close());

const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => standinRequest(server.url, method, path, body, headers);
const post = (path: string, body: unknown, headers?: Record<string, string>) => send('POST', path, body, headers);
const get = (path: string) => send('GET', path);

const location = () => ({ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp } });

function startTrace(id: string, second: number, extra: Record<string, unknown> = {}) {
  return post('/api/3.0/mlflow/traces', {
    trace: { trace_info: { trace_id: id, trace_location: location(), request_time: `2023-11-14T22:13:${String(second).padStart(2, '0')}Z`, state: 'OK', ...extra } },
  });
}

function span(traceHex: string, spanHex: string, parentHex: string | undefined, startS: number, endS: number, code = 1) {
  return {
    traceId: traceHex,
    spanId: spanHex,
    ...(parentHex ? { parentSpanId: parentHex } : {}),
    name: `s-${spanHex}`,
    startTimeUnixNano: `${1700000000 + startS}000000000`,
    endTimeUnixNano: `${1700000000 + endS}000000000`,
    status: { code },
  };
}
const otlp = (...spans: unknown[]) => post('/v1/traces', { resourceSpans: [{ scopeSpans: [{ spans }] }] }, { 'x-mlflow-experiment-id': exp });

const HEX = 'c0ffee99000000000000000000000001';
const TRACE = `tr-${HEX}`;

describe('trace search paging', () => {
  it('pages newest first and sends a token whenever a page is full, even the last one', async () => {
    for (let i = 0; i < 6; i++) expect((await startTrace(`tr-page-${i}`, 20 + i)).status).toBe(200);
    const seen: string[] = [];
    let token: string | undefined;
    const sizes: number[] = [];
    for (let n = 0; n < 5; n++) {
      const page = await post('/api/3.0/mlflow/traces/search', { locations: [location()], max_results: 3, ...(token ? { page_token: token } : {}) });
      expect(page.status).toBe(200);
      const ids = (page.body.traces ?? []).map((t: { trace_id: string }) => t.trace_id);
      sizes.push(ids.length);
      seen.push(...ids);
      token = page.body.next_page_token;
      if (!token) break;
    }
    expect(sizes).toEqual([3, 3, 0]);
    expect(seen).toEqual(['tr-page-5', 'tr-page-4', 'tr-page-3', 'tr-page-2', 'tr-page-1', 'tr-page-0']);
  });

  it('answers up to 100 traces without max_results and rejects more than 500', async () => {
    for (let i = 0; i < 101; i++) await startTrace(`tr-many-${String(i).padStart(3, '0')}`, 0);
    const first = await post('/api/3.0/mlflow/traces/search', { locations: [location()] });
    expect(first.body.traces).toHaveLength(100);
    expect(first.body.next_page_token).toBeDefined();
    // equal request times: ties go by trace id ascending
    expect(first.body.traces[0].trace_id).toBe('tr-many-000');
    const rest = await post('/api/3.0/mlflow/traces/search', { locations: [location()], page_token: first.body.next_page_token });
    expect(rest.body.traces.map((t: { trace_id: string }) => t.trace_id)).toEqual(['tr-many-100']);
    expect(rest.body.next_page_token).toBeUndefined();
    expect((await post('/api/3.0/mlflow/traces/search', { locations: [location()], max_results: 501 })).status).toBe(400);
  });
});

describe('spans and the trace info', () => {
  it('hides a trace from /traces/get and batchGet while it holds fewer spans than mlflow.trace.sizeStats says', async () => {
    expect((await otlp(span(HEX, '0000000000000001', undefined, 0, 2))).status).toBe(200);
    await startTrace(TRACE, 20, { trace_metadata: { 'mlflow.trace.sizeStats': '{"num_spans": 2}' } });

    const partial = await get(`/api/3.0/mlflow/traces/get?trace_id=${TRACE}`);
    expect(partial.status).toBe(404);
    expect(partial.body.message).toBe(`Trace with ID ${TRACE} is not fully exported yet.`);
    const allowed = await get(`/api/3.0/mlflow/traces/get?trace_id=${TRACE}&allow_partial=true`);
    expect(allowed.status).toBe(200);
    expect(allowed.body.trace.spans).toHaveLength(1);
    expect((await get(`/api/3.0/mlflow/traces/batchGet?trace_ids=${TRACE}`)).body).toEqual({});
    // the info is still readable and searchable: a copier finds the half-written trace and completes it
    expect((await get(`/api/3.0/mlflow/traces/${TRACE}`)).status).toBe(200);
    expect((await post('/api/3.0/mlflow/traces/search', { locations: [location()] })).body.traces).toHaveLength(1);

    await otlp(span(HEX, '0000000000000002', '0000000000000001', 1, 2));
    const whole = await get(`/api/3.0/mlflow/traces/get?trace_id=${TRACE}`);
    expect(whole.status).toBe(200);
    expect(whole.body.trace.spans.map((s: { name: string }) => s.name)).toEqual(['s-0000000000000001', 's-0000000000000002']);
  });

  it('derives the info of a trace made by spans alone until StartTraceV3 finalizes it, then keeps it', async () => {
    await otlp(span(HEX, '0000000000000002', '0000000000000001', 1, 3));
    let info = (await get(`/api/3.0/mlflow/traces/${TRACE}`)).body.trace.trace_info;
    expect(info.state).toBe('IN_PROGRESS'); // no root yet
    await otlp(span(HEX, '0000000000000001', undefined, 0, 4, 0));
    info = (await get(`/api/3.0/mlflow/traces/${TRACE}`)).body.trace.trace_info;
    expect(info.state).toBe('STATE_UNSPECIFIED'); // root status UNSET
    expect(info.execution_duration).toBe('4s');

    await startTrace(TRACE, 30, { execution_duration: '9s' });
    await otlp(span(HEX, '0000000000000003', '0000000000000001', 5, 20));
    info = (await get(`/api/3.0/mlflow/traces/${TRACE}`)).body.trace.trace_info;
    expect(info).toMatchObject({ request_time: '2023-11-14T22:13:30Z', execution_duration: '9s', state: 'OK' });
    expect(info.tags['mlflow.trace.spansLocation']).toBe('TRACKING_STORE');
  });

  it('serves database spans from get-trace-artifact even when a traces.json was uploaded', async () => {
    await startTrace(TRACE, 20);
    await send('PUT', `/api/2.0/mlflow-artifacts/artifacts/${exp}/traces/${TRACE}/artifacts/traces.json`, { spans: [] });
    const fromFile = await get(`/ajax-api/2.0/mlflow/get-trace-artifact?request_id=${TRACE}`);
    expect(fromFile.text).toBe('{"spans": []}');
    await otlp(span(HEX, '0000000000000001', undefined, 0, 1));
    const fromDb = await get(`/ajax-api/2.0/mlflow/get-trace-artifact?request_id=${TRACE}`);
    expect(fromDb.body.spans).toHaveLength(1);
    expect(fromDb.body.spans[0].attributes['mlflow.traceRequestId']).toBe(`"${TRACE}"`);
  });

  it('keeps the int / float difference of attribute values', async () => {
    await otlp({
      ...span(HEX, '0000000000000001', undefined, 0, 1),
      attributes: [
        { key: 'i', value: { intValue: '9007199254740993' } },
        { key: 'f', value: { doubleValue: 2 } },
      ],
    });
    const dump = (await get(`/ajax-api/2.0/mlflow/get-trace-artifact?request_id=${TRACE}`)).text;
    expect(dump).toContain('"i": "9007199254740993"');
    expect(dump).toContain('"f": "2.0"');
  });
});

describe('assessments', () => {
  it('restores the overridden assessment when its override is deleted, and deletes idempotently', async () => {
    await startTrace(TRACE, 20);
    const base = `/api/3.0/mlflow/traces/${TRACE}/assessments`;
    const first = await post(base, { assessment: { assessment_name: 'q', source: { source_type: 'HUMAN', source_id: 'a' }, feedback: { value: 1 } } });
    const id = first.body.assessment.assessment_id as string;
    expect(id).toMatch(/^a-[0-9a-f]{32}$/);
    const over = await post(base, { assessment: { assessment_name: 'q', source: { source_type: 'HUMAN', source_id: 'b' }, feedback: { value: 0 }, overrides: id } });
    expect((await get(`${base}/${id}`)).body.assessment.valid).toBe(false);
    // search by feedback sees the valid one only
    const hit = await post('/api/3.0/mlflow/traces/search', { locations: [location()], filter: "feedback.q = '0.0'" });
    expect(hit.body.traces).toHaveLength(1);
    const miss = await post('/api/3.0/mlflow/traces/search', { locations: [location()], filter: "feedback.q = '1.0'" });
    expect(miss.body).toEqual({});
    const overId = over.body.assessment.assessment_id as string;
    expect((await send('DELETE', `${base}/${overId}`)).body).toEqual({});
    expect((await get(`${base}/${id}`)).body.assessment.valid).toBe(true);
    expect((await send('DELETE', `${base}/${overId}`)).status).toBe(200);
  });
});

describe('OTLP protobuf wire reader', () => {
  // a minimal protobuf writer for the test: tag + payload
  const varint = (n: bigint): number[] => {
    const out: number[] = [];
    let v = BigInt.asUintN(64, n);
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v) b |= 0x80;
      out.push(b);
    } while (v);
    return out;
  };
  const len = (no: number, payload: Buffer) => Buffer.from([...varint(BigInt((no << 3) | 2)), ...varint(BigInt(payload.length)), ...payload]);
  const vfield = (no: number, v: bigint) => Buffer.from([...varint(BigInt(no << 3)), ...varint(v)]);
  const fixed64 = (no: number, v: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return Buffer.concat([Buffer.from(varint(BigInt((no << 3) | 1))), b]);
  };
  const double = (no: number, v: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return Buffer.concat([Buffer.from(varint(BigInt((no << 3) | 1))), b]);
  };
  const kv = (key: string, anyValue: Buffer) => len(9, Buffer.concat([len(1, Buffer.from(key)), len(2, anyValue)]));

  it('reads ids, nanosecond times, negative ints, doubles, nested values and status; rejects garbage', async () => {
    const spanMsg = Buffer.concat([
      len(1, Buffer.from(HEX, 'hex')),
      len(2, Buffer.from('00000000000000aa', 'hex')),
      len(5, Buffer.from('wire')),
      fixed64(7, 1700000000123456789n),
      fixed64(8, 1700000001123456789n),
      kv('neg', vfield(3, -5n)),
      kv('dbl', double(4, 0.5)),
      kv('arr', len(5, Buffer.concat([len(1, len(1, Buffer.from('x'))), len(1, vfield(2, 1n))]))),
      len(15, Buffer.concat([len(2, Buffer.from('bad')), vfield(3, 2n)])),
    ]);
    const body = len(1, len(2, len(2, spanMsg)));
    const res = await fetch(`${server.url}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'x-mlflow-experiment-id': exp },
      body,
    });
    expect(res.status).toBe(200);
    const got = (await get(`/api/3.0/mlflow/traces/get?trace_id=${TRACE}`)).body.trace;
    expect(got.trace_info.state).toBe('ERROR');
    const s = got.spans[0];
    expect(s.start_time_unix_nano).toBe(1700000000123456800); // JSON number; the exact digits are in the text
    expect(s.attributes.slice(1)).toEqual([
      { key: 'neg', value: { int_value: -5 } },
      { key: 'dbl', value: { double_value: 0.5 } },
      { key: 'arr', value: { array_value: { values: [{ string_value: 'x' }, { bool_value: true }] } } },
    ]);
    expect(s.status).toEqual({ message: 'bad', code: 'STATUS_CODE_ERROR' });
    const text = (await get(`/api/3.0/mlflow/traces/get?trace_id=${TRACE}`)).text;
    expect(text).toContain('"start_time_unix_nano":1700000000123456789');

    const bad = await fetch(`${server.url}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'x-mlflow-experiment-id': exp },
      body: Buffer.from([0x0a, 0x05, 0x01]),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ detail: 'Invalid OpenTelemetry format' });
  });
});
