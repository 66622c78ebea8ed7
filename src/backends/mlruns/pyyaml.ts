/**
 * meta.yaml files the way MLflow's FileStore reads and writes them: PyYAML `safe_dump` with
 * `default_flow_style=False, allow_unicode=True, sort_keys=True` and `safe_load`
 * (mlflow/utils/file_utils.py `write_yaml`, `read_yaml`).
 *
 * Writing uses the `yaml` package in YAML 1.1 mode, so every string PyYAML would read as a bool,
 * number, null or date ('yes', '0', 'null', '2023-01-01') comes out quoted, as PyYAML quotes it.
 * Strings PyYAML cannot hold plain or single-quoted (line breaks, tabs, control characters,
 * U+0085/U+2028/U+2029, a BOM) are written double-quoted with PyYAML's escapes: the `yaml`
 * package leaves some of them raw, and PyYAML refuses such a file ("special characters are not
 * allowed") or reads U+2028 as a line break.
 *
 * Reading keeps PyYAML's meaning of plain scalars: the `yaml` package's 1.1 schema takes `y` and
 * `n` for booleans, PyYAML does not, so the text of each plain scalar is resolved here with
 * PyYAML's own resolver patterns (yaml/resolver.py) and everything quoted stays a string.
 */
import {
  Document,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  type DocumentOptions,
  type Node,
  type ScalarTag,
  type SchemaOptions,
  type ToStringOptions,
} from 'yaml';

export type YamlValue = null | boolean | number | bigint | string | YamlValue[] | { [key: string]: YamlValue };

/** A string written as a ready-made quoted scalar. */
class Quoted {
  constructor(readonly text: string) {}
}

const quotedTag: ScalarTag = {
  identify: (value: unknown) => value instanceof Quoted,
  tag: 'tag:yaml.org,2002:str',
  default: true,
  stringify: (item) => (item.value as Quoted).text,
  // Only used for writing; reading goes through the failsafe schema below.
  resolve: (text) => text,
};

const DUMP_OPTIONS: DocumentOptions & SchemaOptions & ToStringOptions = {
  version: '1.1',
  sortMapEntries: true,
  singleQuote: true,
  lineWidth: 80,
  nullStr: 'null',
  customTags: [quotedTag],
};

// What PyYAML's emitter may write plain or single-quoted with allow_unicode (emitter.py
// analyze_scalar): printable ASCII and Unicode outside the surrogates, without U+FEFF and the U+2028/U+2029 breaks.
const PLAIN_OR_SINGLE = /^[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]*$/u;

const PY_ESCAPES: Record<string, string> = {
  '\0': '\\0', '\x07': '\\a', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\v': '\\v', '\f': '\\f',
  '\r': '\\r', '\x1b': '\\e', '"': '\\"', '\\': '\\\\', '\x85': '\\N', '\u2028': '\\L', '\u2029': '\\P',
};

function pythonDoubleQuoted(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    const escape = PY_ESCAPES[ch];
    if (escape !== undefined) out += escape;
    else if (PLAIN_OR_SINGLE.test(ch)) out += ch;
    else if (code <= 0xff) out += `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** True when PyYAML would not read `value` back as the same string if it were written plain. */
function needsQuotes(value: string): boolean {
  return value === '=' || value === '<<' || PY_TIMESTAMP.test(value) || resolvePlainScalar(value) !== value;
}

function prepare(value: YamlValue): unknown {
  if (typeof value === 'string') {
    if (!PLAIN_OR_SINGLE.test(value)) return new Quoted(pythonDoubleQuoted(value));
    // The yaml package quotes these too in 1.1 mode; being explicit keeps PyYAML's reading certain.
    if (needsQuotes(value)) return new Quoted(`'${value.replaceAll("'", "''")}'`);
    return value;
  }
  if (Array.isArray(value)) return value.map(prepare);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, prepare(item)]));
  }
  return value;
}

/** `yaml.safe_dump(data, default_flow_style=False, allow_unicode=True, sort_keys=True)`. */
export function dumpPyYaml(data: { [key: string]: YamlValue }): string {
  return new Document(prepare(data), DUMP_OPTIONS).toString(DUMP_OPTIONS);
}

// PyYAML's implicit resolvers for plain scalars (yaml/resolver.py, YAML 1.1).
const PY_BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const PY_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_NULL = /^(?:~|null|Null|NULL|)$/;
const PY_DECIMAL_INT = /^[-+]?(?:0|[1-9][0-9_]*)$/;
const PY_OTHER_INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const PY_TIMESTAMP =
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;
const PY_FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

function exactInt(big: bigint): number | bigint {
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function sexagesimal(text: string): number {
  const negative = text.startsWith('-');
  const parts = text.replace(/^[-+]/, '').split(':').map(Number);
  const total = parts.reduce((sum, part) => sum * 60 + part, 0);
  return negative ? -total : total;
}

/** The value PyYAML's SafeLoader gives a plain scalar. */
export function resolvePlainScalar(text: string): YamlValue {
  if (PY_NULL.test(text)) return null;
  if (PY_BOOL.test(text)) return PY_TRUE.test(text);
  if (PY_DECIMAL_INT.test(text)) return exactInt(BigInt(text.replaceAll('_', '')));
  if (PY_OTHER_INT.test(text)) {
    const clean = text.replaceAll('_', '');
    if (clean.includes(':')) return sexagesimal(clean);
    const negative = clean.startsWith('-');
    const body = clean.replace(/^[-+]/, '');
    const big = body.startsWith('0b') || body.startsWith('0x') ? BigInt(body) : BigInt(`0o${body.slice(1) || '0'}`);
    return exactInt(negative ? -big : big);
  }
  if (PY_FLOAT.test(text)) {
    const clean = text.replaceAll('_', '').toLowerCase();
    if (clean.endsWith('.nan')) return NaN;
    if (clean.endsWith('.inf')) return clean.startsWith('-') ? -Infinity : Infinity;
    if (clean.includes(':')) return sexagesimal(clean);
    return Number(clean);
  }
  return text;
}

function toValue(node: Node | null | undefined): YamlValue {
  if (node === null || node === undefined) return null;
  if (isScalar(node)) {
    const text = node.value === null || node.value === undefined ? '' : String(node.value);
    return node.type === 'PLAIN' ? resolvePlainScalar(text) : text;
  }
  if (isMap(node)) {
    const out: { [key: string]: YamlValue } = {};
    for (const pair of node.items) {
      out[String(toValue(pair.key as Node))] = toValue(pair.value as Node);
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item) => toValue(item as Node));
  throw new Error('YAML aliases and tags are not used in MLflow meta.yaml files');
}

/** `yaml.safe_load(text)`; throws on a syntax error. An empty document is null, as in PyYAML. */
export function parsePyYaml(text: string): YamlValue {
  // The failsafe schema keeps every scalar a string, so nothing is resolved twice.
  const doc = parseDocument(text, { schema: 'failsafe', version: '1.1' });
  if (doc.errors.length > 0) throw new Error(doc.errors[0]!.message);
  return toValue(doc.contents as Node | null);
}
