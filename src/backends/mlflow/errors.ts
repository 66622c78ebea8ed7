/**
 * Turning MLflow server answers and transport failures into the project's errors.
 *
 * Rules (reference/mlflow-rest.md D, golden README):
 * - decide on `error_code`, not on the HTTP status (FEATURE_DISABLED is a 500; RESOURCE_ALREADY_EXISTS a 400);
 * - 401/403 are plain-text (served as text/html) from the auth app, not MLflow JSON errors;
 * - reverse proxies answer HTML; routes disabled by server flags answer 503 "Endpoint: ... disabled ...";
 * - no message ever holds a credential: server texts pass through `redact` before use.
 */
import { AuthError, NotFoundError, UnreachableError, UsageError } from '../../util/errors.js';

/** HTTP statuses the MLflow Python client retries (request_utils._TRANSIENT_FAILURE_RESPONSE_CODES). */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Error codes that name a passing condition. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'TEMPORARILY_UNAVAILABLE',
  'REQUEST_LIMIT_EXCEEDED',
  'RESOURCE_EXHAUSTED',
  'DEADLINE_EXCEEDED',
  'INTERNAL_ERROR',
]);

/** Error codes that will not change by asking again, whatever their HTTP status. */
const PERMANENT_CODES: ReadonlySet<string> = new Set([
  'INVALID_PARAMETER_VALUE',
  'BAD_REQUEST',
  'MALFORMED_REQUEST',
  'RESOURCE_ALREADY_EXISTS',
  'ALREADY_EXISTS',
  'RESOURCE_DOES_NOT_EXIST',
  'ENDPOINT_NOT_FOUND',
  'NOT_FOUND',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
  'CUSTOMER_UNAUTHORIZED',
  'NOT_IMPLEMENTED',
  'ABORTED',
  'RESOURCE_CONFLICT',
  'INVALID_STATE',
  'INVALID_STATE_TRANSITION',
  'DATA_LOSS',
  'FEATURE_DISABLED',
  'RESOURCE_LIMIT_EXCEEDED',
  'DIRECTORY_NOT_EMPTY',
  'IO_ERROR',
]);

/** Transport error codes worth another attempt (resets of idle keep-alive sockets, timeouts). */
const RETRYABLE_NET_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** An MLflow API failure that is not one of the user-facing kinds (bad value, conflict, ...). */
export class MlflowRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode: string | undefined,
    readonly retryable: boolean,
    /** The server's own message (credential-free), for callers that rephrase. */
    readonly serverText: string = '',
  ) {
    super(message);
    this.name = 'MlflowRequestError';
  }
}

/** A route the server was started without (503 "Endpoint: ... disabled ..."). */
export class DisabledEndpointError extends MlflowRequestError {
  constructor(message: string) {
    super(message, 503, undefined, false);
    this.name = 'DisabledEndpointError';
  }
}

/** A non-JSON 404/405: the route does not exist here (wrong prefix, older server, not MLflow). */
export class MissingEndpointError extends UnreachableError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'MissingEndpointError';
  }
}

/** A failed answer as the HTTP client saw it. */
export interface FailedAnswer {
  status: number;
  contentType: string;
  bodyText: string;
  /** Parsed MLflow error, when the body was one. */
  errorCode?: string;
  serverMessage?: string;
}

/** What was asked, for messages. */
export interface RequestContext {
  method: string;
  /** Short endpoint name, e.g. `runs/search` or `artifact download`. */
  what: string;
  displayUri: string;
  hadCredentials: boolean;
  redact(text: string): string;
}

/** Parse an MLflow JSON error body, if it is one. */
export function parseErrorBody(bodyText: string, contentType: string): { errorCode?: string; message?: string } {
  const looksJson = contentType.includes('json') || bodyText.trimStart().startsWith('{');
  if (!looksJson) return {};
  try {
    const doc = JSON.parse(bodyText) as unknown;
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
      const rec = doc as Record<string, unknown>;
      const errorCode = typeof rec.error_code === 'string' ? rec.error_code : undefined;
      const message = typeof rec.message === 'string' ? rec.message : undefined;
      return { errorCode, message };
    }
  } catch {
    // not JSON after all
  }
  return {};
}

/** A 503 from a route the server runs without (--no-serve-artifacts, no workspaces, ...). */
export function isDisabledEndpoint(answer: FailedAnswer): boolean {
  return answer.status === 503 && answer.errorCode === undefined && /^Endpoint: .* disabled/s.test(answer.bodyText);
}

/** Should this answer be asked again? Decided on error_code when there is one. */
export function isRetryableAnswer(answer: FailedAnswer): boolean {
  const code = answer.errorCode;
  if (code !== undefined) {
    if (TRANSIENT_CODES.has(code)) return true;
    if (PERMANENT_CODES.has(code)) return false;
  }
  if (!RETRY_STATUSES.has(answer.status)) return false;
  return !isDisabledEndpoint(answer);
}

