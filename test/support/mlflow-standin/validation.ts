/**
 * Request field access and the validators of mlflow/utils/validation.py, with the server's
 * error texts (see the golden cases logbatch-key-*, experiments-tags-*, meta-request-encoding).
 */
import { invalidParam, MlflowError } from './errors.js';
import { BareNonFinite, type Int64, normInt } from './json.js';
import { cpLength, cpSlice, pyJsonDumps, pyTypeName } from './pyfmt.js';

export const MAX_ENTITY_KEY_LENGTH = 250;
export const MAX_PARAM_VAL_LENGTH = 6000;
export const MAX_TAG_VAL_LENGTH = 8000;
export const MAX_EXPERIMENT_TAG_VAL_LENGTH = 5000;
export const MAX_EXPERIMENT_NAME_LENGTH = 500;
export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_PARAMS_TAGS_PER_BATCH = 100;
export const MAX_ENTITIES_PER_BATCH = 1000;
export const SEARCH_MAX_RESULTS_THRESHOLD = 50000;
export const MAX_DATASET_NAME_SIZE = 500;
export const MAX_DATASET_DIGEST_SIZE = 36;
export const MAX_DATASET_SOURCE_SIZE = 65535;
export const MAX_DATASET_SCHEMA_SIZE = 1048575;
export const MAX_DATASET_PROFILE_SIZE = 16777215;
export const MAX_INPUT_TAG_KEY_SIZE = 255;
export const MAX_INPUT_TAG_VALUE_SIZE = 500;
export const MAX_DATASETS_PER_BATCH = 1000;

export const missingValue = (path: string) =>
  invalidParam(
    `Missing value for required parameter '${path}'. See the API docs for more information about request parameters.`,
  );

export const badType = (path: string, v: unknown) =>
  invalidParam(
    `Invalid value ${pyJsonDumps(v)} for parameter '${path}' supplied:  Hint: Value was of type '${pyTypeName(v)}'. See the API docs for more information about request parameters.`,
  );

export const invalidValue = (path: string, v: unknown, message: string) =>
  invalidParam(`Invalid value ${pyJsonDumps(v)} for parameter '${path}' supplied: ${message}`);

export const joinPath = (path: string, field: string) => (path ? `${path}.${field}` : field);

// ---------------------------------------------------------------- names, keys, lengths

const BAD_CHARACTERS_MESSAGE =
  'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';
const NAME_RE = /^[/\p{L}\p{N}_.\- :]*$/u;

/** posixpath.normpath */
export function normpath(p: string): string {
  if (p === '') return '.';
  let initial = '';
  if (p.startsWith('/')) initial = p.startsWith('//') && !p.startsWith('///') ? '//' : '/';
  const out: string[] = [];
  for (const comp of p.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (!initial && out.length === 0) || out[out.length - 1] === '..') out.push(comp);
    else if (out.length) out.pop();
  }
  return initial + out.join('/') || '.';
}

function pathNotUnique(name: string): boolean {
  const norm = normpath(name);
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
}

const goodNames = new Set<string>();

/** _validate_param_name / _validate_metric_name / _validate_tag_name */
export function validateEntityName(name: string, path: string): void {
  if (goodNames.has(name)) return;
  if (!NAME_RE.test(name)) throw invalidValue(path, name, BAD_CHARACTERS_MESSAGE);
  if (pathNotUnique(name))
    throw invalidValue(
      path,
      name,
      `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${normpath(name)}'`,
    );
  if (goodNames.size > 100_000) goodNames.clear();
  goodNames.add(name);
}

/** _validate_length_limit: over-long values are rejected, or truncated when `truncate`. */
export function lengthLimit(entity: string, limit: number, value: string, truncate = false): string {
  if (value.length <= limit) return value;
  if (cpLength(value) <= limit) return value;
  if (truncate) return cpSlice(value, limit);
  throw invalidParam(`'${entity}' exceeds the maximum length of ${limit} characters`);
}

// ---------------------------------------------------------------- typed request fields

export type Query = Map<string, string[]>;

/**
 * Typed access to the fields of one request message: the JSON body of a POST/PATCH or the
 * query string of a GET (query values are coerced from strings like the server does).
 */
export class Fields {
  constructor(
    readonly src: Record<string, unknown> | Query,
    readonly fromQuery: boolean,
  ) {}

  static body(v: unknown): Fields {
    return new Fields(v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}, false);
  }

  static query(q: Query): Fields {
    return new Fields(q, true);
  }

  raw(name: string): unknown {
    if (this.fromQuery) return (this.src as Query).get(name)?.[0];
    const v = (this.src as Record<string, unknown>)[name];
    return v === null ? undefined : v;
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  str(name: string, required = false): string | undefined {
    const v = this.raw(name);
    if (v === undefined || v === '') {
      if (required) throw missingValue(name);
      return v === '' ? '' : undefined;
    }
    if (typeof v !== 'string') {
      // like mlflow's _stringify_all_experiment_ids: numeric experiment ids become strings
      if (name === 'experiment_id' && (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)))) return String(v);
      throw badType(name, v);
    }
    return v;
  }

  /** int32/int64 field (numbers and numeric strings accepted, like protobuf JSON). */
  int(name: string, required = false): Int64 | undefined {
    const v = this.raw(name);
    if (v === undefined) {
      if (required) throw missingValue(name);
      return undefined;
    }
    const n = toInt(v);
    if (n === undefined) throw badType(name, v);
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'True') return true;
    if (v === 'false' || v === 'False') return false;
    throw badType(name, v);
  }

  strList(name: string): string[] {
    if (this.fromQuery) return (this.src as Query).get(name) ?? [];
    const v = this.raw(name);
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw badType(name, v);
    return v.map((x, i) => {
      if (name === 'experiment_ids' && (typeof x === 'bigint' || (typeof x === 'number' && Number.isInteger(x)))) return String(x);
      if (typeof x !== 'string') throw badType(`${name}[${i}]`, x);
      return x;
    });
  }

  objList(name: string): Record<string, unknown>[] {
    if (this.fromQuery) return [];
    const v = this.raw(name);
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw badType(name, v);
    return v.map((x) => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {}));
  }
}

/** Integer coercion of protobuf JSON (undefined = not an integer). */
export function toInt(v: unknown): Int64 | undefined {
  if (typeof v === 'bigint') return normInt(v);
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return normInt(BigInt(v.trim()));
  return undefined;
}

/** {key, value} entries of a request (tags, params); keys required, values default to "". */
export function keyValues(list: Record<string, unknown>[], path: string): Array<{ key: string; value: string }> {
  return list.map((e, i) => {
    const key = e.key;
    if (key === undefined || key === null || key === '') throw missingValue(`${path}[${i}].key`);
    if (typeof key !== 'string') throw badType(`${path}[${i}].key`, key);
    const value = e.value ?? '';
    if (typeof value !== 'string') throw badType(`${path}[${i}].value`, value);
    return { key, value };
  });
}

export function isBare(v: unknown): v is BareNonFinite {
  return v instanceof BareNonFinite;
}

export { MlflowError };
