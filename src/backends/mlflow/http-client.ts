/**
 * The HTTP side of the MLflow backend: one undici Pool per store (keep-alive), base URL with an
 * optional path prefix (joined, never replaced), authentication, the workspace header, retries
 * like the MLflow Python client, per-request timeouts, and error mapping (errors.ts).
 *
 * Retries: HTTP 408/429/500/502/503/504 unless the MLflow `error_code` says the failure is
 * permanent (e.g. FEATURE_DISABLED is a 500), connection resets and timeouts; exponential backoff
 * `base * factor^(n-1)` (capped) plus random jitter; `Retry-After` (seconds or HTTP date) replaces
 * the backoff when present. A request whose body is a stream is sent once (it cannot be replayed).
 */
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { Credentials } from '../contract.js';
import { UnreachableError } from '../../util/errors.js';
import {
  answerError,
  isDisabledEndpoint,
  isRetryableAnswer,
  isRetryableNetError,
  makeRedactor,
  netError,
  netErrorCode,
  parseErrorBody,
  type FailedAnswer,
  type RequestContext,
} from './errors.js';
import { parseJson } from './json.js';
import { RateGate, type RateNotice } from './rate-gate.js';

export const WORKSPACE_HEADER = 'X-MLFLOW-WORKSPACE';
export const DEFAULT_WORKSPACE = 'default';

export interface RetryPolicy {
  /** Retries after the first attempt (MLflow 3.x client: 7). */
  maxRetries: number;
  /** First backoff delay (ms). */
  backoffBaseMs: number;
  backoffFactor: number;
  /** Longest single backoff delay (ms). */
  backoffMaxMs: number;
  /** Up to this many ms of random delay added to each backoff. */
  jitterMs: number;
  /** Longest delay taken from a Retry-After header (ms). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 7,
  backoffBaseMs: 500,
  backoffFactor: 2,
  backoffMaxMs: 60_000,
  jitterMs: 500,
  maxRetryAfterMs: 120_000,
};

export interface RetryEvent {
  /** e.g. `POST runs/log-batch`. */
  what: string;
  /** 1 for the first retry. */
  attempt: number;
  /** e.g. `HTTP 503` or `ECONNRESET`; never a credential. */
  reason: string;
  delayMs: number;
}

export interface HttpClientOptions {
  origin: string;
  prefix: string;
  displayUri: string;
  credentials: Credentials;
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout for headers and between body chunks (default 120 s, as the MLflow client). */
  timeoutMs?: number;
  /** Sockets kept to the server (default 32). */
  connections?: number;
  /** Called before every retry. Must not throw. */
  onRetry?: (event: RetryEvent) => void;
  /** TLS: `rejectUnauthorized: false` to accept self-signed certificates, `ca` for a private CA. */
  tls?: { rejectUnauthorized?: boolean; ca?: string | Buffer };
  /** Requests per second this client never exceeds, all its workers together (--max-rps). */
  maxRps?: number;
  /** Told when the pool slows down after a 429/503 and when it has recovered. Must not throw. */
  onRateNotice?: (notice: RateNotice) => void;
  /** Gate tuning (tests): see rate-gate.ts. */
  rateGate?: { cooldownMs?: number; recoverAfterMs?: number };
}

export type QueryValue = string | number | boolean | undefined | readonly string[];

export interface CallSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD' | 'PATCH';
  /** Path below the base URL, starting with `/`, already percent-encoded. */
  path: string;
  query?: Record<string, QueryValue>;
  /** A JSON body, already serialised. */
  json?: string;
  /** A raw body; a stream is sent once and never retried. */
  body?: Buffer | Readable;
  /** Content-Length for a streamed body. */
  contentLength?: number;
  contentType?: string;
  /** Workspace name; `default` (or none) sends no header. */
  workspace?: string;
  /** Short name for messages, e.g. `runs/search`. */
  what: string;
  /** Set false to send once whatever happens. */
  retry?: boolean;
  /** Counts the attempts made (to notice that a non-idempotent call was sent more than once). */
  attempts?: { count: number };
  /** Extra request headers (OTLP ingest names its experiment in x-mlflow-experiment-id). */
  headers?: Record<string, string>;
  /** Bytes of the answer's body read from the socket ahead of its consumer (undici's default: 64 KiB). */
  readAhead?: number;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

const ERROR_BODY_LIMIT = 64 * 1024;

export class MlflowHttpClient {
  readonly displayUri: string;
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly authorization?: string;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly listeners: Array<(event: RetryEvent) => void> = [];
  private readonly redact: (text: string) => string;
  private connected = false;
  private retryTotal = 0;
  /** Shared by every request of this pool: the --max-rps cap and the 429/503 slow-down. */
  readonly gate: RateGate;

