/**
 * Span documents kept as read: a text counts as json.dumps form exactly when parsing it and
 * dumping it again gives the same bytes, and a span read from text has the same fields and
 * document as one parsed whole, while its text is written back unchanged.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpPythonJson, parseJsonDoc } from '../../src/model/python-json.js';
import { canonicalArrayObjects, canonicalObjectFields } from '../../src/model/span-text.js';
import { spanContent, spanForTrace, spanFromDocument, spanFromText } from '../../src/model/trace-span.js';

const STORE = join(import.meta.dirname, '../golden/stores/genai-mlruns');
const goldenSpansFiles = readdirSync(STORE, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('artifacts/traces.json'));

/** A span document in json.dumps form, as MLflow writes it (ns times beyond 2^53 kept as digits). */
const CANONICAL = [
  '{"trace_id": "Fj1QM2H/4NbL7Z0fkjWkOg==", "span_id": "DUOnpMyx5b4=", "parent_span_id": null,',
  ' "name": "na\\u00efve \\u2028 \\"quoted\\" \\\\ tab\\t", "start_time_unix_nano": 1735689705000000001, "end_time_unix_nano": 1735689705030000000,',
  ' "events": [{"name": "e", "timestamp": 17356897050000001, "attributes": {"n": 1.5e-07, "big": 12345678901234567890, "list": [true, false, null, -0.0]}}],',
  ' "status": {"code": "STATUS_CODE_ERROR", "message": "boom \\u0001 \\u007f \\ud83d\\ude00"},',
  ' "attributes": {"mlflow.spanType": "\\"LLM\\"", "mlflow.spanInputs": "{\\"q\\": \\"\\\\u00e9\\"}"}}',
].join('');

describe('canonicalObjectFields', () => {
  const isCanonical = (text: string): boolean => {
    try {
      return dumpPythonJson(parseJsonDoc(text)) === text;
    } catch {
      return false;
    }
  };

  it('takes an object text exactly when parse and dump give its bytes back', () => {
    const texts = [
      CANONICAL,
      '{}', '{"a": []}', '{"a": {}}', '{"a": [1, 2.5, -3e+10, 0.1E5, true, false, null]}', '{"a": "\\u00e9\\ud83d\\ude00\\u0000\\u007f"}',
      '{"a":1}', '{"a": 1,"b": 2}', '{ "a": 1}', '{"a": 1} ', '{"a": 1}\n', '{"a": "é"}', '{"a": "\\u00E9"}', '{"a": "\\u0041"}', '{"a": "\\/"}',
      '{"a": "\\u000a"}', '{"a": "\u0001"}', '{"a": 01}', '{"a": 1.}', '{"a": -}', '{"a": NaN}', '{"a": 1, "a": 1}', '{"a": 1, "a": 2}',
      '{"a": [1,2]}', '{"a": tru}', '{"a": "open}', '{"a": 1', '[1]', '"x"', '{"a": {"b": 1, "b": 1}}', '{"\\u00e9": 1}',
    ];
    for (const text of texts) expect(canonicalObjectFields(text) !== undefined, text).toBe(text.startsWith('{') && isCanonical(text));
  });

  it('takes the traces.json files real MLflow wrote, span by span', () => {
    expect(goldenSpansFiles.length).toBeGreaterThan(3);
    for (const file of goldenSpansFiles) {
      const text = readFileSync(join(STORE, file), 'utf8');
      const texts = canonicalArrayObjects(text, 'spans')?.map((found) => text.slice(found.start, found.end));
      expect(texts, file).toBeDefined();
      const documents = (parseJsonDoc(text) as { spans: unknown[] }).spans;
      expect(texts!.map((t) => parseJsonDoc(t))).toEqual(documents);
      expect(`{"spans": [${texts!.join(', ')}]}`).toBe(text);
    }
  });
});

describe('canonicalArrayObjects', () => {
  it('finds the span objects of a traces.json in json.dumps form, and nothing in any other form', () => {
    const file = `{"request": null, "spans": [${CANONICAL}, {}]}`;
    expect(canonicalArrayObjects(file, 'spans')?.map((found) => file.slice(found.start, found.end))).toEqual([CANONICAL, '{}']);
    expect(canonicalArrayObjects('{"spans": []}', 'spans')).toEqual([]);
    for (const other of ['{"spans": [1]}', '{"spans": {}}', '{"other": []}', '{"spans": [{}],"x": 1}', '{"spans": [{}]}\n', '{"spans": [{}], "spans": []}', JSON.stringify({ spans: [{}] }, null, 2)]) {
      expect(canonicalArrayObjects(other, 'spans'), other).toBeUndefined();
    }
  });
});

describe('spanFromText', () => {
  it('gives the fields and document spanFromDocument gives, and writes the text back as read', () => {
    expect(dumpPythonJson(parseJsonDoc(CANONICAL))).toBe(CANONICAL);
    const fromText = spanFromText(CANONICAL);
    const parsed = spanFromDocument(parseJsonDoc(CANONICAL));
    expect(fromText).toEqual(parsed);
    expect(fromText.startTimeNs).toBe('1735689705000000001');
    expect(fromText.status).toBe('ERROR');
    expect(fromText.spanType).toBe('LLM');
    expect(spanContent(fromText)).toBe(CANONICAL);
  });

  it('reads odd documents as spanFromDocument does: ids in hex, times as strings, no status, a type that is not a string', () => {
    const variants = [
      '{"span_id": "0123456789abcdef", "name": "", "start_time_unix_nano": "1735689705000000001", "end_time_unix_nano": "x", "status": "OK", "attributes": {"mlflow.spanType": 5}}',
      '{"span_id": "DUOnpMyx5b4=", "parent_span_id": "DUOnpMyx5b4=", "name": "n", "start_time_unix_nano": 1.5e3, "status": {"message": ""}, "attributes": {"mlflow.spanType": "LLM"}}',
      '{"span_id": "DUOnpMyx5b4=", "name": "n", "start_time_unix_nano": 1, "status": {"code": 1}, "attributes": {"x": {"mlflow.spanType": "\\"LLM\\""}}}',
    ];
    for (const text of variants) {
      expect(canonicalObjectFields(text), text).toBeDefined();
      expect(spanFromText(text), text).toEqual(spanFromDocument(parseJsonDoc(text)));
    }
  });

  it('parses other text whole, and writes it in json.dumps form', () => {
    const pretty = JSON.stringify(JSON.parse(CANONICAL), null, 2);
    const span = spanFromText(pretty);
    expect(span.spanId).toBe(spanFromDocument(parseJsonDoc(pretty)).spanId);
    expect(spanContent(span)).toBe(dumpPythonJson(parseJsonDoc(pretty)));
  });

  it('fails as spanFromDocument fails on a document without its ids', () => {
    expect(() => spanFromText('{"name": "x"}')).toThrow('span document lacks span_id, name or start_time_unix_nano');
  });

  it('a span moved to another trace id is written from its new document, not the text read', () => {
    const span = spanFromText(CANONICAL);
    const moved = spanForTrace(span, 'tr-163d503361ffe0d6cbed9d1f9235a43a', 'tr-00000000000000000000000000000001');
    expect(spanContent(moved)).not.toBe(CANONICAL);
    expect(spanContent(moved)).toBe(dumpPythonJson(moved.document));
    expect(spanContent(span)).toBe(CANONICAL);
  });
});
