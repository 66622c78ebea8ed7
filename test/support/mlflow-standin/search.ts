/**
 * Search support shared by experiments/search, runs/search and logged-models/search:
 * filter strings (SearchUtils subset), order_by clauses and offset page tokens.
 *
 * Page tokens are base64 of Python's json.dumps({"offset": N}) ("eyJvZmZzZXQiOiAxfQ==" = offset 1),
 * decoded with the server's error texts ("Invalid page token, could not base64-decode", and an
 * offset of 0 is rejected with "Invalid page token, parsed value={'offset': 0}").
 */
import { invalidParam } from './errors.js';
import { parseBody } from './json.js';
import { pyBytesRepr, pyRepr } from './pyfmt.js';

// ---------------------------------------------------------------- page tokens

export function makePageToken(offset: number): string {
  return Buffer.from(`{"offset": ${offset}}`).toString('base64');
}

export function parsePageToken(token: string | undefined): number {
  if (!token) return 0;
  // Python's b64decode (validate=False) drops characters outside the alphabet, then needs padding.
  const cleaned = token.replace(/[^A-Za-z0-9+/=]/g, '');
  const body = cleaned.replace(/=+$/, '');
  if (body.length % 4 === 1 || cleaned.length % 4 !== 0 || /=[^=]/.test(cleaned))
    throw invalidParam('Invalid page token, could not base64-decode');
  const bytes = Buffer.from(cleaned, 'base64');
  const parsed = parseBody(bytes.toString('utf8'));
  if (parsed === undefined) throw invalidParam(`Invalid page token, decoded value=${pyBytesRepr(bytes)}`);
  const offset =
    parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>).offset : undefined;
  if (!offset) throw invalidParam(`Invalid page token, parsed value=${pyRepr(parsed)}`);
  const n = typeof offset === 'string' ? Number(offset) : Number(offset as number);
  if (!Number.isInteger(n)) throw invalidParam(`Invalid page token, offset value=${pyRepr(offset)}`);
  return n;
}

// ---------------------------------------------------------------- filter strings

export type Tok =
  | { t: 'word'; v: string; raw: string }
  | { t: 'str'; v: string; raw: string; q: string }
  | { t: 'num'; v: number; raw: string }
  | { t: 'op'; v: string; raw: string }
  | { t: 'punct'; v: string; raw: string };

export function lex(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let v = '';
      for (;;) {
        if (j >= s.length) throw invalidParam(`Invalid filter '${s}'. Could not be parsed.`);
        if (s[j] === c && s[j + 1] === c && c === "'") {
          v += c;
          j += 2;
          continue;
        }
        if (s[j] === c) break;
        v += s[j];
        j++;
      }
      out.push({ t: 'str', v, raw: s.slice(i, j + 1), q: c });
      i = j + 1;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=' || two === '<>') {
      out.push({ t: 'op', v: two === '<>' ? '!=' : two, raw: two });
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      out.push({ t: 'op', v: c, raw: c });
      i++;
      continue;
    }
    const num = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(s.slice(i));
    if (num && (c !== '+' && c !== '-' ? true : out.length > 0 && out[out.length - 1]!.t === 'op')) {
      out.push({ t: 'num', v: Number(num[0]), raw: num[0] });
      i += num[0].length;
      continue;
    }
    const word = /^[\p{L}\p{N}_.]+/u.exec(s.slice(i));
    if (word) {
      out.push({ t: 'word', v: word[0], raw: word[0] });
      i += word[0].length;
      continue;
    }
    out.push({ t: 'punct', v: c, raw: c });
    i++;
  }
  return out;
}

export interface Clause {
  type: 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';
  key: string;
  op: string; // =, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL
  value: string | number | string[] | null;
}

const ENTITY: Record<string, Clause['type']> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};

function parseIdentifier(left: Tok[], raw: string): { type: Clause['type']; key: string } {
  const bad = () => invalidParam(`Invalid comparison clause. Expected 'Identifier' found '${raw}'`);
  if (left.length === 0) throw bad();
  const first = left[0]!;
  if (left.length === 1 && first.t === 'str' && first.q !== "'") return { type: 'attribute', key: first.v };
  if (first.t !== 'word') throw bad();
  if (left.length === 1) {
    const dot = first.v.indexOf('.');
    if (dot < 0) return { type: 'attribute', key: first.v };
    const type = ENTITY[first.v.slice(0, dot).toLowerCase()];
    if (!type) throw invalidParam(`Invalid entity type '${first.v.slice(0, dot)}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']`);
    return { type, key: first.v.slice(dot + 1) };
  }
  const second = left[1]!;
  if (left.length === 2 && first.v.endsWith('.') && second.t === 'str' && second.q !== "'") {
    const type = ENTITY[first.v.slice(0, -1).toLowerCase()];
    if (!type) throw bad();
    return { type, key: second.v };
  }
  throw bad();
}

function splitAnd(toks: Tok[]): Tok[][] {
  const out: Tok[][] = [[]];
  for (const t of toks) {
    if (t.t === 'word' && t.v.toUpperCase() === 'AND') out.push([]);
    else out[out.length - 1]!.push(t);
  }
  return out;
}

