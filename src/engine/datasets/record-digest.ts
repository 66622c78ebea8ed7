/**
 * A record's identity and content as text, so that two stores' records compare without holding
 * either: MLflow identifies a record inside its dataset by the sha256 of `json.dumps(inputs,
 * sort_keys=True)` (the `input_hash` column; the REST upsert de-duplicates by it), and verify
 * compares each record field by field through a short digest of its canonical JSON.
 */
import { createHash } from 'node:crypto';
import { isLosslessNumber } from 'lossless-json';
import { docObject, dumpPythonJson, type JsonDoc } from '../../model/python-json.js';
import type { DatasetRecord } from './contract.js';

function sortedDeep(value: JsonDoc): JsonDoc {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (isLosslessNumber(value)) return value;
  const object = docObject(value);
  if (!object) return value;
  const out: { [key: string]: JsonDoc } = {};
  for (const key of Object.keys(object).sort()) out[key] = sortedDeep(object[key]!);
  return out;
}

/** `json.dumps(value, sort_keys=True)` as Python writes it. */
export function sortedPythonJson(value: JsonDoc): string {
  return dumpPythonJson(sortedDeep(value));
}

/** MLflow's input_hash: sha256 hex of json.dumps(inputs, sort_keys=True). */
export function inputHash(inputs: JsonDoc): string {
  return createHash('sha256').update(sortedPythonJson(inputs)).digest('hex');
}

function isEmptyObject(value: JsonDoc | undefined): boolean {
  const object = value === undefined ? undefined : docObject(value);
  return object !== undefined && Object.keys(object).length === 0;
}

/**
 * The fields verify compares, each as canonical text. Absent, null and {} mean the same where the
 * stores disagree on how they say "none": expectations (REST leaves them out, the database keeps
 * null), outputs (REST answers {}), tags ({} when none).
 */
export function recordFields(record: DatasetRecord): Record<'inputs' | 'expectations' | 'outputs' | 'tags' | 'source', string> {
  const orNull = (value: JsonDoc | undefined): string => (value === undefined || value === null || isEmptyObject(value) ? 'null' : sortedPythonJson(value));
  return {
    inputs: sortedPythonJson(record.inputs),
    expectations: orNull(record.expectations),
    outputs: orNull(record.outputs),
    tags: orNull(record.tags),
    source: orNull(record.source),
  };
}

/** A short digest of each compared field: what verify and the sync keep per record instead of the record. */
export function recordDigest(record: DatasetRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, text] of Object.entries(recordFields(record))) out[field] = createHash('sha256').update(text).digest('base64').slice(0, 16);
  return out;
}

/** Canonical text of a JSON text field (schema, profile), so that key order does not count. */
export function canonicalJsonText(text: string | undefined, parse: (t: string) => JsonDoc): string | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return sortedPythonJson(parse(text));
  } catch {
    return text;
  }
}
