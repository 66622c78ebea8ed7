/**
 * Spans of several traces in one OTLP request (src/backends/mlflow/otlp-batch.ts), against the
 * MLflow stand-in: traces handed in while requests are under way share the next request; every
 * trace's spans are stored; a trace the server refuses fails alone, the others of its request are
 * stored; a trace with more spans than a request takes goes in parts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MlflowHttpClient } from '../../src/backends/mlflow/http-client.js';
import { OtlpBatcher, type OtlpBatchLimits } from '../../src/backends/mlflow/otlp-batch.js';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { standinRequest } from '../support/standin-request.js';

let server: StandinServer;
let client: MlflowHttpClient;
let exp: string;

beforeEach(async () => {
  server = await startStandin();
  client = new MlflowHttpClient({ origin: new URL(server.url).origin, prefix: '', displayUri: server.url, credentials: {}, retry: { maxRetries: 0 } });
  exp = (await standinRequest(server.url, 'POST', '/api/2.0/mlflow/experiments/create', { name: 'otlp-batch' })).body.experiment_id;
});
afterEach(async () => {
  await client.close();
  await server.close();
});

const hex = (i: number) => `c0ffee77${i.toString(16).padStart(24, '0')}`;

/** One trace's spans as OTLP/JSON text: a root and `children` children. */
function traceSpans(i: number, children: number, traceIdHex = hex(i)): string[] {
  return Array.from({ length: children + 1 }, (_, s) =>
    JSON.stringify({
      traceId: traceIdHex,
      spanId: (s + 1).toString(16).padStart(16, '0'),
      ...(s > 0 ? { parentSpanId: '1'.padStart(16, '0') } : {}),
      name: `span-${s}`,
      startTimeUnixNano: `${1700000000 + i}000000000`,
      endTimeUnixNano: `${1700000001 + i}000000000`,
      status: { code: 1 },
    }),
  );
}

function batcher(limits: Partial<OtlpBatchLimits> = {}): OtlpBatcher {
  return new OtlpBatcher(
    async (body) => {
      await client.text({ method: 'POST', path: '/v1/traces', json: body, contentType: 'application/json', what: 'otlp/v1/traces', headers: { 'x-mlflow-experiment-id': exp } });
    },
    { maxInFlight: 1, maxSpans: 500, maxBytes: 4 * 1024 * 1024, ...limits },
  );
}

async function storedSpanCount(i: number): Promise<number> {
  const answer = await standinRequest(server.url, 'GET', `/ajax-api/2.0/mlflow/get-trace-artifact?request_id=tr-${hex(i)}`);
  if (answer.status !== 200) return -1;
  return (typeof answer.body === 'string' ? JSON.parse(answer.body) : answer.body).spans.length;
}

describe('OTLP span batching', () => {
  it('sends traces that arrive while a request is under way together, and stores every span', async () => {
    const spans = batcher();
    await Promise.all(Array.from({ length: 30 }, (_, i) => spans.write(traceSpans(i, 19))));
    // One request went at once; the other 29 traces waited for it and went in as few as fit 500 spans.
    expect(spans.stats.traces).toBe(30);
    expect(spans.stats.requests).toBeLessThanOrEqual(3);
    expect(server.stats().byRoute['otlp/traces']).toBe(spans.stats.requests);
    for (let i = 0; i < 30; i++) expect(await storedSpanCount(i)).toBe(20);
  });

  it('fails only the trace the server refuses; the others of its request are stored', async () => {
    const spans = batcher();
    const first = spans.write(traceSpans(0, 1));
    // A span id that is not 16 hex digits: the server refuses the request (422).
    const bad = traceSpans(2, 1).map((s, k) => (k === 1 ? s.replace(/"spanId":"[0-9a-f]+"/, '"spanId":"zz"') : s));
    const results = await Promise.allSettled([first, spans.write(traceSpans(1, 1)), spans.write(bad), spans.write(traceSpans(3, 1))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    expect([await storedSpanCount(0), await storedSpanCount(1), await storedSpanCount(3)]).toEqual([2, 2, 2]);
    expect(await storedSpanCount(2)).toBe(-1);
  });

  it('sends a trace with more spans than a request takes in parts, and never mixes beyond the limit', async () => {
    const spans = batcher({ maxSpans: 8 });
    await Promise.all([spans.write(traceSpans(0, 1)), spans.write(traceSpans(1, 19)), spans.write(traceSpans(2, 2)), spans.write(traceSpans(3, 2))]);
    // trace 0 alone (first, 2 spans); trace 1 (20 spans) alone in 3 parts; traces 2 and 3 (3 + 3) together.
    expect(spans.stats.requests).toBe(5);
    expect([await storedSpanCount(0), await storedSpanCount(1), await storedSpanCount(2), await storedSpanCount(3)]).toEqual([2, 20, 3, 3]);
  });

  it('fails every trace of a request at once when the server cannot be reached, without trying each alone', async () => {
    const spans = batcher();
    await server.close();
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => spans.write(traceSpans(i, 1))));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    // The first trace alone, then the five that waited for it together: two requests, not seven.
    expect(spans.stats.requests).toBe(2);
    server = await startStandin();
  });

  it('adds no wait when the server keeps up: each trace goes at once', async () => {
    const spans = batcher({ maxInFlight: 4 });
    for (let i = 0; i < 3; i++) await spans.write(traceSpans(i, 1));
    expect(spans.stats).toEqual({ requests: 3, traces: 3 });
  });
});
