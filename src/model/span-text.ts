/**
 * Span documents kept as the text they were read as. MLflow writes a span document with
 * `json.dumps` defaults (python-json.ts), and a lossless parse followed by dumpPythonJson gives
 * those bytes back. A copy into a store that keeps the text (MLflow's database, traces.json)
 * need not parse and dump every document then: when the text read is already in that canonical
 * form, it is the text the copy would write. This file checks that form with a scanner that
 * builds nothing (a parse built every string and number of every span), finds the few fields the
 * engine needs, and leaves the document to be parsed only when someone asks for it.
 *
 * Canonical here means exactly what dumpPythonJson(parseJsonDoc(text)) === text means: ", " and
 * ": " separators and no other white space; strings of printable ASCII with Python's escapes
 * (\" \\ \b \f \n \r \t, \u with four lowercase hex digits for the other control characters and
 * for everything from U+007F on); numbers in JSON's grammar (kept as written); no duplicate key.
 * Text outside that form answers undefined, and the caller parses and dumps as before.
 */

/** Thrown inside the scanner: the text is not in the canonical form (not an error of the text). */
class NotCanonical extends Error {}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = /^[0-9a-f]{4}$/;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** A run of printable ASCII other than the quote and the backslash: skipped in one step. */
const PLAIN_RUN = /[\x20\x21\x23-\x5b\x5d-\x7e]+/y;

/** End of the canonical string starting at `i` (a quote). */
function scanString(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    PLAIN_RUN.lastIndex = j;
    if (PLAIN_RUN.test(text)) j = PLAIN_RUN.lastIndex;
    const c = text.charCodeAt(j);
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) {
      const e = text[j + 1];
      if (e === 'u') {
        const hex = text.slice(j + 2, j + 6);
        if (!HEX.test(hex)) throw new NotCanonical();
        const code = parseInt(hex, 16);
        // json.dumps writes these as \b \t \n \f \r; printable ASCII is written as itself.
        if ((code >= 0x20 && code < 0x7f) || code === 8 || code === 9 || code === 10 || code === 12 || code === 13) throw new NotCanonical();
        j += 6;
      } else if (e === '"' || e === '\\' || e === 'b' || e === 'f' || e === 'n' || e === 'r' || e === 't') {
        j += 2;
      } else {
        throw new NotCanonical();
      }
    } else if (c >= 0x20 && c < 0x7f) {
      j++;
    } else {
      // Raw control or non-ASCII character (or the text's end): json.dumps would have escaped it.
      throw new NotCanonical();
    }
  }
}

function keyAt(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end - 1);
  return raw.includes('\\') ? (JSON.parse(text.slice(start, end)) as string) : raw;
}

/**
 * Where a value's text lies in its document: [start, end), and for an object the ranges of its
 * own keys (a span's status code and mlflow.spanType are read from there, with no parse).
 */
export type TextRange = [number, number, Map<string, TextRange>?];

/**
 * End of the canonical value starting at `i`; `fields`, when given, gets the keys of the object
 * there and their value ranges, and (with `inner`) those of the objects one level below.
 */
function scanValue(text: string, i: number, fields?: Map<string, TextRange>, inner = false): number {
  const c = text[i];
  if (c === '"') return scanString(text, i);
  if (c === '{') {
    if (text[i + 1] === '}') return i + 2;
    // Nested objects only need their keys, to refuse a duplicate (a parse would drop or reject one).
    const keys = fields ? undefined : new Set<string>();
    let j = i + 1;
    for (;;) {
      if (text.charCodeAt(j) !== QUOTE) throw new NotCanonical();
      const keyEnd = scanString(text, j);
      const key = keyAt(text, j, keyEnd);
      if ((fields ? fields.has(key) : keys!.has(key)) || text[keyEnd] !== ':' || text[keyEnd + 1] !== ' ') throw new NotCanonical();
      if (fields) {
        const below = inner && text[keyEnd + 2] === '{' ? new Map<string, TextRange>() : undefined;
        const valueEnd = scanValue(text, keyEnd + 2, below);
        fields.set(key, below ? [keyEnd + 2, valueEnd, below] : [keyEnd + 2, valueEnd]);
        j = valueEnd;
      } else {
        keys!.add(key);
        j = scanValue(text, keyEnd + 2);
      }
      if (text[j] === '}') return j + 1;
      if (text[j] !== ',' || text[j + 1] !== ' ') throw new NotCanonical();
      j += 2;
    }
  }
  if (c === '[') {
    if (text[i + 1] === ']') return i + 2;
    let j = i + 1;
    for (;;) {
      j = scanValue(text, j);
      if (text[j] === ']') return j + 1;
      if (text[j] !== ',' || text[j + 1] !== ' ') throw new NotCanonical();
      j += 2;
    }
  }
  if (text.startsWith('true', i)) return i + 4;
  if (text.startsWith('false', i)) return i + 5;
  if (text.startsWith('null', i)) return i + 4;
  NUMBER.lastIndex = i;
  if (NUMBER.test(text) && NUMBER.lastIndex > i) return NUMBER.lastIndex;
  throw new NotCanonical();
}

/** Runs a scan; answers undefined when the text is not canonical. */
function attempt<T>(scan: () => T): T | undefined {
  try {
    return scan();
  } catch (error) {
    // Nesting deeper than the stack: not worth a fast path, the full parser decides.
    if (error instanceof NotCanonical || error instanceof RangeError) return undefined;
    throw error;
  }
}

/** A canonical object in a larger text: where it lies and where its top-level values lie. */
export interface CanonicalObject {
  text: string;
  start: number;
  end: number;
  fields: Map<string, TextRange>;
}

/** A canonical JSON object's top-level keys with their value ranges, or undefined when `text` is not canonical. */
export function canonicalObjectFields(text: string): Map<string, TextRange> | undefined {
  const fields = new Map<string, TextRange>();
  return attempt(() => (text[0] === '{' && scanValue(text, 0, fields, true) === text.length ? fields : undefined));
}

/**
 * The objects of the array under `key` in a canonical JSON object (traces.json's "spans"), in one
 * pass; undefined when the text is not canonical, has no such array, or the array holds anything
 * but objects.
 */
export function canonicalArrayObjects(text: string, key: string): CanonicalObject[] | undefined {
  return attempt(() => {
    if (text[0] !== '{') return undefined;
    const top = new Set<string>();
    let items: CanonicalObject[] | undefined;
    let j = 1;
    if (text[1] === '}') return undefined;
    for (;;) {
      if (text.charCodeAt(j) !== QUOTE) return undefined;
      const keyEnd = scanString(text, j);
      const name = keyAt(text, j, keyEnd);
      if (top.has(name) || text[keyEnd] !== ':' || text[keyEnd + 1] !== ' ') return undefined;
      top.add(name);
      j = keyEnd + 2;
      if (name === key) {
        if (text[j] !== '[') return undefined;
        items = [];
        if (text[j + 1] === ']') j += 2;
        else {
          j += 1;
          for (;;) {
            if (text[j] !== '{') return undefined;
            const fields = new Map<string, TextRange>();
            const end = scanValue(text, j, fields, true);
            items.push({ text, start: j, end, fields });
            j = end;
            if (text[j] === ']') break;
            if (text[j] !== ',' || text[j + 1] !== ' ') return undefined;
            j += 2;
          }
          j += 1;
        }
      } else {
        j = scanValue(text, j);
      }
      if (text[j] === '}') return j + 1 === text.length ? items : undefined;
      if (text[j] !== ',' || text[j + 1] !== ' ') return undefined;
      j += 2;
    }
  });
}
