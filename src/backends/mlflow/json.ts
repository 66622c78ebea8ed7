/**
 * JSON for the MLflow REST API: big-integer-safe parsing and hand-built request bodies.
 *
 * - Parsing: `JSON.parse` when no integer literal has more than 15 digits (the common case, and
 *   the fast one); otherwise lossless-json, turning integers beyond 2^53 into bigint (steps can
 *   exceed 2^53 and MLflow answers them as JSON numbers; a double would round them).
 * - Writing: log-batch bodies are built as strings. NaN and +-Infinity travel as the protobuf JSON
 *   strings "NaN", "Infinity", "-Infinity" (a bare token or JSON.stringify's `null` silently
 *   corrupts the point on a real server); bigint steps are written as their exact digits.
 */
import { parse as losslessParse } from 'lossless-json';
import type { MetricBatch } from '../contract.js';
import type { DatasetInput, Int64, KeyValue, MetricPoint } from '../../model/run.js';

/**
 * An integer literal of 16+ digits where JSON puts a number: at the start, or after ':', ',' or
 * '[' (and blanks, and a minus), and not followed by a digit, '.' or an exponent. Digits inside a
 * string match only after one of those characters (a hex run id, which often holds 16 digits in a
 * row, does not): such a string only costs the slow path.
 */
const LONG_INTEGER = /(?:^|[:,[])\s*-?\d{16,}(?![\d.eE])/;

/** Whether `text` may hold an integer beyond 2^53, which JSON.parse would round (the slow path). */
export function mayHoldLongInteger(text: string): boolean {
  return LONG_INTEGER.test(text);
}

const INTEGER_LITERAL = /^-?\d+$/;

function parseNumberLiteral(text: string): number | bigint {
  if (text.length > 15 && INTEGER_LITERAL.test(text)) {
    const asNumber = Number(text);
    if (!Number.isSafeInteger(asNumber)) return BigInt(text);
    return asNumber;
  }
  return Number(text);
}

/** Parse a JSON document; integers beyond +-2^53 come back as bigint. Throws SyntaxError. */
export function parseJson(text: string): unknown {
  if (!mayHoldLongInteger(text)) return JSON.parse(text);
  return losslessParse(text, null, parseNumberLiteral);
}

// ---------------------------------------------------------------------------------------------
// Reading values of MLflow's protobuf JSON

/** A double as MLflow sends it: a number, or a string ("NaN", "Infinity", "-Infinity", "2.5"). */
export function toDouble(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    const parsed = Number(value);
    return value.trim() === '' ? Number.NaN : parsed;
  }
  if (typeof value === 'bigint') return Number(value);
  return Number.NaN;
}

/** An int64 as MLflow sends it (number or string, fact 48); absent -> `fallback`. */
export function toInt64(value: unknown, fallback: Int64 = 0): Int64 {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (typeof value === 'string' && INTEGER_LITERAL.test(value)) {
    const asNumber = Number(value);
    return Number.isSafeInteger(asNumber) ? asNumber : BigInt(value);
  }
  return fallback;
}

