/**
 * JSON reading and writing the way the MLflow server does it.
 *
 * Reading (parseBody):
 *  - integers that do not fit a double exactly are kept as `bigint` (int64 fields round-trip);
 *  - bare `NaN` / `Infinity` / `-Infinity` tokens are accepted like Python's json.loads and come
 *    back as `BareNonFinite` markers (the protobuf layer then stops at them, see runs handlers);
 *  - anything else that is not valid JSON yields `undefined` (the server then treats the body as {}).
 *
 * Writing (stringify): bigint as exact digits, non-finite doubles as "NaN"/"Infinity"/"-Infinity".
 */

export type Int64 = number | bigint;

/** A bare NaN / Infinity / -Infinity token found in a request body. */
export class BareNonFinite {
  constructor(readonly value: number) {}
}

class SyntaxFail extends Error {}

const MAX_DEPTH = 512;

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(): never {
    throw new SyntaxFail('invalid json');
  }

  ws(): void {
    const s = this.s;
    let p = this.pos;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail();
    this.ws();
    const c = this.s.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: // {
        return this.object(depth);
      case 0x5b: // [
        return this.array(depth);
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      case 0x4e: // N
        return this.literal('NaN', new BareNonFinite(NaN));
      case 0x49: // I
        return this.literal('Infinity', new BareNonFinite(Infinity));
      default:
        if (c === 0x2d && this.s.startsWith('-Infinity', this.pos)) {
          this.pos += 9;
          return new BareNonFinite(-Infinity);
        }
        return this.number();
    }
  }

  literal<T>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.pos)) this.fail();
    this.pos += word.length;
    return v;
  }

  object(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++;
    this.ws();
    if (this.s.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.pos) !== 0x22) this.fail();
      const key = this.string();
      this.ws();
      if (this.s.charCodeAt(this.pos) !== 0x3a) this.fail();
      this.pos++;
      const v = this.value(depth + 1);
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v; // like a Python dict: last value wins, first position kept
      this.ws();
      const c = this.s.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x2c) continue;
      if (c === 0x7d) return out;
      this.fail();
    }
  }

  array(depth: number): unknown[] {
    const out: unknown[] = [];
    this.pos++;
    this.ws();
    if (this.s.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x2c) continue;
      if (c === 0x5d) return out;
      this.fail();
    }
  }

  string(): string {
    const s = this.s;
    const start = this.pos + 1;
    for (let p = start; p < s.length; p++) {
      const c = s.charCodeAt(p);
      if (c === 0x22) {
        this.pos = p + 1;
        return s.slice(start, p);
      }
      if (c === 0x5c) return this.slowString(start);
      if (c < 0x20) this.fail();
    }
    return this.fail();
  }

  slowString(start: number): string {
    const s = this.s;
    let out = '';
    let p = start;
    let chunk = p;
    for (;;) {
      if (p >= s.length) this.fail();
      const c = s.charCodeAt(p);
      if (c === 0x22) {
        out += s.slice(chunk, p);
        this.pos = p + 1;
        return out;
      }
      if (c < 0x20) this.fail();
      if (c !== 0x5c) {
        p++;
        continue;
      }
      out += s.slice(chunk, p);
      const e = s[p + 1];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = s.slice(p + 2, p + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail();
          out += String.fromCharCode(parseInt(hex, 16));
          p += 4;
          break;
        }
        default:
          this.fail();
      }
      p += 2;
      chunk = p;
    }
  }

  number(): number | bigint {
    const s = this.s;
    const start = this.pos;
    let p = start;
    if (s.charCodeAt(p) === 0x2d) p++;
    const intStart = p;
    let c = s.charCodeAt(p);
    if (c === 0x30) p++;
    else if (c >= 0x31 && c <= 0x39) {
      while ((c = s.charCodeAt(p)) >= 0x30 && c <= 0x39) p++;
    } else this.fail();
    let isInt = true;
    if (s.charCodeAt(p) === 0x2e) {
      isInt = false;
      p++;
      const f = p;
      while ((c = s.charCodeAt(p)) >= 0x30 && c <= 0x39) p++;
      if (p === f) this.fail();
    }
    c = s.charCodeAt(p);
    if (c === 0x65 || c === 0x45) {
      isInt = false;
      p++;
      c = s.charCodeAt(p);
      if (c === 0x2b || c === 0x2d) p++;
      const f = p;
      while ((c = s.charCodeAt(p)) >= 0x30 && c <= 0x39) p++;
      if (p === f) this.fail();
    }
    this.pos = p;
    const tok = s.slice(start, p);
    if (isInt && p - intStart > 15) return normInt(BigInt(tok));
    return Number(tok);
  }
}

/** Keep an integer as number when it is exactly representable, else as bigint. */
export function normInt(v: bigint): Int64 {
  if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return v;
}

/** Parse a request body. `undefined` = not valid JSON (the caller treats it as an empty object). */
export function parseBody(text: string): unknown {
  const p = new Parser(text);
  try {
    const v = p.value(0);
    p.ws();
    if (p.pos !== text.length) return undefined;
    return v;
  } catch (e) {
    if (e instanceof SyntaxFail || e instanceof RangeError) return undefined;
    throw e;
  }
}

/** Strict JSON parse for tests/tools (same number rules, bare non-finite rejected). */
export function parseStrict(text: string): unknown {
  const v = parseBody(text);
  if (v === undefined) throw new SyntaxError('invalid JSON');
  if (containsBare(v)) throw new SyntaxError('bare non-finite number in JSON');
  return v;
}

function containsBare(v: unknown): boolean {
  if (v instanceof BareNonFinite) return true;
  if (Array.isArray(v)) return v.some(containsBare);
  if (v && typeof v === 'object') return Object.values(v).some(containsBare);
  return false;
}

/** Serialise a value as the server does (see module comment). */
export function stringify(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return numberJson(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'object': {
      if (v === null) return 'null';
      if (v instanceof BareNonFinite) return numberJson(v.value);
      if (Array.isArray(v)) return '[' + v.map(stringify).join(',') + ']';
      const parts: string[] = [];
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined) continue;
        parts.push(JSON.stringify(k) + ':' + stringify(x));
      }
      return '{' + parts.join(',') + '}';
    }
    default:
      return 'null';
  }
}

export function numberJson(n: number): string {
  if (Number.isFinite(n)) return String(n);
  if (Number.isNaN(n)) return '"NaN"';
  return n > 0 ? '"Infinity"' : '"-Infinity"';
}

export function int64Json(v: Int64): string {
  return typeof v === 'bigint' ? v.toString() : String(v);
}
