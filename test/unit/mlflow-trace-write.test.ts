/**
 * How a trace copy is written into an MLflow server (src/backends/mlflow/traces.ts), against the
 * stand-in: the requests per trace, and that the completion marker is the last write. One
 * StartTraceV3 with the whole info, the spans (which leave that info as it is), the assessments,
 * then the marker. Traces written at once share OTLP requests. Every copy is complete afterwards,
 * with all its spans and assessments.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MlflowHttpClient } from '../../src/backends/mlflow/http-client.js';
import { mlflowTargetTraces } from '../../src/backends/mlflow/traces.js';
import { LosslessNumber } from '../../src/model/python-json.js';
import { TRACE_PROVENANCE } from '../../src/model/trace-provenance.js';
import { spanFromDocument } from '../../src/model/trace-span.js';
import type { Assessment, Trace } from '../../src/model/trace.js';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { standinRequest } from '../support/standin-request.js';

let server: StandinServer;
let client: MlflowHttpClient;
let exp: string;

beforeEach(async () => {
  server = await startStandin();
  client = new MlflowHttpClient({ origin: new URL(server.url).origin, prefix: '', displayUri: server.url, credentials: {} });
  exp = (await standinRequest(server.url, 'POST', '/api/2.0/mlflow/experiments/create', { name: 'trace-write' })).body.experiment_id;
});
afterEach(async () => {
  await client.close();
  await server.close();
});

function trace(i: number, assessments: number): Trace {
  const hex = `c0ffee55${i.toString(16).padStart(24, '0')}`;
  const traceId = `tr-${hex}`;
  const spans = [0, 1].map((s) =>
    spanFromDocument({
      trace_id: Buffer.from(hex, 'hex').toString('base64'),
      span_id: Buffer.from((s + 1).toString(16).padStart(16, '0'), 'hex').toString('base64'),
      parent_span_id: s === 0 ? null : Buffer.from('1'.padStart(16, '0'), 'hex').toString('base64'),
      name: `span-${s}`,
      start_time_unix_nano: new LosslessNumber(`17000000000000000${s}0`),
      end_time_unix_nano: new LosslessNumber(`17000000010000000${s}0`),
      events: [],
      status: { code: 'STATUS_CODE_OK', message: '' },
      attributes: { 'mlflow.traceRequestId': JSON.stringify(traceId), 'mlflow.spanType': '"CHAIN"' },
    }),
  );
  const assessment = (n: number): Assessment => ({
    assessmentId: `a-${hex}${n}`,
    traceId,
    name: `check-${n}`,
    kind: 'feedback',
    value: true,
    sourceType: 'HUMAN',
    sourceId: 'unit',
    metadata: {},
    valid: true,
    createTime: 1_700_000_002_000 + n,
    lastUpdateTime: 1_700_000_002_000 + n,
  });
  return {
    info: {
      traceId,
      experimentId: exp,
      requestTime: 1_700_000_000_000,
      executionDurationMs: 1000,
      state: 'OK',
      tags: { [TRACE_PROVENANCE.traceId]: traceId, [TRACE_PROVENANCE.project]: 'default/source' },
      metadata: { 'mlflow.trace.sizeStats': '{"num_spans": 2}' },
    },
    spans,
    assessments: Array.from({ length: assessments }, (_, n) => assessment(n)),
  };
}

const MARKER = { key: TRACE_PROVENANCE.completed, value: '2026-12-07T00:00:00.000Z' };

async function copies() {
  const target = mlflowTargetTraces(client, 'default', exp);
  const out = [];
  for await (const record of target.listTraceCopies()) out.push(record);
  return out;
}

describe('writing a trace copy into an MLflow server', () => {
  it('a trace without assessments: one StartTraceV3 with the whole info, the spans, the marker; complete', async () => {
    const target = mlflowTargetTraces(client, 'default', exp);
    const before = { ...server.stats().byRoute };
    await target.writeTrace(trace(1, 0), MARKER);
    const sent = (route: string) => (server.stats().byRoute[route] ?? 0) - (before[route] ?? 0);
    expect([sent('traces/start-v3'), sent('otlp/traces'), sent('traces/set-tag'), sent('assessments/create')]).toEqual([1, 1, 1, 0]);
    const info = (await standinRequest(server.url, 'GET', `/api/3.0/mlflow/traces/${trace(1, 0).info.traceId}`)).body.trace.trace_info;
    expect(info.tags[MARKER.key]).toBe(MARKER.value);
    // The info as the source has it, not as the spans would derive it; the spans' location added.
    expect(info.trace_metadata['mlflow.trace.sizeStats']).toBe('{"num_spans": 2}');
    expect([info.request_time, info.execution_duration, info.state]).toEqual(['2023-11-14T22:13:20Z', '1s', 'OK']);
    expect(info.tags['mlflow.trace.spansLocation']).toBe('TRACKING_STORE');
    expect(await copies()).toEqual([expect.objectContaining({ sourceTraceId: trace(1, 0).info.traceId, complete: true })]);
  });

  it('a trace with assessments: one StartTraceV3, the spans, the assessments, the marker after them', async () => {
    const target = mlflowTargetTraces(client, 'default', exp);
    const before = { ...server.stats().byRoute };
    await target.writeTrace(trace(2, 2), MARKER);
    const sent = (route: string) => (server.stats().byRoute[route] ?? 0) - (before[route] ?? 0);
    expect([sent('traces/start-v3'), sent('otlp/traces'), sent('assessments/create'), sent('traces/set-tag')]).toEqual([1, 1, 2, 1]);
    const info = (await standinRequest(server.url, 'GET', `/api/3.0/mlflow/traces/${trace(2, 2).info.traceId}`)).body.trace.trace_info;
    expect(info.assessments).toHaveLength(2);
    expect(info.tags[MARKER.key]).toBe(MARKER.value);
  });

  it('traces written at once share OTLP requests, and every one is complete with all its spans', async () => {
    const target = mlflowTargetTraces(client, 'default', exp);
    const traces = Array.from({ length: 24 }, (_, i) => trace(10 + i, i % 2));
    await Promise.all(traces.map((t) => target.writeTrace(t, MARKER)));
    expect(server.stats().byRoute['otlp/traces']).toBeLessThan(24);
    const records = await copies();
    expect(records).toHaveLength(24);
    expect(records.every((r) => r.complete)).toBe(true);
    for (const t of traces) {
      const artifact = await standinRequest(server.url, 'GET', `/ajax-api/2.0/mlflow/get-trace-artifact?request_id=${t.info.traceId}`);
      expect(artifact.body.spans).toHaveLength(2);
    }
  });
});
