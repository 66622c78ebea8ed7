/**
 * The JSON rules traces live by: span documents parsed and written again as MLflow's Python
 * json.dumps wrote them (separators, \uXXXX escapes, nanosecond integers beyond 2^53), and span
 * documents turned into OTLP/JSON so that the server stores the same attribute texts again.
 */
import { describe, expect, it } from 'vitest';
import { otlpSpan } from '../../src/backends/mlflow/otlp-spans.js';
import { dumpPythonJson, parseJsonDoc } from '../../src/model/python-json.js';
import { parseSpanContent, spanForTrace } from '../../src/model/trace-span.js';

const SPAN =
  '{"trace_id": "hGqC+W82v8qFHFo+flexDw==", "span_id": "XbxMvLD09O8=", "parent_span_id": null, "name": "qa-\\u00e9", ' +
  '"start_time_unix_nano": 1735689701000000001, "end_time_unix_nano": 1735689701030000000, "events": [{"name": "e", "time_unix_nano": 1735689701020000000, "attributes": {"n": 1, "s": "x"}}], ' +
  '"status": {"code": "STATUS_CODE_ERROR", "message": ""}, "attributes": {"mlflow.traceRequestId": "\\"tr-846a82f96f36bfca851c5a3e7e57b10f\\"", ' +
  '"mlflow.spanType": "\\"CHAIN\\"", "mlflow.spanInputs": "{\\"question\\": \\"Divide 1 by 0\\"}", "n": "7", "f": "1.0", "b": "true"}}';

describe('span documents', () => {
  it('round-trip byte for byte, with nanoseconds beyond 2^53 and non-ASCII escaped as Python does', () => {
    expect(dumpPythonJson(parseJsonDoc(SPAN))).toBe(SPAN);
    expect(dumpPythonJson('é\u007f\n"')).toBe('"\\u00e9\\u007f\\n\\""');
    const span = parseSpanContent(SPAN);
    expect(span).toMatchObject({ spanId: '5dbc4cbcb0f4f4ef', name: 'qa-é', startTimeNs: '1735689701000000001', status: 'ERROR', spanType: 'CHAIN' });
    expect(span.parentSpanId).toBeUndefined();
  });

  it('move to another trace id in exactly two places', () => {
    const span = parseSpanContent(SPAN);
    const moved = spanForTrace(span, 'tr-846a82f96f36bfca851c5a3e7e57b10f', `tr-${'ab'.repeat(16)}`);
    const expected = SPAN.replace('hGqC+W82v8qFHFo+flexDw==', Buffer.from('ab'.repeat(16), 'hex').toString('base64')).replace('tr-846a82f96f36bfca851c5a3e7e57b10f', `tr-${'ab'.repeat(16)}`);
    expect(dumpPythonJson(moved.document)).toBe(expected);
    // The source's document is left as it was.
    expect(dumpPythonJson(span.document)).toBe(SPAN);
  });

  it('go to OTLP with attribute values the server turns back into the same texts', () => {
    const notes: string[] = [];
    const otlp = otlpSpan(parseSpanContent(SPAN), notes) as { attributes: Array<{ key: string; value: unknown }>; events: unknown[]; status: unknown; startTimeUnixNano: string };
    const value = (key: string) => otlp.attributes.find((a) => a.key === key)?.value;
    expect(value('mlflow.spanType')).toEqual({ stringValue: 'CHAIN' });
    // A JSON object text is kept as it is (the server stores such a string unchanged).
    expect(value('mlflow.spanInputs')).toEqual({ stringValue: '{"question": "Divide 1 by 0"}' });
    expect(value('n')).toEqual({ intValue: '7' });
    expect(value('f')).toEqual({ doubleValue: 1 });
    expect(value('b')).toEqual({ boolValue: true });
    expect(otlp.startTimeUnixNano).toBe('1735689701000000001');
    expect(otlp.status).toEqual({ code: 2 });
    expect(otlp.events).toEqual([{ name: 'e', timeUnixNano: '1735689701020000000', attributes: [{ key: 'n', value: { intValue: '1' } }, { key: 's', value: { stringValue: 'x' } }] }]);
    expect(notes).toEqual([]);
  });

  it('go to OTLP the same way for texts the built-in parser refuses or reads wrongly, and say what cannot round-trip', () => {
    const span = parseSpanContent(SPAN);
    const attributes = {
      // Python's json.dumps writes NaN, which neither parser here reads: sent as is, with a note.
      nan: '{"score": NaN}',
      // Not JSON at all, though it starts like an object: sent as is, with a note.
      broken: '{"unclosed": 1',
      escaped: '"caf\\u00e9 \\"q\\""',
      nul: 'null',
      big: '12345678901234567890',
    };
    const doc = { ...(span.document as Record<string, unknown>), attributes };
    const notes: string[] = [];
    const otlp = otlpSpan({ ...span, document: doc as never }, notes) as { attributes: Array<{ key: string; value: unknown }> };
    const value = (key: string) => otlp.attributes.find((a) => a.key === key)?.value;
    expect(value('nan')).toEqual({ stringValue: '{"score": NaN}' });
    expect(value('broken')).toEqual({ stringValue: '{"unclosed": 1' });
    expect(value('escaped')).toEqual({ stringValue: 'café "q"' });
    expect(value('nul')).toEqual({});
    expect(value('big')).toEqual({ intValue: '12345678901234567890' });
    expect(notes).toEqual([
      'span attribute nan: its value is not JSON text; the server stores it JSON-encoded',
      'span attribute broken: its value is not JSON text; the server stores it JSON-encoded',
      'span attribute nul: a JSON null cannot be sent through OTLP; the server stores it differently',
    ]);
  });
});
