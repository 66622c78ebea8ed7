/**
 * Replay machinery for the recorded MLflow golden exchanges (test/golden/README.md, copied from ../shared/mlflow-golden):
 * case loading (big-int safe), placeholder/macro expansion, raw HTTP requests (paths sent byte
 * for byte) and the README's comparison rules.
 */
import { request } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GOLDEN_CASES_DIR } from '../support/golden-paths.js';
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';

/** The repository's copy of the recordings (test/golden/cases); MLFLOW_GOLDEN_DIR overrides. */
export const GOLDEN_DIR = process.env.MLFLOW_GOLDEN_DIR ?? GOLDEN_CASES_DIR;

export interface GoldenRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body_kind: 'json' | 'text' | 'base64' | 'empty';
  body: unknown;
}

export interface GoldenResponse {
  status: number;
  content_type: string | null;
  headers: Record<string, string>;
  body_kind: 'json' | 'text' | 'base64' | 'empty';
  body: unknown;
}

export interface GoldenStep {
  request: GoldenRequest;
  response: GoldenResponse;
  /** Only in artifacts-s3-* cases: an action on the S3 store itself instead of a request (README "S3 steps"). */
  s3?: GoldenS3Step;
  bind?: Record<string, string>;
}

export interface GoldenCase {
  name: string;
  description: string;
  server: 'plain' | 'workspaces' | 'basic-auth' | 's3-direct' | 's3-proxied';
  fresh_server?: boolean;
  steps: GoldenStep[];
}

export interface GoldenS3Step {
  op: 'put_object' | 'list_objects' | 'put_presigned';
  bucket?: string;
  key?: string;
  prefix?: string;
  body_kind?: 'text' | 'base64';
  body?: string;
  status?: number;
  objects?: Array<{ key: string; size: number }>;
  url_from_step?: number;
}

export function loadCases(dir = GOLDEN_DIR): GoldenCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as unknown as GoldenCase);
}

// ---------------------------------------------------------------- placeholders and macros

export type Bound = string | number;

export class Bindings {
  readonly values = new Map<string, Bound>();
  readonly passwords = new Map<string, string>();

  password(user: string, adminPassword: string): string {
    if (user === 'admin') return adminPassword;
    let p = this.passwords.get(user);
    if (!p) this.passwords.set(user, (p = `pw-${user}-Golden1`));
    return p;
  }
}

const PLACEHOLDER = /\{\{([^{}]+)\}\}/g;

function expandRepeat(s: string): string {
  return s.replace(/\{\{repeat:(.):(\d+)\}\}/gsu, (_m, c: string, n: string) => c.repeat(Number(n)));
}

/** Expand a request string: macros, bound ids, credentials. */
export function expandRequestString(s: string, b: Bindings, adminPassword: string): string {
  return expandRepeat(s).replace(PLACEHOLDER, (m, name: string) => {
    const parts = name.split(':');
    if (parts[0] === 'basic') {
      const user = parts[1]!;
      const pw = parts[2] === 'wrong' ? `not-${b.password(user, adminPassword)}` : b.password(user, adminPassword);
      return Buffer.from(`${user}:${pw}`).toString('base64');
    }
    if (parts[0] === 'password') return b.password(parts[1]!, adminPassword);
    if (name === 'bearer_token') return 'golden-opaque-token-0123456789';
    if (parts[0] === 'braces') return `{{${name.slice('braces:'.length)}}}`;
    const v = b.values.get(name);
    if (v === undefined) throw new Error(`placeholder ${m} used before it was bound`);
    return String(v);
  });
}

function expandItem(v: unknown, i: bigint): unknown {
  if (typeof v === 'string') {
    const whole = /^\{\{i(?:\+(\d+))?\}\}$/.exec(v);
    if (whole) return new LosslessNumber(String(i + BigInt(whole[1] ?? '0')));
    return v.replace(/\{\{i\}\}/g, String(i));
  }
  if (Array.isArray(v)) return v.map((x) => expandItem(x, i));
  if (v && typeof v === 'object' && !isLosslessNumber(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expandItem(x, i)]));
  return v;
}

