/**
 * A runs/search page read as the bytes the server sent, without parsing it whole. A listing needs
 * of each run only its info, its tags and its text (digested for the state token, kept in the
 * spool until the run is opened): parsing every param and metric of 1,000 runs a page, on both
 * sides of a sync, was most of what an unchanged pass cost (JSON.parse, decoding the bytes into a
 * string, and the garbage both leave).
 *
 * One walk over the page: strings are skipped with Buffer.indexOf, the rest byte by byte. It finds
 * where each run, its `info` and its `data.tags` lie; only those two small pieces are read: the
 * info parsed by the caller, of the tags only those the caller asks for (readTags). Anything of another shape (a key written with escapes, a run that is not an object,
 * an unterminated string) makes it give up, and the caller parses the page the ordinary way.
 * Structure is all it checks: the parts it skips (params, metrics, inputs) are parsed when the run
 * is opened.
 */

const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;
const COMMA = 44;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/** [start, end) of a value in the page. */
export type Span = readonly [number, number];

export interface ScannedRun {
  /** The run's JSON object as the server sent it. */
  text: Span;
  /** The run's `info` object; undefined when the run has none. */
  info?: Span;
  /** The run's `data.tags` array; undefined when it has none (proto3 JSON leaves empty lists out). */
  tags?: Span;
}

export interface ScannedPage {
  runs: ScannedRun[];
  /** The `next_page_token` value (JSON text), when there is one. */
  nextPageToken?: Span;
}

/** Where each run and the parts a listing reads lie in a runs/search page; undefined when the page is not of that shape. */
export function scanSearchPage(page: Buffer): ScannedPage | undefined {
  const start = skipBlanks(page, 0);
  if (start === page.length) return { runs: [] }; // an empty answer: no runs
  const result: ScannedPage = { runs: [] };
  let runs: ScannedRun[] | undefined;
  const end = walkObject(page, start, (keyStart, keyEnd, at) => {
    if (keyIs(page, keyStart, keyEnd, 'runs')) {
      const scanned: ScannedRun[] = [];
      const after = walkRuns(page, at, scanned);
      runs = after < 0 ? undefined : scanned;
      return after;
    }
    const after = valueEnd(page, at);
    if (keyIs(page, keyStart, keyEnd, 'next_page_token')) result.nextPageToken = [at, after];
    return after;
  });
  if (end < 0 || skipBlanks(page, end) !== page.length) return undefined;
  if (runs) result.runs = runs;
  return result;
}

/** The runs array at `at`; returns the index after it, or -1. */
function walkRuns(page: Buffer, at: number, out: ScannedRun[]): number {
  if (page[at] !== OPEN_BRACKET) return -1;
  let i = skipBlanks(page, at + 1);
  if (page[i] === CLOSE_BRACKET) return i + 1;
  for (;;) {
    const run: { text: Span; info?: Span; tags?: Span } = { text: [i, i] };
    const end = walkObject(page, i, (keyStart, keyEnd, valueAt) => {
      if (keyIs(page, keyStart, keyEnd, 'data')) {
        return walkObject(page, valueAt, (dataKeyStart, dataKeyEnd, tagsAt) => {
          const after = valueEnd(page, tagsAt);
          if (keyIs(page, dataKeyStart, dataKeyEnd, 'tags')) run.tags = [tagsAt, after];
          return after;
        });
      }
      const after = valueEnd(page, valueAt);
      if (keyIs(page, keyStart, keyEnd, 'info')) run.info = [valueAt, after];
      return after;
    });
    if (end < 0) return -1;
    run.text = [i, end];
    out.push(run);
    i = skipBlanks(page, end);
    if (page[i] === COMMA) {
      i = skipBlanks(page, i + 1);
      continue;
    }
    return page[i] === CLOSE_BRACKET ? i + 1 : -1;
  }
}

/**
 * The object at `at`, member by member: `member` gets each key's place (without its quotes; a key
 * spelled with escapes makes the walk give up) and where its value starts, and
 * returns where the value ends (-1: give up). Returns the index after the object, or -1. A later
 * duplicate key is visited after the earlier one, so callers that overwrite keep the last, as
 * JSON.parse does.
 */
function walkObject(page: Buffer, at: number, member: (keyStart: number, keyEnd: number, valueAt: number) => number): number {
  if (page[at] !== OPEN_BRACE) return -1;
  let i = skipBlanks(page, at + 1);
  if (page[i] === CLOSE_BRACE) return i + 1;
  for (;;) {
    if (page[i] !== QUOTE) return -1;
    const keyEnd = stringEnd(page, i);
    if (keyEnd < 0) return -1;
    // A key spelled with escapes would need decoding to be compared: not worth it, give up.
    for (let k = i + 1; k < keyEnd - 1; k++) if (page[k] === BACKSLASH) return -1;
    let j = skipBlanks(page, keyEnd);
    if (page[j] !== COLON) return -1;
    j = skipBlanks(page, j + 1);
    const after = member(i + 1, keyEnd - 1, j);
    if (after < 0) return -1;
    i = skipBlanks(page, after);
    if (page[i] === COMMA) {
      i = skipBlanks(page, i + 1);
      continue;
    }
    return page[i] === CLOSE_BRACE ? i + 1 : -1;
  }
}

