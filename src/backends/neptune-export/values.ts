/**
 * Typed Neptune atoms and their documented string forms (docs/neptune-mapping.md, "Value forms").
 * The forms are chosen so that `parseAtomText(type, atomText(atom))` gives the atom back exactly:
 * that is what makes archive -> canonical -> archive lossless.
 */
import type { AtomType } from './schema.js';

export type AtomValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: bigint }
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  /** Epoch milliseconds. */
  | { type: 'datetime'; value: number }
  | { type: 'string_set'; value: string[] };

export type Atom = AtomValue & { path: string };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * - float: shortest round-trip decimal (`0.1`, `1e-7`, `NaN`, `Infinity`, `-0`);
 * - int: decimal int64;
 * - bool: `True` / `False` (Python's str(bool), as MLflow autolog and neptune-exporter write);
 * - datetime: ISO-8601 UTC with milliseconds (`2024-01-02T03:04:05.678Z`);
 * - string_set: JSON array, sorted (Neptune sets have no order);
 * - string: as is.
 */
export function atomText(atom: AtomValue): string {
  switch (atom.type) {
    case 'float':
      return Object.is(atom.value, -0) ? '-0' : String(atom.value);
    case 'int':
      return atom.value.toString();
    case 'bool':
      return atom.value ? 'True' : 'False';
    case 'datetime':
      return new Date(atom.value).toISOString();
    case 'string_set':
      return JSON.stringify(sortedSet(atom.value));
    case 'string':
      return atom.value;
  }
}

export function sortedSet(values: readonly string[]): string[] {
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Parses a string form back into a typed atom; undefined when the text is not of that type. */
export function parseAtomText(type: AtomType, text: string): AtomValue | undefined {
  switch (type) {
    case 'string':
      return { type, value: text };
    case 'float': {
      const trimmed = text.trim();
      if (trimmed === '') return undefined;
      const value = Number(trimmed);
      if (Number.isNaN(value) && trimmed !== 'NaN' && trimmed.toLowerCase() !== 'nan') return undefined;
      return { type, value };
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(text.trim())) return undefined;
      const value = BigInt(text.trim());
      if (value < INT64_MIN || value > INT64_MAX) return undefined;
      return { type, value };
    }
    case 'bool': {
      const lower = text.trim().toLowerCase();
      if (lower === 'true') return { type, value: true };
      if (lower === 'false') return { type, value: false };
      return undefined;
    }
    case 'datetime': {
      const value = Date.parse(text);
      return Number.isNaN(value) ? undefined : { type, value };
    }
    case 'string_set': {
      try {
        const parsed: unknown = JSON.parse(text);
        if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) {
          return { type, value: parsed as string[] };
        }
      } catch {
        // not JSON: not a set
      }
      return undefined;
    }
  }
}