/** Expand a request JSON body ($repeat elements, macros, placeholders; typed whole-value ids). */
export function expandRequestJson(v: unknown, b: Bindings, adminPassword: string): unknown {
  if (typeof v === 'string') {
    const whole = /^\{\{([a-z_]+_\d+)\}\}$/.exec(v);
    if (whole && typeof b.values.get(whole[1]!) === 'number') return new LosslessNumber(String(b.values.get(whole[1]!)));
    return expandRequestString(v, b, adminPassword);
  }
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const rep = x && typeof x === 'object' && !isLosslessNumber(x) ? (x as Record<string, unknown>).$repeat : undefined;
      if (rep && typeof rep === 'object') {
        const r = rep as { count: LosslessNumber; start?: LosslessNumber; item: unknown };
        const start = BigInt(r.start ? r.start.toString() : '0');
        const count = BigInt(r.count.toString());
        for (let i = start; i < start + count; i++) out.push(expandRequestJson(expandItem(r.item, i), b, adminPassword));
      } else out.push(expandRequestJson(x, b, adminPassword));
    }
    return out;
  }
  if (v && typeof v === 'object' && !isLosslessNumber(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expandRequestJson(x, b, adminPassword)]));
  return v;
}

// ---------------------------------------------------------------- raw HTTP

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export function encodeQuery(q: Record<string, string | string[]>, expand: (s: string) => string): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q))
    for (const x of Array.isArray(v) ? v : [v]) parts.push(`${encodeURIComponent(expand(k))}=${encodeURIComponent(expand(x))}`);
  return parts.length ? '?' + parts.join('&') : '';
}

