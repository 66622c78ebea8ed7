/**
 * parseJsonDoc (python-json.ts) through the built-in JSON parser, which is several times faster
 * than the lossless one on span documents: JSON.parse builds the strings, objects and arrays, and
 * each number is then replaced by a LosslessNumber of the digits it was written with, found by a
 * scan that steps over string literals. The result is the same document parseJsonDoc builds.
 *
 * Numbers are matched to the parsed values by order: the scan meets them in text order, and a
 * walk of the parsed document meets them in the same order as long as no object has a key that
 * JavaScript enumerates out of text order (an array-index key such as "7") or drops (a repeated
 * key, "__proto__"). Where that does not hold, where the counts or values disagree, or where the
 * text is not plain JSON (Python's NaN), the answer is undefined and the caller parses losslessly.
 */
import { LosslessNumber } from 'lossless-json';
import type { JsonDoc } from './python-json.js';

/** A string literal (skipped whole) or a number, in JSON's grammar. */
const TOKEN = /"[^"\\]*(?:\\.[^"\\]*)*"|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/g;

/** Keys that JavaScript enumerates before the others, out of text order. */
const ARRAY_INDEX = /^(?:0|[1-9][0-9]{0,9})$/;

class Mismatch extends Error {}

/** Whether the string literal ending at `end` is an object key (a colon follows, after white space). */
function isKey(text: string, end: number): boolean {
  for (let i = end; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) return true;
    // space, tab, line feed, carriage return
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return false;
}

/** The document of `text` as parseJsonDoc answers it, or undefined when this fast path cannot tell. */
export function fastParseJsonDoc(text: string): JsonDoc | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const digits: string[] = [];
  // Keys written, against keys parsed: JSON.parse keeps one of a repeated key (the lossless
  // parser refuses differing values), so a difference sends the text to the lossless parser.
  let keysWritten = 0;
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(text); match; match = TOKEN.exec(text)) {
    if (match[0].charCodeAt(0) !== 0x22) digits.push(match[0]);
    else if (isKey(text, TOKEN.lastIndex)) keysWritten++;
  }
  let keysParsed = 0;
  let next = 0;
  const walk = (value: unknown): JsonDoc => {
    if (typeof value === 'number') {
      const written = digits[next++];
      if (written === undefined || Number(written) !== value) throw new Mismatch();
      return new LosslessNumber(written);
    }
    if (value === null || typeof value !== 'object') return value as JsonDoc;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = walk(value[i]);
      return value as JsonDoc[];
    }
    const object = value as Record<string, unknown>;
    for (const key in object) {
      keysParsed++;
      if (key === '__proto__' || ARRAY_INDEX.test(key)) throw new Mismatch();
      const item = object[key];
      if (typeof item === 'number' || (item !== null && typeof item === 'object')) object[key] = walk(item);
    }
    return object as JsonDoc;
  };
  try {
    const doc = walk(parsed);
    return next === digits.length && keysParsed === keysWritten ? doc : undefined;
  } catch (error) {
    if (error instanceof Mismatch || error instanceof RangeError) return undefined;
    throw error;
  }
}
