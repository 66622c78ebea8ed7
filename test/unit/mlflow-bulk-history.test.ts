/**
 * The bulk history route (GET /ajax-api/2.0/mlflow/metrics/get-history-bulk): how the stand-in
 * serves it beyond the recording (read from MLflow's handler and SQL store), and how the MLflow
 * backend reads many runs' histories through it without trusting a cut answer.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { bulkHistories, parseBulkAnswer } from '../../src/backends/mlflow/bulk-history.js';
import { MlflowHttpClient } from '../../src/backends/mlflow/http-client.js';
import { startStandin, type StandinOptions, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';

const T0 = 1_700_000_000_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function standin(options: StandinOptions = {}): Promise<StandinServer> {
  const server = await startStandin(options);
  cleanups.push(() => server.close());
  return server;
}

function history(count: number, shift = 0) {
  return Array.from({ length: count }, (_, step) => ({ value: step + shift, timestamp: T0 + step, step }));
}

async function bulk(server: StandinServer, runIds: string[], query: Record<string, string> = {}, headers: Record<string, string> = {}) {
  const params = new URLSearchParams();
  for (const id of runIds) params.append('run_id', id);
  for (const [key, value] of Object.entries({ metric_key: 'loss', ...query })) params.set(key, value);
  const res = await request(`${server.url}/ajax-api/2.0/mlflow/metrics/get-history-bulk?${params}`, { headers });
  return { status: res.statusCode, type: res.headers['content-type'], text: await res.body.text() };
}

/** Runs a..e: loss histories of 3, 2, 6 and 0 (no key) points; the last run is deleted. */
const RUNS: SeedRun[] = [
  { name: 'a', startTime: T0, metrics: { loss: history(3) } },
  { name: 'b', startTime: T0, metrics: { loss: history(2, 10) } },
  { name: 'c', startTime: T0, metrics: { loss: history(6, 20) } },
  { name: 'd', startTime: T0, metrics: { other: history(1) } },
  { name: 'e', startTime: T0, metrics: { loss: [{ value: Number.NaN, timestamp: T0, step: 0 }] }, deleted: true },
];

describe('stand-in: the bulk history route', () => {
  it('sorts by run id, cuts the combined list at max_results without a sign, counts a repeated id once and includes deleted runs', async () => {
    const server = await standin();
    const ids = await seedProject(new MlflowApi(server.url), 'bulk', RUNS);
    const all = [...ids.values()];
    const whole = await bulk(server, [...all, all[0]!]);
    expect(whole.status).toBe(200);
    expect(whole.type).toBe('application/json');
    // Python's json.dumps: a bare NaN, keys sorted, every field present.
    expect(whole.text).toContain(`{"key":"loss","run_id":"${ids.get('e')}","step":0,"timestamp":${T0},"value":NaN}`);
    const points = parseBulkAnswer(whole.text, new Set(all));
    expect(points.count).toBe(3 + 2 + 6 + 1);
    expect(points.order).toEqual(all.filter((id) => id !== ids.get('d')).sort());

    const cut = await bulk(server, all, { max_results: '4' });
    const kept = JSON.parse(cut.text.replace('NaN', '"NaN"')).metrics as Array<{ run_id: string }>;
    expect(kept).toHaveLength(4);
    expect(cut.text).not.toContain('next_page_token');
    const sortedWithData = all.filter((id) => id !== ids.get('d')).sort();
    expect(kept[0]!.run_id).toBe(sortedWithData[0]);
  });

  it('answers a max_results Python cannot read as an int with the 500 page, and caps it at 25000', async () => {
    const server = await standin();
    const ids = await seedProject(new MlflowApi(server.url), 'bulk', RUNS.slice(0, 1));
    const bad = await bulk(server, [...ids.values()], { max_results: 'ten' });
    expect(bad.status).toBe(500);
    expect(bad.type).toBe('text/html; charset=utf-8');
    expect((await bulk(server, [...ids.values()], { max_results: ' 1_0 ' })).status).toBe(200);
    expect(JSON.parse((await bulk(server, [...ids.values()], { max_results: '99999' })).text).metrics).toHaveLength(3);
  });

  it('under the auth app needs read permission on every run named', async () => {
    const server = await standin({ basicAuth: { adminPassword: 'admin-Pass1' } });
    const admin = `Basic ${Buffer.from('admin:admin-Pass1').toString('base64')}`;
    const ids = await seedProject(new MlflowApi(server.url, { authorization: admin }), 'bulk', RUNS.slice(0, 2));
    server.createUser!('reader', 'reader-Pass1');
    const reader = `Basic ${Buffer.from('reader:reader-Pass1').toString('base64')}`;
    expect((await bulk(server, [...ids.values()], {}, { authorization: reader })).status).toBe(200);
    const experimentId = await new MlflowApi(server.url, { authorization: admin }).experimentId('bulk');
    await new MlflowApi(server.url, { authorization: admin }).call('POST', 'experiments/permissions/create', {
      experiment_id: experimentId,
      username: 'reader',
      permission: 'NO_PERMISSIONS',
    });
    expect((await bulk(server, [...ids.values()], {}, { authorization: reader })).status).toBe(403);
    expect((await bulk(server, ['0123456789abcdef0123456789abcdef'], {}, { authorization: reader })).status).toBe(404);
  });
});

describe('mlflow backend: histories of many runs per request', () => {
  it('takes complete histories from cut answers, asks again for the rest, and leaves big and empty ones to per-run paging', async () => {
    const server = await standin();
    const ids = await seedProject(new MlflowApi(server.url), 'bulk', RUNS.slice(0, 4));
    const client = new MlflowHttpClient({ origin: new URL(server.url).origin, prefix: '', displayUri: server.url, credentials: {} });
    cleanups.push(() => client.close());
    const answer = await bulkHistories(client, 'default', 'loss', [...ids.values()], 5);
    const expected = new Map([
      [ids.get('a')!, history(3)],
      [ids.get('b')!, history(2, 10)],
    ]);
    expect(new Map([...answer.complete].sort())).toEqual(new Map([...expected].sort()));
    // c (6 points) fills an answer of 5 alone; d has no loss at all: both are read per run.
    expect([...answer.perRun].sort()).toEqual([ids.get('c')!, ids.get('d')!].sort());
    expect(answer.requests).toBeGreaterThanOrEqual(2);
  });

  it('trusts no cut answer whose runs come out of order: every run is then read per run', async () => {
    // A server that sorts differently than MLflow's SQL store (and cuts): nothing can be known complete.
    const body = JSON.stringify({
      metrics: [
        { key: 'k', run_id: 'b', step: 0, timestamp: 1, value: 1 },
        { key: 'k', run_id: 'a', step: 0, timestamp: 1, value: 1 },
      ],
    });
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new MlflowHttpClient({ origin, prefix: '', displayUri: origin, credentials: {} });
    cleanups.push(() => client.close());
    const answer = await bulkHistories(client, 'default', 'k', ['a', 'b', 'c'], 2);
    expect(answer.complete.size).toBe(0);
    expect([...answer.perRun].sort()).toEqual(['a', 'b', 'c']);
  });
});
