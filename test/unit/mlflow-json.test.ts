import { describe, expect, it } from 'vitest';
import {
  encodeLogBatch,
  encodeLogInputs,
  formatDouble,
  parseHistoryPage,
  mayHoldLongInteger,
  parseJson,
  toDouble,
  toInt64,
} from '../../src/backends/mlflow/json.js';

describe('mlflow json: parsing', () => {
  it('parses ordinary documents with JSON.parse semantics', () => {
    expect(parseJson('{"a": 1, "b": [1.5, "x"], "c": 0.3333333333333333}')).toEqual({ a: 1, b: [1.5, 'x'], c: 0.3333333333333333 });
  });

  it('keeps integers beyond 2^53 exact as bigint, and safe long integers as numbers', () => {
    const doc = parseJson('{"step": 9007199254740993, "neg": -9007199254740993, "safe": 1700000000000000, "f": 1.7976931348623157e+308}') as Record<string, unknown>;
    expect(doc.step).toBe(9007199254740993n);
    expect(doc.neg).toBe(-9007199254740993n);
    expect(doc.safe).toBe(1700000000000000);
    expect(doc.f).toBe(1.7976931348623157e308);
  });

  it('does not take floats with many digits for big integers', () => {
    const doc = parseJson('{"v": 0.12345678901234567, "w": 12345678901234567.5, "x": 1.2345678901234567e+19}') as Record<string, number>;
    expect(doc.v).toBe(0.12345678901234567);
    expect(doc.w).toBe(12345678901234567.5);
    expect(doc.x).toBe(1.2345678901234567e19);
  });

  it('takes the fast path for run ids and other strings with long digit runs', () => {
    // A 32-hex-digit run id holds 16 decimal digits in a row in about one id in 300: with every
    // page of 1,000 runs carrying several ids per run, the old check sent nearly every page to the
    // slow parser.
    const page = '{"runs":[{"info":{"run_id":"ab1234567890123456789cdef0123456","artifact_uri":"mlflow-artifacts:/1/ab1234567890123456789cdef0123456/artifacts"}}]}';
    expect(mayHoldLongInteger(page)).toBe(false);
    expect(parseJson(page)).toEqual(JSON.parse(page));
    expect(mayHoldLongInteger('{"v": 0.12345678901234567, "t": 1700000000000}')).toBe(false);
  });

  it('sends every integer literal of 16+ digits to the slow path, wherever JSON allows a number', () => {
    for (const text of ['9007199254740993', '{"s":9007199254740993}', '{"s": -9007199254740993}', '[1,\n 9007199254740993]', '[9007199254740993]']) {
      expect(mayHoldLongInteger(text), text).toBe(true);
    }
    expect(parseJson('[1,\n 9007199254740993]')).toEqual([1, 9007199254740993n]);
  });

  it('reads doubles and int64s in every form MLflow sends', () => {
    expect(Number.isNaN(toDouble('NaN'))).toBe(true);
    expect(toDouble('Infinity')).toBe(Infinity);
    expect(toDouble('-Infinity')).toBe(-Infinity);
    expect(toDouble('2.5')).toBe(2.5);
    expect(toDouble(12345678901234567890n)).toBe(12345678901234567890);
    expect(toInt64('9007199254740993')).toBe(9007199254740993n);
    expect(toInt64('42')).toBe(42);
    expect(toInt64(undefined)).toBe(0);
  });

  it('parses a history page: string values, string int64s, big steps, tokens', () => {
    const text =
      '{"metrics": [{"key": "m", "value": "NaN", "timestamp": "1700000000000", "step": "5"},' +
      '{"key": "m", "value": 1.0, "timestamp": 1700000000001, "step": 9007199254740993},' +
      '{"key": "m", "value": -1.7976931348623157e+308, "timestamp": 1700000000002}], "next_page_token": "abc"}';
    const page = parseHistoryPage(text);
    expect(page.nextPageToken).toBe('abc');
    expect(page.points).toHaveLength(3);
    expect(Number.isNaN(page.points[0]!.value)).toBe(true);
    expect(page.points[0]!.timestamp).toBe(1700000000000);
    expect(page.points[0]!.step).toBe(5);
    expect(page.points[1]!.step).toBe(9007199254740993n);
    expect(page.points[2]!.step).toBe(0);
    expect(parseHistoryPage('{}')).toEqual({ points: [] });
  });

  it('reads a field proto3 JSON left out as its default: no value, timestamp or step is 0', () => {
    expect(parseHistoryPage('{"metrics":[{"key":"m","timestamp":5},{"key":"m","value":1.5}]}').points).toEqual([
      { value: 0, timestamp: 5, step: 0 },
      { value: 1.5, timestamp: 0, step: 0 },
    ]);
  });
});

