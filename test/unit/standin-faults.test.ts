/**
 * MLflow stand-in: fault injection (each kind, applied-or-not semantics, seeding, stats) and
 * a 100k-point metric history paged through get-history.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  complete: boolean;
  ms: number;
}

function call(server: StandinServer, method: string, path: string, body?: unknown): Promise<Res> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = {};
    if (data) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = data.length;
    }
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => {});
      res.on('close', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          complete: res.complete,
          ms: Date.now() - t0,
        }),
      );
    });
    req.on('error', reject);
    req.end(data);
  });
}

const API = '/api/2.0/mlflow';

async function experimentNamed(server: StandinServer, name: string): Promise<number> {
  return (await call(server, 'GET', `${API}/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`)).status;
}

describe('stand-in fault mode', () => {
  let server: StandinServer;
  afterEach(async () => server?.close());

  it("'503' refuses before applying", async () => {
    server = await startStandin({ faults: { rate: 1, kinds: ['503'] } });
    const r = await call(server, 'POST', `${API}/experiments/create`, { name: 'f503' });
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).error_code).toBe('TEMPORARILY_UNAVAILABLE');
    server.setFaults(undefined);
    expect(await experimentNamed(server, 'f503')).toBe(404);
    expect(server.stats().faults).toEqual({ '503': 1 });
  });

  it("'429' refuses with Retry-After (default 1, 0 allowed)", async () => {
    server = await startStandin({ faults: { rate: 1, kinds: ['429'] } });
    const r = await call(server, 'POST', `${API}/experiments/create`, { name: 'f429' });
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('1');
    expect(JSON.parse(r.body).error_code).toBe('REQUEST_LIMIT_EXCEEDED');
    server.setFaults({ rate: 1, kinds: ['429'], retryAfterSeconds: 0 });
    expect((await call(server, 'GET', `${API}/experiments/get?experiment_id=0`)).headers['retry-after']).toBe('0');
    server.setFaults(undefined);
    expect(await experimentNamed(server, 'f429')).toBe(404);
  });

  it("'reset' drops the connection without a response and applies nothing", async () => {
    server = await startStandin({ faults: { rate: 1, kinds: ['reset'] } });
    await expect(call(server, 'POST', `${API}/experiments/create`, { name: 'freset' })).rejects.toThrow(/socket hang up|ECONNRESET/);
    server.setFaults(undefined);
    expect(await experimentNamed(server, 'freset')).toBe(404);
  });

  it("'slow' applies the request and answers late", async () => {
    server = await startStandin({ faults: { rate: 1, kinds: ['slow'], slowMs: 400 } });
    const r = await call(server, 'POST', `${API}/experiments/create`, { name: 'fslow' });
    expect(r.status).toBe(200);
    expect(r.ms).toBeGreaterThanOrEqual(390);
    server.setFaults(undefined);
    expect(await experimentNamed(server, 'fslow')).toBe(200);
  });

  it("'truncate' applies the request, announces the full length and cuts the body", async () => {
    server = await startStandin({ faults: { rate: 1, kinds: ['truncate'] } });
    const r = await call(server, 'POST', `${API}/experiments/create`, { name: 'ftrunc' });
    expect(r.status).toBe(200);
    expect(r.complete).toBe(false);
    const announced = Number(r.headers['content-length']);
    expect(Buffer.byteLength(r.body)).toBe(Math.floor(announced / 2));
    server.setFaults(undefined);
    expect(await experimentNamed(server, 'ftrunc')).toBe(200);
  });

  it('never faults /health; a seed makes the fault sequence reproducible', async () => {
    server = await startStandin({ faults: { rate: 1 } });
    for (let i = 0; i < 5; i++) expect((await call(server, 'GET', '/health')).status).toBe(200);
    expect(server.stats().faults).toEqual({});
    const sequence = async (seed: number) => {
      server.setFaults({ rate: 0.5, seed, kinds: ['503', '429'] });
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await call(server, 'GET', `${API}/experiments/get?experiment_id=0`)).status);
      return out;
    };
    const a = await sequence(42);
    const b = await sequence(42);
    expect(a).toEqual(b);
    expect(new Set(a)).toEqual(new Set([200, 503, 429]));
    const stats = server.stats();
    expect(stats.requests).toBe(65);
    expect(stats.byRoute['experiments/get']).toBe(60);
    expect(stats.byRoute.health).toBe(5);
  });
});

describe('stand-in metric history', () => {
  let server: StandinServer;
  afterEach(async () => server?.close());

  it('pages a 100k-point history with max_results=25000', async () => {
    server = await startStandin();
    const exp = JSON.parse((await call(server, 'POST', `${API}/experiments/create`, { name: 'h100k' })).body).experiment_id;
    const run = JSON.parse((await call(server, 'POST', `${API}/runs/create`, { experiment_id: exp, start_time: 1 })).body).run.info.run_id;
    // batches sent in reverse order: the store must sort on read
    for (let b = 99; b >= 0; b--) {
      const metrics = Array.from({ length: 1000 }, (_, j) => {
        const i = b * 1000 + j;
        return { key: 'loss', value: i / 7, timestamp: 1_700_000_000_000 + i, step: i };
      });
      expect((await call(server, 'POST', `${API}/runs/log-batch`, { run_id: run, metrics })).status).toBe(200);
    }
    // re-sending a batch adds nothing (exact duplicates)
    const again = Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: i / 7, timestamp: 1_700_000_000_000 + i, step: i }));
    await call(server, 'POST', `${API}/runs/log-batch`, { run_id: run, metrics: again });

    const steps: number[] = [];
    const tokens: string[] = [];
    let token: string | undefined;
    do {
      const q = `run_id=${run}&metric_key=loss&max_results=25000${token ? `&page_token=${encodeURIComponent(token)}` : ''}`;
      const r = await call(server, 'GET', `${API}/metrics/get-history?${q}`);
      expect(r.status).toBe(200);
      const page = JSON.parse(r.body) as { metrics: Array<{ step: number; value: number }>; next_page_token?: string };
      expect(page.metrics.length).toBe(25000);
      for (const m of page.metrics) steps.push(m.step);
      token = page.next_page_token;
      if (token) tokens.push(Buffer.from(token, 'base64').toString());
    } while (token);
    expect(tokens).toEqual(['{"offset": 25000}', '{"offset": 50000}', '{"offset": 75000}']);
    expect(steps.length).toBe(100_000);
    expect(steps.every((s, i) => s === i)).toBe(true);

    const latest = JSON.parse((await call(server, 'GET', `${API}/runs/get?run_id=${run}`)).body).run.data.metrics;
    expect(latest).toEqual([{ key: 'loss', value: 99999 / 7, timestamp: 1_700_000_099_999, step: 99999 }]);
  });
});
