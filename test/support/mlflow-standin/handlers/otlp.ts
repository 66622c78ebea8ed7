/**
 * POST /v1/traces: OTLP/HTTP span ingest (a FastAPI route in the real server, so its own errors
 * are {"detail": ...} JSON; MLflow errors such as an unknown experiment keep the MLflow shape).
 * Recorded: traces-otlp-json, traces-otlp-protobuf, traces-client-exchange, workspaces-genai.
 * Order of checks (header, Content-Type, body, experiment) is the recorded one where a case
 * shows it; when two are wrong at once the order is our choice.
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import type { Ctx } from '../context.js';
import { json, notFoundPage, readBody, type Reply } from '../http.js';
import { parseBody } from '../json.js';
import { decodeJson, decodeProtobuf } from '../otlp-decode.js';
import type { Router } from '../router.js';
import { ingestSpans } from '../span-ingest.js';
import type { OtlpSpan } from '../spans.js';

const detail = (status: number, d: unknown): Reply => json({ detail: d }, status);

function decode(contentType: string, body: Buffer): OtlpSpan[] {
  if (contentType === 'application/json') {
    const parsed = parseBody(body.toString('utf8'));
    if (parsed === undefined) throw new Error('malformed JSON');
    return decodeJson(parsed);
  }
  return decodeProtobuf(body);
}

async function exportTraces(ctx: Ctx): Promise<Reply> {
  const expId = ctx.header('x-mlflow-experiment-id');
  if (expId === undefined)
    return detail(422, [{ type: 'missing', loc: ['header', 'x-mlflow-experiment-id'], msg: 'Field required', input: null }]);
  const rawType = ctx.header('content-type') ?? '';
  const contentType = rawType.split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/json' && contentType !== 'application/x-protobuf')
    return detail(400, `Invalid Content-Type: ${rawType}. Expected: application/x-protobuf or application/json`);
  let body = await readBody(ctx.req);
  const encoding = (ctx.header('content-encoding') ?? '').toLowerCase();
  let spans: OtlpSpan[];
  try {
    if (encoding === 'gzip') body = gunzipSync(body);
    else if (encoding === 'deflate') body = inflateSync(body);
    spans = decode(contentType, body);
  } catch {
    return detail(400, 'Invalid OpenTelemetry format');
  }
  if (spans.length === 0) return detail(400, 'Invalid OpenTelemetry format - no spans found');
  const exp = ctx.state.store.getExperiment(ctx.ws, expId);
  if (spans.some((s) => !/^[0-9a-f]{32}$/.test(s.traceIdHex) || !/^[0-9a-f]{16}$/.test(s.spanIdHex)))
    return detail(422, 'Cannot convert OpenTelemetry span to MLflow span');
  ingestSpans(ctx.state.store, exp, spans);
  return { status: 200, headers: { 'Content-Type': 'application/x-protobuf' }, body: '' };
}

/** The auth app answers 401/403 for the FastAPI OTLP route as text/plain; charset=utf-8 (auth-genai-permissions). */
export function asFastApiReply(path: string, reply: Reply): Reply {
  if (path !== '/v1/traces') return reply;
  return { ...reply, headers: { ...reply.headers, 'Content-Type': 'text/plain; charset=utf-8' } };
}

export function registerOtlp(r: Router): void {
  r.addRule('/v1/traces', ['POST'], 'otlp/traces', exportTraces);
  // Only POST exists; other methods reach the web app's catch-all, a 404 page (not a 405).
  r.addRule('/v1/traces', ['GET', 'PUT', 'PATCH', 'DELETE'], 'unmatched', () => notFoundPage());
}