  constructor(options: HttpClientOptions) {
    this.displayUri = options.displayUri;
    this.prefix = options.prefix;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 120_000;
    if (options.onRetry) this.listeners.push(options.onRetry);
    this.gate = new RateGate({
      ...(options.maxRps !== undefined ? { maxRps: options.maxRps } : {}),
      ...(options.onRateNotice ? { onNotice: options.onRateNotice } : {}),
      ...options.rateGate,
    });
    const { username, password, token } = options.credentials;
    const secrets: string[] = [];
    if (username && password) {
      const basic = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
      this.authorization = `Basic ${basic}`;
      secrets.push(password, basic, `${username}:${password}`);
    } else if (token) {
      this.authorization = `Bearer ${token}`;
      secrets.push(token);
    }
    if (password) secrets.push(password);
    this.redact = makeRedactor(secrets);
    this.pool = new Pool(options.origin, {
      connections: options.connections ?? 32,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 30_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connectTimeout: Math.min(this.timeoutMs, 30_000),
      ...(options.tls ? { connect: { ...options.tls } } : {}),
    });
  }

  /** Retries done so far by this client (for the engine's report). */
  get retries(): number {
    return this.retryTotal;
  }

  onRetry(listener: (event: RetryEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  get hasCredentials(): boolean {
    return this.authorization !== undefined;
  }

  /** Remove secrets from a text that may echo server output. */
  clean(text: string): string {
    return this.redact(text);
  }

  /** Send a request and return the successful (2xx) answer, body unread (a stream). */
  send(spec: CallSpec): Promise<RawAnswer> {
    return this.exchange(spec, async (answer) => answer);
  }

  /**
   * Send a request and read its whole body as text. Reading happens inside the retry loop, so an
   * answer cut off mid-body (connection dropped) is asked again like a reset.
   */
  text(spec: CallSpec): Promise<string> {
    return this.exchange(spec, (answer) => answer.body.text());
  }

  /** Send a request and read its whole body as bytes (small downloads; retried like text). */
  bytes(spec: CallSpec): Promise<Buffer> {
    return this.exchange(spec, async (answer) => Buffer.from(await answer.body.arrayBuffer()));
  }

  /** A JSON request; the answer parsed big-int-safely (an empty body counts as `{}`). */
  async json(spec: CallSpec): Promise<unknown> {
    const text = await this.text(spec);
    if (text.trim() === '') return {};
    try {
      return parseJson(text);
    } catch {
      throw new UnreachableError(
        `${this.displayUri} answered ${spec.what} with something that is not JSON: is this an MLflow tracking server?`,
      );
    }
  }

  /**
   * A JSON request whose answer is not used (a write echoing what it stored): the answer is read
   * and must look like a JSON object (or be empty), as json() would demand, but is not parsed.
   */
  async jsonUnused(spec: CallSpec): Promise<void> {
    const text = await this.text(spec);
    const first = text.trimStart()[0];
    if (first !== undefined && first !== '{') {
      throw new UnreachableError(
        `${this.displayUri} answered ${spec.what} with something that is not JSON: is this an MLflow tracking server?`,
      );
    }
  }

  private async exchange<T>(spec: CallSpec, consume: (answer: RawAnswer) => Promise<T>): Promise<T> {
    const ctx = this.context(spec);
    const path = this.fullPath(spec);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.authorization) headers.authorization = this.authorization;
    if (spec.workspace && spec.workspace !== DEFAULT_WORKSPACE) headers[WORKSPACE_HEADER] = spec.workspace;
    if (spec.headers) Object.assign(headers, spec.headers);
    let body: string | Buffer | Readable | undefined;
    if (spec.json !== undefined) {
      body = spec.json;
      headers['content-type'] = 'application/json';
    } else if (spec.body !== undefined) {
      body = spec.body;
      headers['content-type'] = spec.contentType ?? 'application/octet-stream';
      if (spec.contentLength !== undefined) headers['content-length'] = String(spec.contentLength);
    }
    const replayable = spec.retry !== false && (body === undefined || typeof body === 'string' || Buffer.isBuffer(body));

    for (let attempt = 0; ; attempt++) {
      if (spec.attempts) spec.attempts.count++;
      const mayRetry = replayable && attempt < this.policy.maxRetries;
      let response: Dispatcher.ResponseData;
      await this.gate.take();
      try {
        response = await this.pool.request({
          method: spec.method,
          path,
          headers,
          body: body ?? null,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
          ...(spec.readAhead !== undefined ? { highWaterMark: spec.readAhead } : {}),
        });
      } catch (error) {
        if (mayRetry && isRetryableNetError(error, this.connected)) {
          await this.pause(spec, attempt + 1, netErrorCode(error) ?? 'connection error', undefined);
          continue;
        }
        throw netError(error, ctx, this.timeoutMs);
      }
      this.connected = true;
      const status = response.statusCode;
      if (status >= 200 && status < 300) {
        try {
          return await consume({ status, headers: response.headers, body: response.body });
        } catch (error) {
          if (mayRetry && isRetryableNetError(error, true)) {
            await this.pause(spec, attempt + 1, `${netErrorCode(error) ?? 'connection error'} while reading the answer`, undefined);
            continue;
          }
          throw netError(error, ctx, this.timeoutMs);
        }
      }
      let bodyText: string;
      try {
        bodyText = await readCapped(response.body, ERROR_BODY_LIMIT);
      } catch {
        bodyText = '';
      }
      const contentType = headerValue(response.headers['content-type']);
      const parsed = parseErrorBody(bodyText, contentType);
      const answer: FailedAnswer = {
        status,
        contentType,
        bodyText,
        ...(parsed.errorCode !== undefined ? { errorCode: parsed.errorCode } : {}),
        ...(parsed.message !== undefined ? { serverMessage: parsed.message } : {}),
      };
      if (isOverloadAnswer(answer)) this.gate.slowDown(`HTTP ${status} on ${spec.method} ${spec.what}`);
      if (mayRetry && isRetryableAnswer(answer)) {
        const reason = `HTTP ${status}${answer.errorCode ? ` ${answer.errorCode}` : ''}`;
        await this.pause(spec, attempt + 1, reason, retryAfterMs(response.headers['retry-after']));
        continue;
      }
      throw answerError(answer, ctx);
    }
  }

  /** Convenience: GET an API path with query parameters. */
  get(path: string, query: Record<string, QueryValue>, what: string, workspace?: string): Promise<unknown> {
    return this.json({ method: 'GET', path, query, what, ...(workspace ? { workspace } : {}) });
  }

  /** Convenience: POST a JSON body (already serialised or a plain object). */
  post(path: string, body: string | object, what: string, workspace?: string): Promise<unknown> {
    const json = typeof body === 'string' ? body : JSON.stringify(body);
    return this.json({ method: 'POST', path, json, what, ...(workspace ? { workspace } : {}) });
  }

  /** Close the pool; requests still holding unread bodies are cut after a short grace period. */
  async close(graceMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
      timer.unref();
    });
    try {
      const outcome = await Promise.race([this.pool.close().then(() => 'closed' as const), grace]);
      if (outcome === 'timeout') await this.pool.destroy();
    } catch {
      await this.pool.destroy().catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  }