/** Tag keys a listing reads, each also as its UTF-8 bytes, so that a tag key is compared without being decoded. */
export class TagKeys {
  private readonly encoded: Buffer[];

  constructor(readonly keys: ReadonlySet<string>) {
    this.encoded = [...keys].map((key) => Buffer.from(key, 'utf8'));
  }

  /** The key written at [start, end) of `page` (without quotes, no escapes), if it is one of these. */
  match(page: Buffer, start: number, end: number): string | undefined {
    const length = end - start;
    for (const key of this.encoded) {
      if (key.length === length && page.compare(key, 0, length, start, end) === 0) return key.toString('utf8');
    }
    return undefined;
  }
}

/**
 * The `{key, value}` items of a tags array whose key is one of `keys`, in order; the other tags
 * are skipped without being decoded. Undefined when the array is not of that shape.
 */
export function readTags(page: Buffer, span: Span, keys: TagKeys, parse: (text: string) => unknown): Array<{ key: unknown; value: unknown }> | undefined {
  if (page[span[0]] !== OPEN_BRACKET) return undefined;
  const out: Array<{ key: unknown; value: unknown }> = [];
  let i = skipBlanks(page, span[0] + 1);
  if (page[i] === CLOSE_BRACKET) return i + 1 === span[1] ? out : undefined;
  let keyAt = -1;
  let keyEnd = -1;
  let valueAt = -1;
  let valueEnd_ = -1;
  const member = (memberStart: number, memberEnd: number, at: number): number => {
    const after = valueEnd(page, at);
    if (keyIs(page, memberStart, memberEnd, 'key')) {
      keyAt = at;
      keyEnd = after;
    } else if (keyIs(page, memberStart, memberEnd, 'value')) {
      valueAt = at;
      valueEnd_ = after;
    }
    return after;
  };
  for (;;) {
    keyAt = valueAt = -1;
    const end = walkObject(page, i, member);
    if (end < 0) return undefined;
    if (keyAt >= 0 && page[keyAt] === QUOTE) {
      const name = hasBackslash(page, keyAt, keyEnd) ? wantedEscapedKey(page, keyAt, keyEnd, keys, parse) : keys.match(page, keyAt + 1, keyEnd - 1);
      if (name !== undefined) out.push({ key: name, value: valueAt < 0 ? undefined : readValue(page, valueAt, valueEnd_, parse) });
    }
    i = skipBlanks(page, end);
    if (page[i] === COMMA) {
      i = skipBlanks(page, i + 1);
      continue;
    }
    return page[i] === CLOSE_BRACKET && i + 1 === span[1] ? out : undefined;
  }
}

/** A key string written with escapes, decoded, if it is one of `keys`. */
function wantedEscapedKey(page: Buffer, start: number, end: number, keys: TagKeys, parse: (text: string) => unknown): string | undefined {
  const name = parse(page.toString('utf8', start, end));
  return typeof name === 'string' && keys.keys.has(name) ? name : undefined;
}

function hasBackslash(page: Buffer, start: number, end: number): boolean {
  for (let k = start + 1; k < end - 1; k++) if (page[k] === BACKSLASH) return true;
  return false;
}

/** A value of [start, end): a string without escapes straight from the bytes, anything else through `parse`. */
function readValue(page: Buffer, start: number, end: number, parse: (text: string) => unknown): unknown {
  if (page[start] === QUOTE && !hasBackslash(page, start, end)) return page.toString('utf8', start + 1, end - 1);
  return parse(page.toString('utf8', start, end));
}

/** Whether the key at [start, end) (without quotes) is `name` (ASCII). */
function keyIs(page: Buffer, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (page[start + k] !== name.charCodeAt(k)) return false;
  return true;
}

/** The index after the value starting at `at`, or -1. */
function valueEnd(page: Buffer, at: number): number {
  const c = page[at];
  if (c === QUOTE) return stringEnd(page, at);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    let i = at;
    const n = page.length;
    while (i < n) {
      const d = page[i]!;
      if (d === QUOTE) {
        i = stringEnd(page, i);
        if (i < 0) return -1;
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  let i = at;
  const n = page.length;
  while (i < n) {
    const d = page[i]!;
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isBlank(d)) break;
    i++;
  }
  return i > at ? i : -1;
}

/** The index after the string whose opening quote is at `at`, or -1 when it does not end. */
function stringEnd(page: Buffer, at: number): number {
  let end = at + 1;
  for (;;) {
    end = page.indexOf(QUOTE, end);
    if (end < 0) return -1;
    let backslashes = 0;
    while (page[end - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end + 1;
    end++;
  }
}

function isBlank(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function skipBlanks(page: Buffer, at: number): number {
  let i = at;
  while (i < page.length && isBlank(page[i]!)) i++;
  return i;
}
