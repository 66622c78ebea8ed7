/**
 * Python-typed JSON values. MLflow keeps span attributes and assessment values as json.dumps()
 * text, where an int (7) and a float (7.0) print differently; JavaScript numbers cannot tell
 * them apart. Here ints are bigint and floats are PyFloat, json.loads / json.dumps keep the
 * difference, and `toWire` turns a value into what the JSON writer sends (numbers).
 */
import { normInt } from './json.js';
import { pyFloatRepr, pyJsonDumps } from './pyfmt.js';

export class PyFloat {
  constructor(readonly value: number) {}
}

export type PyValue = null | boolean | string | bigint | PyFloat | PyValue[] | { [k: string]: PyValue };

/** json.dumps() with Python's defaults (", " / ": " separators, ensure_ascii, float repr). */
export function pyDumps(v: PyValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string' || typeof v === 'boolean') return pyJsonDumps(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof PyFloat) {
    if (Number.isNaN(v.value)) return 'NaN';
    if (!Number.isFinite(v.value)) return v.value > 0 ? 'Infinity' : '-Infinity';
    return pyFloatRepr(v.value);
  }
  if (Array.isArray(v)) return '[' + v.map(pyDumps).join(', ') + ']';
  return '{' + Object.entries(v).map(([k, x]) => `${pyJsonDumps(k)}: ${pyDumps(x)}`).join(', ') + '}';
}

/** json.loads(): undefined when the text is not JSON. */
export function pyLoads(text: string): PyValue | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw new SyntaxError('not JSON');
  };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, PyValue> = {};
      ws();
      if (text[i] === '}') return i++, out;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const k = str();
        ws();
        if (text[i++] !== ':') fail();
        out[k] = value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return i++, out;
        else fail();
      }
    }
    if (c === '[') {
      i++;
      const out: PyValue[] = [];
      ws();
      if (text[i] === ']') return i++, out;
      for (;;) {
        out.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return i++, out;
        else fail();
      }
    }
    if (c === '"') return str();
    for (const [word, v] of [['true', true], ['false', false], ['null', null], ['NaN', new PyFloat(NaN)], ['Infinity', new PyFloat(Infinity)], ['-Infinity', new PyFloat(-Infinity)]] as const)
      if (text.startsWith(word, i)) return (i += word.length), v;
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += m![0].length;
    return m![2] || m![3] ? new PyFloat(Number(m![0])) : BigInt(m![0]);
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail();
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  try {
    const v = value();
    ws();
    return i === text.length ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A value parsed by the request JSON reader (numbers, bigints) as Python would see it; `floats` makes every number a float (protobuf Value). */
export function fromRequestJson(v: unknown, floats = false): PyValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return floats ? new PyFloat(Number(v)) : v;
  if (typeof v === 'number') return floats || !Number.isInteger(v) ? new PyFloat(v) : BigInt(v);
  if (Array.isArray(v)) return v.map((x) => fromRequestJson(x, floats));
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromRequestJson(x, floats)]));
  return null;
}

/** What the JSON writer sends for a value (ints exact, floats as numbers). */
export function toWire(v: PyValue): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return normInt(v);
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v)) return v.map(toWire);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toWire(x)]));
}