  private context(spec: CallSpec): RequestContext {
    return {
      method: spec.method,
      what: spec.what,
      displayUri: this.displayUri,
      hadCredentials: this.hasCredentials,
      redact: this.redact,
    };
  }

  private fullPath(spec: CallSpec): string {
    let path = this.prefix + spec.path;
    if (spec.query) {
      let qs = '';
      for (const [name, value] of Object.entries(spec.query)) {
        if (value === undefined) continue;
        const values = Array.isArray(value) ? value : [String(value)];
        for (const item of values) {
          qs += (qs === '' ? '' : '&') + encodeURIComponent(name) + '=' + encodeURIComponent(item);
        }
      }
      if (qs !== '') path += '?' + qs;
    }
    return path;
  }

  private async pause(spec: CallSpec, attempt: number, reason: string, retryAfter: number | undefined): Promise<void> {
    const p = this.policy;
    let delayMs: number;
    if (retryAfter !== undefined) {
      delayMs = Math.min(retryAfter, p.maxRetryAfterMs);
    } else {
      const backoff = Math.min(p.backoffMaxMs, p.backoffBaseMs * p.backoffFactor ** (attempt - 1));
      delayMs = backoff + Math.random() * p.jitterMs;
    }
    delayMs = Math.max(0, Math.round(delayMs));
    this.retryTotal++;
    const event: RetryEvent = { what: `${spec.method} ${spec.what}`, attempt, reason, delayMs };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // listeners must not break requests
      }
    }
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

/** 429, or a 503 that is not "endpoint disabled": the server asks every client to send less. */
function isOverloadAnswer(answer: FailedAnswer): boolean {
  if (answer.status === 429) return true;
  return answer.status === 503 && !isDisabledEndpoint(answer);
}

export function headerValue(value: string | string[] | undefined): string {
  if (Array.isArray(value)) return value[0] ?? '';
  return value ?? '';
}

/** Retry-After as milliseconds: delta seconds or an HTTP date. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = headerValue(value).trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

async function readCapped(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    if (size < limit) {
      chunks.push(buf.subarray(0, limit - size));
      size += buf.length;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}