describe('mlflow json: request bodies', () => {
  it('writes non-finite values as protobuf JSON strings and keeps -0 and bigint steps exact', () => {
    const body = encodeLogBatch('r1', {
      metrics: [
        {
          key: 'm "quoted"',
          points: [
            { value: NaN, timestamp: 1, step: 0 },
            { value: Infinity, timestamp: 2, step: 1 },
            { value: -Infinity, timestamp: 3, step: -3 },
            { value: -0, timestamp: 4, step: 9007199254740993n },
            { value: 5e-324, timestamp: 5, step: 2 },
            { value: 0.1, timestamp: 6.7, step: 3 },
          ],
        },
      ],
    });
    expect(body).toContain('"value":"NaN"');
    expect(body).toContain('"value":"Infinity"');
    expect(body).toContain('"value":"-Infinity"');
    expect(body).toContain('"value":-0.0');
    expect(body).toContain('"step":9007199254740993}');
    expect(body).toContain('"timestamp":6,');
    const doc = parseJson(body) as { run_id: string; metrics: Array<Record<string, unknown>> };
    expect(doc.run_id).toBe('r1');
    expect(doc.metrics).toHaveLength(6);
    expect(doc.metrics[0]!.key).toBe('m "quoted"');
    expect(doc.metrics[3]!.step).toBe(9007199254740993n);
    expect(doc.metrics[4]!.value).toBe(5e-324);
  });

  it('writes params and tags with JSON escaping and omits empty parts', () => {
    const body = encodeLogBatch('r', { params: [{ key: 'a', value: 'line\nnext "q"' }], tags: [], metrics: [] });
    expect(JSON.parse(body)).toEqual({ run_id: 'r', params: [{ key: 'a', value: 'line\nnext "q"' }] });
  });

  it('formats doubles', () => {
    expect(formatDouble(1e21)).toBe('1e+21');
    expect(formatDouble(-0)).toBe('-0.0');
    expect(formatDouble(0)).toBe('0');
  });

  it('writes log-inputs bodies in MLflow field names', () => {
    const body = JSON.parse(
      encodeLogInputs('r', [
        { dataset: { name: 'd', digest: 'x', sourceType: 'local', source: 's', profile: 'p' }, tags: [{ key: 'mlflow.data.context', value: 'training' }] },
      ]),
    );
    expect(body).toEqual({
      run_id: 'r',
      datasets: [
        { dataset: { name: 'd', digest: 'x', source_type: 'local', source: 's', profile: 'p' }, tags: [{ key: 'mlflow.data.context', value: 'training' }] },
      ],
    });
  });

  it('encodes a 1000-point batch quickly', () => {
    const points = Array.from({ length: 1000 }, (_, i) => ({ value: Math.sin(i), timestamp: 1700000000000 + i, step: i }));
    const started = performance.now();
    for (let i = 0; i < 200; i++) encodeLogBatch('0123456789abcdef0123456789abcdef', { metrics: [{ key: 'loss', points }] });
    const perBatch = (performance.now() - started) / 200;
    expect(perBatch).toBeLessThan(5);
  });
});
