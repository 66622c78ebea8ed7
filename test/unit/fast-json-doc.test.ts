/**
 * The fast document parse answers exactly the document of the lossless parse (every number as the
 * digits written), or undefined where it cannot tell (the caller then parses losslessly): never a
 * different document.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastParseJsonDoc } from '../../src/model/fast-json-doc.js';
import { dumpPythonJson, parseJsonDoc, type JsonDoc } from '../../src/model/python-json.js';

const STORE = join(import.meta.dirname, '../golden/stores/genai-mlruns');
const goldenSpansFiles = readdirSync(STORE, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('artifacts/traces.json'));

/** The lossless parse's answer, or the error it throws. */
function lossless(text: string): JsonDoc | Error {
  try {
    return parseJsonDoc(text);
  } catch (error) {
    return error as Error;
  }
}

/** Both documents written out with every number's digits, object keys in their order. */
const written = (doc: JsonDoc) => dumpPythonJson(doc);

const TAKEN = [
  '{"trace_id": "Fj1QM2H/4NbL7Z0fkjWkOg==", "start_time_unix_nano": 1735689705000000001, "end_time_unix_nano": 1735689705030000000}',
  '{"n": [1, 2.5, -3e+10, 0.1E5, -0.0, 1.0, 12345678901234567890, 1e400, 5e-324], "b": [true, false, null]}',
  '{"s": "digits 123 and \\"quoted\\" 456 \\\\", "t": "\\u00e9 \\ud83d\\ude00 9", "after": 7}',
  '{"key\\": 1": 2, "x": {"y": [{"z": 3}, [], {}]}, "w": 4}',
  ' {\n\t"a" : 1 ,\r\n "b":[ 2 , 3 ] } ',
  '[1, "2", [3]]',
  '42',
  '"just a string"',
  'null',
  '{"spans": []}',
];

const REFUSED = [
  // Keys JavaScript enumerates out of text order, or drops into the prototype.
  '{"b": 1, "1": 2}',
  '{"__proto__": 1}',
  // A repeated key: the built-in parser keeps one, the lossless one refuses differing values.
  '{"a": 1, "a": 2}',
  '{"a": "x", "a": "y"}',
  '{"a": 1, "a": 1}',
  '{"a": "x", "a": "x"}',
  // Not JSON for the built-in parser.
  '{"a": NaN}',
  '{"a": Infinity}',
  '{"a": 1',
  '',
];

describe('fastParseJsonDoc', () => {
  it('answers the lossless document, numbers with the digits as written', () => {
    for (const text of TAKEN) {
      const fast = fastParseJsonDoc(text);
      expect(fast, text).not.toBeUndefined();
      const slow = lossless(text);
      expect(slow, text).not.toBeInstanceOf(Error);
      expect(written(fast!), text).toBe(written(slow as JsonDoc));
    }
  });

  it('keeps a nanosecond time beyond 2^53 exactly', () => {
    const doc = fastParseJsonDoc('{"t": 1735689705000000001}') as { t: { value: string } };
    expect(doc.t.value).toBe('1735689705000000001');
  });

  it('answers undefined where the built-in parser could read the text otherwise', () => {
    for (const text of REFUSED) expect(fastParseJsonDoc(text), text).toBeUndefined();
  });

  it('reads the span files of a store MLflow wrote as the lossless parser does', () => {
    expect(goldenSpansFiles.length).toBeGreaterThan(0);
    for (const file of goldenSpansFiles) {
      const text = readFileSync(join(STORE, file), 'utf8');
      const fast = fastParseJsonDoc(text);
      expect(fast, file).not.toBeUndefined();
      expect(written(fast!), file).toBe(written(parseJsonDoc(text)));
    }
  });
});