/** Epoch milliseconds, or undefined when absent or not a number. */
export function toMillis(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

export function toStr(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** `[{key, value}]` lists (params, tags) as KeyValue[]; entries without a key are skipped. */
export function toKeyValues(value: unknown): KeyValue[] {
  const out: KeyValue[] = [];
  for (const item of asArray(value)) {
    const record = asRecord(item);
    const key = toStr(record.key);
    if (key === undefined) continue;
    out.push({ key, value: toStr(record.value) ?? '' });
  }
  return out;
}

/** One page of metrics/get-history: points plus the next token. */
export interface HistoryPage {
  points: MetricPoint[];
  nextPageToken?: string;
}

/** Long step literals quoted, so JSON.parse keeps their digits for toInt64 (far cheaper than lossless-json). */
const BIG_STEP_LITERAL = /("step"\s*:\s*)(-?\d{16,})(?=\s*[,}])/g;

/**
 * In a history page only `step` can exceed 2^53 (values are doubles, timestamps are ms). The
 * plain parse rounds such a step to a number that is not a safe integer, which is how it is
 * noticed: then, and only then, the page is parsed again with its long steps kept as text.
 */
export function parseHistoryPage(text: string): HistoryPage {
  const page = pointsOf(JSON.parse(text));
  return page ?? (pointsOf(JSON.parse(text.replace(BIG_STEP_LITERAL, '$1"$2"'))) as HistoryPage);
}

/** The page's points, or undefined when a step lost digits in parsing. */
function pointsOf(parsed: unknown): HistoryPage | undefined {
  const doc = asRecord(parsed);
  const metrics = doc.metrics;
  const points: MetricPoint[] = [];
  if (Array.isArray(metrics)) {
    const n = metrics.length;
    for (let i = 0; i < n; i++) {
      const m = metrics[i] as { value?: unknown; timestamp?: unknown; step?: unknown };
      const v = m.value;
      const ts = m.timestamp;
      const st = m.step;
      if (typeof st === 'number' && !Number.isSafeInteger(st) && Number.isInteger(st)) return undefined;
      points.push({
        // proto3 JSON: an absent value, timestamp or step is 0.
        value: typeof v === 'number' ? v : v === undefined ? 0 : toDouble(v),
        timestamp: typeof ts === 'number' ? ts : (toMillis(ts) ?? 0),
        step: typeof st === 'number' ? st : toInt64(st, 0),
      });
    }
  }
  const token = doc.next_page_token;
  return typeof token === 'string' && token !== '' ? { points, nextPageToken: token } : { points };
}

// ---------------------------------------------------------------------------------------------
// Writing request bodies

/** A double as protobuf JSON: non-finite values as strings, -0 kept. */
export function formatDouble(value: number): string {
  if (value !== value) return '"NaN"';
  if (value === Number.POSITIVE_INFINITY) return '"Infinity"';
  if (value === Number.NEGATIVE_INFINITY) return '"-Infinity"';
  if (value === 0 && 1 / value < 0) return '-0.0';
  return String(value);
}

/** An int64 as exact JSON digits (bigint kept exactly; fractional numbers truncated). */
export function formatInt64(value: Int64): string {
  if (typeof value === 'bigint') return value.toString();
  if (Number.isInteger(value)) return String(value);
  if (!Number.isFinite(value)) throw new TypeError(`not an integer: ${value}`);
  return String(Math.trunc(value));
}

/** Epoch ms timestamp: MLflow needs a non-negative integer (a fraction is silently stored as 0). */
function formatTimestamp(value: number, key: string): string {
  if (Number.isInteger(value)) return String(value);
  if (!Number.isFinite(value)) {
    throw new TypeError(`metric '${key}' has a point without a valid timestamp (${value})`);
  }
  return String(Math.floor(value));
}

/** `"metrics": [...]` content for log-batch, built as one string (the hot path). */
export function encodeMetricBatches(batches: readonly MetricBatch[]): string {
  let out = '';
  let first = true;
  for (const batch of batches) {
    const points = batch.points;
    const n = points.length;
    if (n === 0) continue;
    const head = '{"key":' + JSON.stringify(batch.key) + ',"value":';
    for (let i = 0; i < n; i++) {
      const p = points[i]!;
      const v = p.value;
      const s = p.step;
      const t = p.timestamp;
      out +=
        (first ? '' : ',') +
        head +
        (typeof v === 'number' && v === v && v !== Infinity && v !== -Infinity && v !== 0
          ? String(v)
          : formatDouble(v)) +
        ',"timestamp":' +
        (Number.isInteger(t) ? String(t) : formatTimestamp(t, batch.key)) +
        ',"step":' +
        (typeof s === 'number' && Number.isInteger(s) ? String(s) : formatInt64(s)) +
        '}';
      first = false;
    }
  }
  return out;
}

function encodeKeyValues(items: readonly KeyValue[]): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    out += (i === 0 ? '' : ',') + '{"key":' + JSON.stringify(item.key) + ',"value":' + JSON.stringify(item.value) + '}';
  }
  return out;
}

/** A whole runs/log-batch body. */
export function encodeLogBatch(
  runId: string,
  parts: { metrics?: readonly MetricBatch[]; params?: readonly KeyValue[]; tags?: readonly KeyValue[] },
): string {
  let out = '{"run_id":' + JSON.stringify(runId);
  if (parts.metrics && parts.metrics.length > 0) out += ',"metrics":[' + encodeMetricBatches(parts.metrics) + ']';
  if (parts.params && parts.params.length > 0) out += ',"params":[' + encodeKeyValues(parts.params) + ']';
  if (parts.tags && parts.tags.length > 0) out += ',"tags":[' + encodeKeyValues(parts.tags) + ']';
  return out + '}';
}

/** A runs/log-inputs body. */
export function encodeLogInputs(runId: string, inputs: readonly DatasetInput[]): string {
  const datasets = inputs.map((input) => {
    const d = input.dataset;
    const dataset: Record<string, string> = {
      name: d.name,
      digest: d.digest,
      source_type: d.sourceType,
      source: d.source,
    };
    if (d.schema !== undefined) dataset.schema = d.schema;
    if (d.profile !== undefined) dataset.profile = d.profile;
    return { dataset, tags: input.tags.map((t) => ({ key: t.key, value: t.value })) };
  });
  return JSON.stringify({ run_id: runId, datasets });
}