/** Send one request with node:http, the path exactly as given (no URL normalisation). */
export function rawRequest(port: number, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string | number> = { ...headers };
    if (body !== undefined) h['Content-Length'] = body.length;
    else if (['POST', 'PUT', 'PATCH'].includes(method)) h['Content-Length'] = 0;
    const req = request({ host: '127.0.0.1', port, method, path, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function requestBody(r: GoldenRequest, b: Bindings, adminPassword: string): Buffer | undefined {
  switch (r.body_kind) {
    case 'json':
      return Buffer.from(stringify(expandRequestJson(r.body, b, adminPassword)) ?? 'null', 'utf8');
    case 'text':
      return Buffer.from(expandRequestString(r.body as string, b, adminPassword), 'utf8');
    case 'base64':
      return Buffer.from(r.body as string, 'base64');
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------- comparison

export interface CompareOptions {
  bindings: Bindings;
  /** error messages compared by error_code only (documented per case) */
  relaxMessage?: boolean;
  /** tolerance for {{now_ms}} */
  clockSlackMs?: number;
}

const WILDCARDS = new Set(['any', 'artifacts_destination', 'password_hash']);
/** Parts of a presigned URL that change with the clock: matched by their shape (artifacts-s3 cases). */
const S3_SIGNING: Record<string, string> = { s3_date: '\\d{8}', s3_datetime: '\\d{8}T\\d{6}Z', s3_signature: '[0-9a-f]{64}' };
const isNum = (v: unknown): boolean => isLosslessNumber(v) || typeof v === 'number' || typeof v === 'bigint';

function sameNumber(a: unknown, b: unknown): boolean {
  const sa = String(a);
  const sb = String(b);
  if (/^-?\d+$/.test(sa) && /^-?\d+$/.test(sb)) return BigInt(sa) === BigInt(sb);
  return Number(sa) === Number(sb);
}

/** {{now_iso}}: a protobuf Timestamp in JSON (RFC 3339 UTC, 0/3/6/9 fractional digits) near the clock. */
function nearNowIso(v: unknown, slack: number): boolean {
  if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.(\d{3}|\d{6}|\d{9}))?Z$/.test(v)) return false;
  return Math.abs(Date.parse(v) - Date.now()) <= slack;
}

function nearNow(v: unknown, slack: number): boolean {
  if (!isNum(v) || !/^\d+$/.test(String(v))) return false;
  return Math.abs(Number(String(v)) - Date.now()) <= slack;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Match a string that may embed placeholders. Returns an error text or undefined. */
function matchString(expected: string, actual: unknown, o: CompareOptions, path: string): string | undefined {
  const exp = expandRepeat(expected);
  if (typeof actual !== 'string') return `${path}: expected a string, got ${show(actual)}`;
  if (!exp.includes('{{')) return exp === actual ? undefined : `${path}: expected ${show(exp)}, got ${show(actual)}`;
  const whole = /^\{\{([a-z_0-9]+)\}\}$/.exec(exp);
  if (whole && WILDCARDS.has(whole[1]!)) return undefined;
  let re = '^';
  let last = 0;
  for (const m of exp.matchAll(PLACEHOLDER)) {
    re += escapeRe(exp.slice(last, m.index));
    const name = m[1]!;
    if (WILDCARDS.has(name)) re += '[\\s\\S]*?';
    else if (name === 'now_ms') re += '\\d{13}';
    else if (name === 'digest') re += '[0-9a-f]{8}';
    else if (name.startsWith('braces:')) re += escapeRe(`{{${name.slice('braces:'.length)}}}`);
    else if (S3_SIGNING[name]) re += S3_SIGNING[name];
    else {
      const v = o.bindings.values.get(name);
      if (v === undefined) return `${path}: placeholder {{${name}}} is not bound`;
      re += escapeRe(String(v));
    }
    last = m.index! + m[0].length;
  }
  re += escapeRe(exp.slice(last)) + '$';
  return new RegExp(re).test(actual) ? undefined : `${path}: expected ${show(exp)}, got ${show(actual)}`;
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : (stringify(v) ?? String(v));
  return s.length > 300 ? s.slice(0, 300) + `…(${s.length} chars)` : s;
}

/** Compare an expected (recorded) JSON value with the actual one; returns the differences. */
export function compareJson(expected: unknown, actual: unknown, o: CompareOptions, path = '$'): string[] {
  if (typeof expected === 'string') {
    const asInt = /^\{\{int:([a-z_]+_\d+)\}\}$/.exec(expected);
    if (asInt) {
      const bound = o.bindings.values.get(asInt[1]!);
      return isNum(actual) && bound !== undefined && sameNumber(actual, bound) ? [] : [`${path}: expected the number ${String(bound)} ({{int:${asInt[1]}}}), got ${show(actual)}`];
    }
    const whole = /^\{\{([a-z_]+(?:_\d+)?)\}\}$/.exec(expected);
    if (whole) {
      const name = whole[1]!;
      if (WILDCARDS.has(name)) return [];
      if (name === 'now_ms') return nearNow(actual, o.clockSlackMs ?? 600_000) ? [] : [`${path}: expected a current epoch-ms integer, got ${show(actual)}`];
      if (name === 'now_iso') return nearNowIso(actual, o.clockSlackMs ?? 600_000) ? [] : [`${path}: expected a current RFC 3339 time, got ${show(actual)}`];
      const bound = o.bindings.values.get(name);
      if (typeof bound === 'number') return isNum(actual) && sameNumber(actual, bound) ? [] : [`${path}: expected ${bound} ({{${name}}}), got ${show(actual)}`];
    }
    const err = matchString(expected, actual, o, path);
    return err ? [err] : [];
  }
  if (isNum(expected)) return isNum(actual) && sameNumber(expected, actual) ? [] : [`${path}: expected number ${String(expected)}, got ${show(actual)}`];
  if (expected === null || typeof expected === 'boolean') return expected === actual ? [] : [`${path}: expected ${show(expected)}, got ${show(actual)}`];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${show(actual)}`];
    if (actual.length !== expected.length) return [`${path}: expected ${expected.length} elements, got ${actual.length}`];
    return expected.flatMap((x, i) => compareJson(x, actual[i], o, `${path}[${i}]`));
  }
  if (expected && typeof expected === 'object') {
    const exp = expected as Record<string, unknown>;
    const summary = exp.$summary as { count: unknown; first: unknown; last: unknown } | undefined;
    if (summary && Object.keys(exp).length === 1) {
      if (!Array.isArray(actual)) return [`${path}: expected an array ($summary), got ${show(actual)}`];
      if (!sameNumber(summary.count, actual.length)) return [`${path}: expected ${String(summary.count)} elements, got ${actual.length}`];
      return [...compareJson(summary.first, actual[0], o, `${path}[0]`), ...compareJson(summary.last, actual[actual.length - 1], o, `${path}[-1]`)];
    }
    if (!actual || typeof actual !== 'object' || Array.isArray(actual) || isNum(actual)) return [`${path}: expected an object, got ${show(actual)}`];
    const act = actual as Record<string, unknown>;
    const out: string[] = [];
    for (const k of Object.keys(exp)) {
      if (!(k in act)) out.push(`${path}.${k}: missing`);
      else if (k === 'message' && o.relaxMessage && 'error_code' in exp) continue;
      else out.push(...compareJson(exp[k], act[k], o, `${path}.${k}`));
    }
    for (const k of Object.keys(act)) if (!(k in exp)) out.push(`${path}.${k}: unexpected key (value ${show(act[k])})`);
    return out;
  }
  return [`${path}: unsupported expected value ${show(expected)}`];
}

/** Take `a.b.c` out of a parsed JSON response; a path element applied to a JSON string parses it first. */
export function dig(v: unknown, dotted: string): unknown {
  let cur = v;
  for (const k of dotted.split('.')) {
    if (typeof cur === 'string') {
      try {
        cur = parse(cur);
      } catch {
        return undefined;
      }
    }
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
  }
  return cur;
}

export { parse as parseJson };