/** Short, single-line, credential-free excerpt of a non-JSON body (HTML pages reduced to their title). */
function bodyExcerpt(answer: FailedAnswer, redact: (text: string) => string): string {
  let text = answer.bodyText;
  if (/<html|<!doctype/i.test(text)) {
    const title = /<title>([^<]*)<\/title>/i.exec(text);
    text = title ? title[1]! : 'an HTML page';
  }
  text = text.replace(/\s+/g, ' ').trim();
  if (text.length > 300) text = text.slice(0, 300) + '…';
  return redact(text);
}

/** The error to throw for a failed answer. */
export function answerError(answer: FailedAnswer, ctx: RequestContext): Error {
  const { status } = answer;
  const where = ctx.displayUri;
  const code = answer.errorCode;
  const serverText = ctx.redact((answer.serverMessage ?? '').slice(0, 1000));

  if (status === 401 || code === 'UNAUTHENTICATED' || code === 'CUSTOMER_UNAUTHORIZED') {
    const hint = ctx.hadCredentials
      ? ''
      : '; no credentials were given (set a token, or a username and password)';
    return new AuthError(`${where} rejected the credentials (HTTP ${status})${hint}`);
  }
  if (status === 403 || code === 'PERMISSION_DENIED') {
    const detail = code ? serverText : bodyExcerpt(answer, ctx.redact);
    const suffix = detail && detail !== 'Permission denied' ? `: ${detail}` : '';
    return new AuthError(`${where} denied permission for ${ctx.what} (HTTP ${status})${suffix}`);
  }
  if (code === 'FEATURE_DISABLED') {
    return new UsageError(
      `${where} has no workspaces (the server answered FEATURE_DISABLED: ${serverText}); use default/PROJECT`,
    );
  }
  if (code === 'RESOURCE_DOES_NOT_EXIST' || code === 'NOT_FOUND') {
    return new NotFoundError(`${ctx.what} on ${where}: ${serverText || 'not found'}`);
  }
  if (code === undefined) {
    if (isDisabledEndpoint(answer)) {
      return new DisabledEndpointError(`${where} does not serve ${ctx.what}: ${bodyExcerpt(answer, ctx.redact)}`);
    }
    if (status === 404 || status === 405) {
      return new MissingEndpointError(
        `${where} answered HTTP ${status} for ${ctx.what}: is this the MLflow tracking server (check the URI and its path prefix)?`,
        status,
      );
    }
    return new MlflowRequestError(
      `${ctx.method} ${ctx.what} on ${where} failed: HTTP ${status}: ${bodyExcerpt(answer, ctx.redact) || 'empty answer'}`,
      status,
      undefined,
      isRetryableAnswer(answer),
    );
  }
  return new MlflowRequestError(
    `${ctx.method} ${ctx.what} on ${where} failed: ${code} (HTTP ${status}): ${serverText}`,
    status,
    code,
    isRetryableAnswer(answer),
    serverText,
  );
}

/** The transport-level code of an error from undici / node:net. */
export function netErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isRetryableNetError(error: unknown, connectedBefore: boolean): boolean {
  const code = netErrorCode(error);
  if (code === undefined) return false;
  // A refused connection on first contact means a wrong address: fail fast. Later it is a restart.
  if (code === 'ECONNREFUSED') return connectedBefore;
  return RETRYABLE_NET_CODES.has(code);
}

/** The error to throw for a transport failure (after retries). Never echoes request headers. */
export function netError(error: unknown, ctx: RequestContext, timeoutMs: number): Error {
  const code = netErrorCode(error);
  const where = ctx.displayUri;
  switch (code) {
    case 'ECONNREFUSED':
      return new UnreachableError(`cannot reach ${where}: connection refused`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UnreachableError(`cannot reach ${where}: host name not found`);
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
      return new UnreachableError(`cannot reach ${where}: connection timed out (${code})`);
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return new UnreachableError(`${where} did not answer ${ctx.what} within ${Math.round(timeoutMs / 1000)} s`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return new UnreachableError(`connection to ${where} was closed during ${ctx.what} (${code})`);
    default:
      break;
  }
  if (code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return new UnreachableError(`TLS handshake with ${where} failed: ${code}`);
  }
  const text = error instanceof Error ? ctx.redact(error.message) : ctx.redact(String(error));
  return new UnreachableError(`${ctx.what} on ${where} failed: ${code ? `${code}: ` : ''}${text}`);
}

/** Replace every occurrence of each secret (and its URL-encoded form) in `text`. */
export function makeRedactor(secrets: readonly string[]): (text: string) => string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    needles.add(secret);
    needles.add(encodeURIComponent(secret));
  }
  const list = [...needles].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const needle of list) out = out.split(needle).join('***');
    return out;
  };
}
