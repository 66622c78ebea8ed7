/**
 * Many small runs between two MLflow servers (issue 9): the requests each run costs, counted by
 * the servers themselves, and the bulk history reads - cut answers, big histories among small
 * ones, a server without the bulk route - leaving every history complete (verify clean).
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/backends/contract.js';
import { createMlflowServerFactory, type MlflowBackendOptions } from '../../src/backends/mlflow/index.js';
import { copyProject, parseProjectRef, verifyProject } from '../../src/index.js';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';

const T0 = 1_700_000_000_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function standin(): Promise<StandinServer> {
  const server = await startStandin();
  cleanups.push(() => server.close());
  return server;
}

async function open(url: string, role: 'source' | 'target', options: MlflowBackendOptions = {}): Promise<Store> {
  const store = await createMlflowServerFactory(options).open(url, { credentials: {}, role });
  cleanups.push(() => store.close());
  return store;
}

function history(count: number, shift = 0) {
  return Array.from({ length: count }, (_, step) => ({ value: Math.sin(step + shift), timestamp: T0 + step * 10, step }));
}

/** The workload: 10 params, 5 tags, 5 metrics x 10 points, one 1 KB artifact. */
function smallRun(i: number): SeedRun {
  return {
    name: `small-${i}`,
    startTime: T0 + i,
    endTime: T0 + i + 60_000,
    params: Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`param_${k}`, String(k * i)])),
    tags: Object.fromEntries(Array.from({ length: 5 }, (_, k) => [`tag_${k}`, `value ${k}`])),
    metrics: Object.fromEntries(Array.from({ length: 5 }, (_, k) => [`metric_${k}`, history(10, i + k)])),
    files: { 'model.txt': Buffer.alloc(1024, 65 + (i % 26)) },
  };
}