export function parseFilter(filter: string | undefined): Clause[] {
  if (!filter || !filter.trim()) return [];
  const toks = lex(filter);
  const clauses: Clause[] = [];
  for (const part of splitAnd(toks)) {
    if (part.length === 0) throw invalidParam(`Invalid filter '${filter}'. Could not be parsed.`);
    // find the comparator
    let k = part.findIndex(
      (t) => t.t === 'op' || (t.t === 'word' && ['LIKE', 'ILIKE', 'IN', 'NOT', 'IS'].includes(t.v.toUpperCase())),
    );
    if (k < 0) throw invalidParam(`Invalid filter '${filter}'. Could not be parsed.`);
    const left = part.slice(0, k);
    const raw = left.map((t) => t.raw).join('');
    const { type, key } = parseIdentifier(left, raw);
    let op = String(part[k]!.v).toUpperCase();
    k++;
    if (op === 'NOT') {
      const nx = String(part[k]?.v).toUpperCase();
      if (nx !== 'IN' && nx !== 'LIKE' && nx !== 'ILIKE') throw invalidParam(`Invalid filter '${filter}'. Could not be parsed.`);
      op = `NOT ${nx}`;
      k++;
    } else if (op === 'IS') {
      if (String(part[k]?.v).toUpperCase() === 'NOT') {
        op = 'IS NOT NULL';
        k++;
      } else op = 'IS NULL';
      if (String(part[k]?.v).toUpperCase() !== 'NULL') throw invalidParam(`Invalid filter '${filter}'. Could not be parsed.`);
      clauses.push({ type, key, op, value: null });
      if (k + 1 !== part.length) throw invalidParam(`Invalid filter '${filter}'. Could not be parsed.`);
      continue;
    }
    const rest = part.slice(k);
    let value: Clause['value'];
    if (op === 'IN' || op === 'NOT IN') {
      if (rest[0]?.v !== '(' || rest[rest.length - 1]?.v !== ')')
        throw invalidParam(`While parsing a list in the query, expected a non-empty list of string values, but got ${rest.map((t) => t.raw).join(' ')}`);
      value = rest
        .slice(1, -1)
        .filter((t) => t.v !== ',')
        .map((t) => {
          if (t.t !== 'str') throw invalidParam('While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list');
          return t.v;
        });
    } else {
      if (rest.length !== 1) throw invalidParam(`Invalid filter '${filter}'. Could not be parsed.`);
      const v = rest[0]!;
      if (v.t === 'num') value = v.v;
      else if (v.t === 'str') value = v.v;
      else throw invalidParam(`Expected a quoted string value for ${type}s (e.g. 'my-value'). Got value ${v.raw}`);
    }
    clauses.push({ type, key, op, value });
  }
  return clauses;
}

function likeRegex(pattern: string, ci: boolean): RegExp {
  let re = '^';
  for (const ch of pattern) {
    if (ch === '%') re += '[\\s\\S]*';
    else if (ch === '_') re += '[\\s\\S]';
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(re + '$', ci ? 'iu' : 'u');
}

/** Compare one stored value with a clause (undefined = the entity has no such key). */
export function matches(stored: string | number | bigint | undefined, c: Clause): boolean {
  if (c.op === 'IS NULL') return stored === undefined;
  if (c.op === 'IS NOT NULL') return stored !== undefined;
  if (stored === undefined) return false;
  const v = c.value;
  switch (c.op) {
    case '=':
      return typeof v === 'number' ? Number(stored) === v : String(stored) === v;
    case '!=':
      return typeof v === 'number' ? Number(stored) !== v : String(stored) !== v;
    case '<':
      return Number(stored) < Number(v);
    case '<=':
      return Number(stored) <= Number(v);
    case '>':
      return Number(stored) > Number(v);
    case '>=':
      return Number(stored) >= Number(v);
    case 'LIKE':
      return likeRegex(String(v), false).test(String(stored));
    case 'ILIKE':
      return likeRegex(String(v), true).test(String(stored));
    case 'NOT LIKE':
      return !likeRegex(String(v), false).test(String(stored));
    case 'NOT ILIKE':
      return !likeRegex(String(v), true).test(String(stored));
    case 'IN':
      return (v as string[]).includes(String(stored));
    case 'NOT IN':
      return !(v as string[]).includes(String(stored));
    default:
      return false;
  }
}

// ---------------------------------------------------------------- order_by

export interface OrderBy {
  type: Clause['type'];
  key: string;
  asc: boolean;
}

export function parseOrderBy(clause: string): OrderBy {
  const bad = () => invalidParam(`Invalid order_by clause '${clause}'. Could not be parsed.`);
  const toks = lex(clause);
  let asc = true;
  const last = toks[toks.length - 1];
  if (last && last.t === 'word' && ['ASC', 'DESC'].includes(last.v.toUpperCase())) {
    asc = last.v.toUpperCase() === 'ASC';
    toks.pop();
  }
  if (toks.length === 0) throw bad();
  const id = parseIdentifier(toks, toks.map((t) => t.raw).join(''));
  return { ...id, asc };
}

export type SortVal = string | number | bigint | undefined;

/** SQL-like ordering: missing values last, then by value. */
export function compareVals(a: SortVal, b: SortVal, asc: boolean): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  if (a === b) return 0;
  const r = a < b ? -1 : 1;
  return asc ? r : -r;
}
