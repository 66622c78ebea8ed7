/**
 * A small, strict reader for the exact YAML shape MLflow's FileStore writes for its small files
 * (trace_info.yaml, assessments/<id>.yaml, meta.yaml): `yaml.safe_dump(..., default_flow_style=False)`
 * gives block mappings indented by two spaces, one `key: value` per line, each value a plain
 * scalar or a single-quoted one on that line, or a nested mapping on the lines below.
 *
 * Why: the general `yaml` package builds a concrete syntax tree and a document for every file;
 * a trace copy reads three of these files per trace and that parse was a good part of its CPU.
 * Anything outside that shape (flow style, double quotes, a scalar folded over several lines,
 * sequences, comments, blank lines, duplicate keys, CR, tabs, document markers) is handed to the
 * full reader (pyyaml.ts `parsePyYaml`), so the answer is always PyYAML's.
 */
import { parsePyYaml, resolvePlainScalar, type YamlValue } from './pyyaml.js';

type Mapping = { [key: string]: YamlValue };

/** Not the shape this reader takes: the caller uses the full reader. */
class NotStrict extends Error {}

const KEY = /^[A-Za-z_][A-Za-z0-9_.]*$/;
// A plain scalar PyYAML reads back whole from one line: no leading indicator, no ": " or " #",
// no trailing space or colon; printable ASCII only (anything else goes to the full reader).
const PLAIN = /^[A-Za-z0-9_./+()$^~;][\x20-\x7e]*$/;

function plainValue(text: string): YamlValue {
  if (!PLAIN.test(text) || text.includes(': ') || text.includes(' #') || text.endsWith(' ') || text.endsWith(':')) throw new NotStrict();
  return resolvePlainScalar(text);
}

function singleQuoted(text: string): string {
  // 'it''s': the only escape of a single-quoted scalar; a lone quote inside is not this shape.
  if (text.length < 2 || !text.endsWith("'")) throw new NotStrict();
  const body = text.slice(1, -1);
  if (body.replaceAll("''", '').includes("'")) throw new NotStrict();
  return body.replaceAll("''", "'");
}

function scalar(text: string): YamlValue {
  return text.startsWith("'") ? singleQuoted(text) : plainValue(text);
}

/** The mapping whose keys are indented by `indent` spaces, from line `start`; answers it and the next line. */
function mapping(lines: string[], start: number, indent: number): [Mapping, number] {
  const out: Mapping = {};
  let i = start;
  while (i < lines.length) {
    const line = lines[i]!;
    let spaces = 0;
    while (line.charCodeAt(spaces) === 32) spaces++;
    if (spaces < indent) break;
    if (spaces > indent) throw new NotStrict();
    const colon = line.indexOf(':', spaces);
    if (colon < 0) throw new NotStrict();
    const key = line.slice(spaces, colon);
    // A key PyYAML would resolve to something else (yes, 1_0, null) or that names a prototype: not this shape.
    if (!KEY.test(key) || key === '__proto__' || resolvePlainScalar(key) !== key || Object.prototype.hasOwnProperty.call(out, key)) throw new NotStrict();
    if (colon === line.length - 1) {
      // `key:` opens a nested mapping on the next, deeper lines (an empty value is not this shape).
      const next = lines[i + 1];
      if (next === undefined || !next.startsWith(' '.repeat(indent + 2)) || next.charCodeAt(indent + 2) === 32) throw new NotStrict();
      const [nested, after] = mapping(lines, i + 1, indent + 2);
      out[key] = nested;
      i = after;
      continue;
    }
    if (line.charCodeAt(colon + 1) !== 32) throw new NotStrict();
    out[key] = scalar(line.slice(colon + 2));
    i++;
  }
  return [out, i];
}

function strictMapping(text: string): Mapping {
  if (!text.endsWith('\n') || text.includes('\r') || text.includes('\t')) throw new NotStrict();
  const lines = text.slice(0, -1).split('\n');
  const [out, end] = mapping(lines, 0, 0);
  if (end !== lines.length || Object.keys(out).length === 0) throw new NotStrict();
  return out;
}

/** `yaml.safe_load(text)` for MLflow's small files: the strict reader, else the full one. */
export function parseMlflowYaml(text: string): YamlValue {
  try {
    return strictMapping(text);
  } catch (error) {
    if (!(error instanceof NotStrict)) throw error;
    return parsePyYaml(text);
  }
}

/** Whether the strict reader takes `text` itself (for tests: the fast path is the one taken). */
export function readsStrictly(text: string): boolean {
  try {
    strictMapping(text);
    return true;
  } catch {
    return false;
  }
}
