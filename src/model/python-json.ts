/**
 * JSON as MLflow's Python writes it. MLflow stores span documents and assessment values with
 * `json.dumps` defaults: ", " and ": " separators, keys in their insertion order, every non-ASCII
 * character escaped as \uXXXX. Documents are parsed losslessly (numbers keep their digits), so
 * parse -> dump gives back the bytes MLflow wrote, and a copy can be compared byte for byte.
 */
import { isLosslessNumber, LosslessNumber, parse } from 'lossless-json';

export type JsonDoc = null | boolean | string | number | LosslessNumber | JsonDoc[] | { [key: string]: JsonDoc };

/** Parses JSON keeping every number's digits (LosslessNumber). Throws SyntaxError. */
export function parseJsonDoc(text: string): JsonDoc {
  return parse(text) as JsonDoc;
}

/** Python's json.dumps(value) with default arguments. */
export function dumpPythonJson(value: JsonDoc): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return pythonString(value);
  if (typeof value === 'number') return pythonNumber(value);
  if (isLosslessNumber(value)) return (value as LosslessNumber).value;
  if (Array.isArray(value)) return `[${value.map(dumpPythonJson).join(', ')}]`;
  const entries = Object.entries(value as Record<string, JsonDoc>);
  return `{${entries.map(([k, v]) => `${pythonString(k)}: ${dumpPythonJson(v)}`).join(', ')}}`;
}

function pythonString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Numbers that did not come from JSON text (YAML files): Python's repr where it differs from JS. */
function pythonNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  const text = String(value);
  // JS writes 1e+21 and 1e-7 as Python does, but 1e21 needs the sign and exponents pad to 2 digits.
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** A value of a parsed document as a string, when it is one. */
export function docString(value: JsonDoc | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A number of a parsed document as its decimal digits (nanosecond times). */
export function docDigits(value: JsonDoc | undefined): string | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value).toString() : String(value);
  if (isLosslessNumber(value)) return (value as LosslessNumber).value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  return undefined;
}

export function docObject(value: JsonDoc | undefined): { [key: string]: JsonDoc } | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !isLosslessNumber(value) ? (value as { [key: string]: JsonDoc }) : undefined;
}

/**
 * A value with every number that a JS number holds exactly (its text reads back the same) as a
 * plain number, and the others (big integers, "1.0") kept as digits: values read from YAML and
 * from JSON then compare equal.
 */
export function plainNumbers(value: JsonDoc): JsonDoc {
  if (isLosslessNumber(value)) {
    const digits = (value as LosslessNumber).value;
    return String(Number(digits)) === digits ? Number(digits) : value;
  }
  if (Array.isArray(value)) return value.map(plainNumbers);
  const object = docObject(value);
  if (object) return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, plainNumbers(v)]));
  return value;
}

/** A deep copy, so a writer may change ids in it without touching the source's document. */
export function cloneDoc(value: JsonDoc): JsonDoc {
  if (Array.isArray(value)) return value.map(cloneDoc);
  const object = docObject(value);
  if (object) return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, cloneDoc(v)]));
  return value;
}

export { LosslessNumber };