/** Copies `runs` to `runs-copy`; `between` sees the servers after the copy, before verify reads them. */
async function copyAndVerify(source: Store, target: Store, between: () => void = () => {}) {
  const endpoints = {
    source: { store: source, project: parseProjectRef('runs') },
    target: { store: target, project: parseProjectRef('runs-copy') },
  };
  const report = await copyProject({ ...endpoints, workers: 8 });
  between();
  const verify = await verifyProject(endpoints);
  return { report, verify };
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([route, n]) => [route, n - (before[route] ?? 0)]).filter(([, n]) => (n as number) > 0));
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe('many small runs', () => {
  it('cost the source at most 3 and the target at most 5 requests per run, and copy exactly', async () => {
    const source = await standin();
    const target = await standin();
    const runs = 40;
    await seedProject(new MlflowApi(source.url), 'runs', Array.from({ length: runs }, (_, i) => smallRun(i)));
    const sourceBefore = source.stats().byRoute;
    const targetBefore = target.stats().byRoute;

    let read: Record<string, number> = {};
    let written: Record<string, number> = {};
    const { report, verify } = await copyAndVerify(await open(source.url, 'source'), await open(target.url, 'target'), () => {
      read = delta(source.stats().byRoute, sourceBefore);
      written = delta(target.stats().byRoute, targetBefore);
    });
    expect(report.summary.copied).toBe(runs);
    expect(verify.clean).toBe(true);
    expect(total(read) / runs).toBeLessThanOrEqual(3);
    expect(total(written) / runs).toBeLessThanOrEqual(5);
    // Per run: runs/create (with the provenance tags), the artifact, runs/update, and one log-batch
    // holding params, tags, metrics and - as its last tag - the completion marker.
    for (const route of ['runs/create', 'mlflow-artifacts/upload', 'runs/update', 'runs/log-batch']) expect(written[route], route).toBe(runs);
    expect(written['runs/set-tag']).toBeUndefined();
    // Histories: one bulk request per metric key for all 40 runs.
    expect(read['metrics/get-history-bulk']).toBe(5);
    expect(read['metrics/get-history']).toBeUndefined();
    // Run data: the listing only (kept on disk until each run is opened); no runs/get.
    expect(read['runs/search']).toBe(1);
    expect(read['runs/get']).toBeUndefined();
  });

  it('copies big histories among small ones exactly: answers cut at max_results are never trusted', async () => {
    const source = await standin();
    const target = await standin();
    // With pages of 40 points a history of 41+ fills a bulk answer alone: it is read per run.
    const sizes = [3, 39, 40, 41, 120, 0, 7, 250, 1, 39];
    await seedProject(
      new MlflowApi(source.url),
      'runs',
      sizes.map((size, i): SeedRun => ({ name: `r${i}`, startTime: T0 + i, metrics: size === 0 ? {} : { loss: history(size, i), acc: history(Math.max(1, size >> 1), i) } })),
    );
    const { report, verify } = await copyAndVerify(await open(source.url, 'source', { historyPageSize: 40 }), await open(target.url, 'target'));
    expect(report.summary.failed).toBe(0);
    expect(report.summary.totals.points).toBe(sizes.reduce((sum, n) => sum + (n === 0 ? 0 : n + Math.max(1, n >> 1)), 0));
    expect(verify.clean).toBe(true);
    const read = source.stats().byRoute;
    expect(read['metrics/get-history-bulk']).toBeGreaterThan(2);
    expect(read['metrics/get-history']).toBeGreaterThan(0);
  });

  it('reads ahead window by window (100 runs each) and, past the point budget of a window, per run', async () => {
    const source = await standin();
    const target = await standin();
    const runs = 230;
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
    await seedProject(
      new MlflowApi(source.url),
      'runs',
      Array.from({ length: runs }, (_, i): SeedRun => ({ name: `tiny-${i}`, startTime: T0 + i, metrics: Object.fromEntries(keys.map((key, k) => [key, history(2, i + k)])) })),
    );
    const copied = async (options: MlflowBackendOptions, to: StandinServer) => {
      const before = source.stats().byRoute;
      let read: Record<string, number> = {};
      const { report, verify } = await copyAndVerify(await open(source.url, 'source', options), await open(to.url, 'target'), () => {
        read = delta(source.stats().byRoute, before);
      });
      expect(report.summary.copied).toBe(runs);
      expect(verify.clean).toBe(true);
      return read;
    };
    // One bulk request per key and window of 100 runs.
    const plenty = await copied({}, target);
    expect(plenty['metrics/get-history-bulk']).toBe(keys.length * 3);
    expect(plenty['metrics/get-history']).toBeUndefined();
    // Runs are opened from the listing's spool, window by window: no further run reads.
    expect(plenty['runs/search']).toBe(1);
    expect(plenty['runs/get']).toBeUndefined();
    // A budget of 150 points: the first answers (up to 200 points each) pass it; keys not asked
    // for by then are read per run.
    const tight = await copied({ readAheadPoints: 150 }, await standin());
    expect(tight['metrics/get-history-bulk']).toBeLessThan(keys.length * 3);
    expect(tight['metrics/get-history']).toBeGreaterThanOrEqual(runs);
  });

  it('sends values that do not fit one log-batch (over 100 params or tags, over 1 MB) in several, and copies them exactly', async () => {
    const source = await standin();
    const target = await standin();
    const api = new MlflowApi(source.url);
    const experimentId = (await api.call('POST', 'experiments/create', { name: 'runs' })).experiment_id as string;
    const values = (n: number, prefix: string, length: number) => Array.from({ length: n }, (_, k) => ({ key: `${prefix}${k}`, value: String(k).padEnd(length, 'x') }));
    const shapes = [
      { params: values(150, 'p', 10), tags: values(120, 't', 10) },
      { params: values(100, 'p', 6000), tags: values(60, 't', 8000) },
    ];
    for (const [i, shape] of shapes.entries()) {
      const runId = (await api.call('POST', 'runs/create', { experiment_id: experimentId, run_name: `wide-${i}`, start_time: T0 + i })).run.info.run_id as string;
      for (let at = 0; at < 150; at += 100) {
        const params = shape.params.slice(at, at + 100);
        const tags = shape.tags.slice(at, at + 100);
        if (params.length + tags.length > 0) await api.call('POST', 'runs/log-batch', { run_id: runId, params, tags });
      }
      await api.call('POST', 'runs/log-batch', { run_id: runId, metrics: history(5).map((p) => ({ key: 'loss', ...p })) });
      await api.call('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: T0 + 1000 });
    }
    const { report, verify } = await copyAndVerify(await open(source.url, 'source'), await open(target.url, 'target'));
    expect(report.summary.failed).toBe(0);
    expect(report.summary.totals.params).toBe(250);
    expect(verify.clean).toBe(true);
    expect(target.stats().byRoute['runs/log-batch']).toBeGreaterThan(2);
  });

  it('reads per run what a bulk answer cut short without a sign misses (the latest point runs/search showed)', async () => {
    const source = await standin();
    const target = await standin();
    const runs = 6;
    await seedProject(new MlflowApi(source.url), 'runs', Array.from({ length: runs }, (_, i) => smallRun(i)));
    const cutting = await inFront(source, 'bulk cut at 3');
    const { report, verify } = await copyAndVerify(await open(cutting.url, 'source'), await open(target.url, 'target'));
    expect(report.summary.copied).toBe(runs);
    expect(report.summary.totals.points).toBe(runs * 50);
    expect(verify.clean).toBe(true);
    expect(cutting.bulkAttempts).toBeGreaterThan(0);
  });

  it('falls back to per-run history reads on a server without the bulk route', async () => {
    const source = await standin();
    const target = await standin();
    const runs = 12;
    await seedProject(new MlflowApi(source.url), 'runs', Array.from({ length: runs }, (_, i) => smallRun(i)));
    const older = await inFront(source, 'no bulk route');
    const { report, verify } = await copyAndVerify(await open(older.url, 'source'), await open(target.url, 'target'));
    expect(report.summary.copied).toBe(runs);
    expect(verify.clean).toBe(true);
    // The first refusal turns the route off: at most one attempt per key in flight.
    expect(older.bulkAttempts).toBeGreaterThan(0);
    expect(older.bulkAttempts).toBeLessThanOrEqual(4);
    expect(source.stats().byRoute['metrics/get-history']).toBeGreaterThanOrEqual(runs * 5);
  });
});

/**
 * A server in front of the stand-in: without the bulk route (as a server older than the UI route:
 * Flask's 404 page), or one whose bulk route cuts at 3 points whatever max_results says.
 */
async function inFront(behind: StandinServer, kind: 'no bulk route' | 'bulk cut at 3'): Promise<{ url: string; bulkAttempts: number }> {
  const state = { url: '', bulkAttempts: 0 };
  const upstream = new URL(behind.url);
  const server: Server = createServer((req, res) => {
    if (kind === 'bulk cut at 3' && (req.url ?? '').includes('/metrics/get-history-bulk')) {
      state.bulkAttempts++;
      req.url = req.url!.replace(/max_results=\d+/, 'max_results=3');
    } else if ((req.url ?? '').includes('/metrics/get-history-bulk')) {
      state.bulkAttempts++;
      req.resume();
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n');
      return;
    }
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
