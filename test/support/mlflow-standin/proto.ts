/**
 * Conversion of a log-batch / log-metric JSON body into typed entities the way the 3.11 server's
 * protobuf parser does it: fields are read in JSON order and parsing STOPS at the first value it
 * cannot convert (bare NaN/Infinity token, float timestamp, non-numeric value string, ...).
 * The entity being read keeps the fields read so far (others stay 0/""), everything after the
 * failure point is dropped, and the request still succeeds (logbatch-metric-bare-nonfinite,
 * logbatch-metric-field-types).
 */
import { BareNonFinite, type Int64, normInt } from './json.js';
import type { KV, MetricIn } from './runstore.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const FLOAT_RE = /^\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)\s*$/i;

/** protobuf JSON -> int64 (integer strings are exact: "9007199254740993" stays ...993). */
export function toInt64(v: unknown): Int64 | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number') {
    if (!Number.isInteger(v)) return undefined;
    b = BigInt(v);
  } else if (typeof v === 'string') {
    // Python int(): digits only (no exponent, no fraction, no inner spaces)
    if (!/^[+-]?\d+$/.test(v)) return undefined;
    b = BigInt(v);
  } else return undefined;
  if (b < INT64_MIN || b > INT64_MAX) return undefined;
  return normInt(b);
}

/** protobuf JSON -> double ("NaN", "Infinity", numeric strings accepted). */
export function toDouble(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'string') return undefined;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (!FLOAT_RE.test(v)) return undefined;
  const t = v.trim().toLowerCase();
  if (t.endsWith('nan')) return NaN;
  if (t.endsWith('inf') || t.endsWith('infinity')) return t.startsWith('-') ? -Infinity : Infinity;
  return Number(t);
}

export function containsBare(v: unknown): boolean {
  if (v instanceof BareNonFinite) return true;
  if (Array.isArray(v)) return v.some(containsBare);
  if (v && typeof v === 'object') return Object.values(v).some(containsBare);
  return false;
}

export class StopWalker {
  stopped = false;

  /** Read one metric object; returns the (possibly partial) metric. */
  metric(o: Record<string, unknown>): MetricIn {
    const m: MetricIn = { key: '', value: 0, ts: 0, step: 0 };
    for (const k in o) {
      if (this.stopped) break;
      const v = o[k];
      switch (k) {
        case 'key':
        case 'model_id':
        case 'dataset_name':
        case 'dataset_digest': {
          if (v === null) break;
          if (typeof v !== 'string') {
            this.stopped = true;
            break;
          }
          if (k === 'key') m.key = v;
          else if (k === 'model_id') m.modelId = v;
          else if (k === 'dataset_name') m.datasetName = v;
          else m.datasetDigest = v;
          break;
        }
        case 'value': {
          if (v === null) break;
          const d = toDouble(v);
          if (d === undefined) this.stopped = true;
          else m.value = d;
          break;
        }
        case 'timestamp':
        case 'step': {
          if (v === null) break;
          const n = toInt64(v);
          if (n === undefined) this.stopped = true;
          else if (k === 'timestamp') m.ts = n;
          else m.step = n;
          break;
        }
        default:
          if (containsBare(v)) this.stopped = true;
      }
    }
    return m;
  }

  kv(o: Record<string, unknown>): KV {
    const e: KV = { key: '', value: '' };
    for (const [k, v] of Object.entries(o)) {
      if (this.stopped) break;
      if (k === 'key' || k === 'value') {
        if (v === null) continue;
        if (typeof v !== 'string') this.stopped = true;
        else e[k] = v;
      } else if (containsBare(v)) this.stopped = true;
    }
    return e;
  }

  list<T>(v: unknown, read: (o: Record<string, unknown>) => T): T[] {
    const out: T[] = [];
    if (!Array.isArray(v)) return out;
    for (const x of v) {
      if (this.stopped) break;
      if (x instanceof BareNonFinite) {
        this.stopped = true;
        break;
      }
      out.push(read(x && typeof x === 'object' ? (x as Record<string, unknown>) : {}));
    }
    return out;
  }
}
