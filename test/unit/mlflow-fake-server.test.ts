/**
 * The MLflow backend against a scripted fake server: answers a real server never gives (hostile
 * artifact paths, stalled pagination, direct-store artifact URIs, 2.x-style single-page history).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMlflowServerFactory } from '../../src/backends/mlflow/index.js';
import type { Store, SourceRun } from '../../src/backends/contract.js';
import type { MetricPoint } from '../../src/model/run.js';
import { proxyRoot, unsafePathReason } from '../../src/backends/mlflow/artifacts.js';
import type { FileEntry } from '../../src/model/run.js';

async function artifactsIn(run: SourceRun): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  for await (const entry of run.files()) out.push(entry);
  return out;
}

type Route = (url: URL, req: IncomingMessage, body: string) => { status?: number; json?: unknown; text?: string } | undefined;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const RUN = {
  info: {
    run_id: 'r1',
    run_uuid: 'r1',
    experiment_id: '1',
    run_name: 'hostile',
    user_id: 'u',
    status: 'FINISHED',
    start_time: 1700000000000,
    end_time: 1700000001000,
    artifact_uri: 'mlflow-artifacts:/1/r1/artifacts',
    lifecycle_stage: 'active',
  },
  data: { metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }], tags: [{ key: 'mlflow.runName', value: 'hostile' }] },
  inputs: {},
};

async function fakeServer(route: Route): Promise<{ store: Store; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(`${req.method} ${req.url}`);
      const body = Buffer.concat(chunks).toString();
      let answer = route(url, req, body);
      if (!answer && url.pathname === '/api/2.0/mlflow/experiments/get-by-name') {
        answer = { json: { experiment: { experiment_id: '1', name: 'p', lifecycle_stage: 'active', artifact_location: 'mlflow-artifacts:/1' } } };
      }
      if (!answer && url.pathname === '/api/2.0/mlflow/runs/search') answer = { json: { runs: [RUN] } };
      if (!answer) answer = { status: 404, text: '<!doctype html><title>404 Not Found</title>' };
      if (answer.text !== undefined) {
        res.writeHead(answer.status ?? 200, { 'content-type': 'text/html' });
        res.end(answer.text);
      } else {
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.json ?? {}));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const factory = createMlflowServerFactory({ retry: { maxRetries: 1, backoffBaseMs: 1, jitterMs: 1 } });
  const store = await factory.open(`http://127.0.0.1:${port}`, { credentials: {}, role: 'source' });
  cleanups.push(async () => {
    await store.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { store, requests };
}

async function openOnlyRun(store: Store): Promise<SourceRun> {
  const source = await store.openSource({ workspace: 'default', project: 'p' });
  for await (const info of source.listRuns({ includeDeleted: false })) return source.openRun(info);
  throw new Error('no run');
}

describe('mlflow backend against a hostile or unusual server', () => {
  it('reports hostile artifact paths as read issues and never opens them', async () => {
    const { store, requests } = await fakeServer((url) => {
      if (url.pathname !== '/api/2.0/mlflow/artifacts/list') return undefined;
      const path = url.searchParams.get('path');
      if (path === null) {
        return {
          json: {
            root_uri: 'mlflow-artifacts:/1/r1/artifacts',
            files: [
              { path: '../../etc/passwd', is_dir: false, file_size: 10 },
              { path: '/etc/shadow', is_dir: false, file_size: 10 },
              { path: 'dir\\..\\evil', is_dir: false, file_size: 10 },
              { path: 'a/../../b', is_dir: true },
              { path: 'ok.txt', is_dir: false, file_size: 3 },
              { path: 'sub', is_dir: true },
            ],
          },
        };
      }
      if (path === 'sub') {
        return {
          json: {
            files: [
              { path: 'sub/inner.bin', is_dir: false, file_size: 4 },
              { path: 'elsewhere.txt', is_dir: false, file_size: 1 },
              { path: 'sub', is_dir: true },
            ],
          },
        };
      }
      return { json: {} };
    });
    const run = await openOnlyRun(store);
    const files = await artifactsIn(run);
    expect(files).toEqual([
      { path: 'ok.txt', size: 3 },
      { path: 'sub/inner.bin', size: 4 },
    ]);
    const issues = run.readIssues?.() ?? [];
    expect(issues.map((i) => i.field).sort()).toEqual(
      ['files/../../etc/passwd', 'files//etc/shadow', 'files/a/../../b', 'files/dir\\..\\evil', 'files/elsewhere.txt', 'files/sub'].sort(),
    );
    await expect(run.openFile('../../etc/passwd')).rejects.toThrow(/refusing/);
    await expect(run.openFile('/etc/shadow')).rejects.toThrow(/refusing/);
    await expect(run.openFile('a\\b')).rejects.toThrow(/refusing/);
    expect(requests.some((r) => r.includes('mlflow-artifacts/artifacts'))).toBe(false);
  });

  it('stops on a repeated history page token instead of looping, and reports it', async () => {
    const { store } = await fakeServer((url) => {
      if (url.pathname !== '/api/2.0/mlflow/metrics/get-history') return undefined;
      return { json: { metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }], next_page_token: 'same' } };
    });
    const run = await openOnlyRun(store);
    const points: MetricPoint[] = [];
    for await (const batch of run.metricHistory('m')) points.push(...batch);
    expect(points).toHaveLength(2);
    expect(run.readIssues?.()).toEqual([
      { field: 'metrics/m', reason: expect.stringContaining('repeated a history page token after 2 points') },
    ]);
  });

  it('takes a whole history from a server that ignores max_results (2.x), and stops on an empty page with a token (3.4 bug)', async () => {
    let calls = 0;
    const { store, requests } = await fakeServer((url) => {
      if (url.pathname !== '/api/2.0/mlflow/metrics/get-history') return undefined;
      calls++;
      if (url.searchParams.get('metric_key') === 'empty') return { json: { next_page_token: 'eyJvZmZzZXQiOiAwfQ==' } };
      return { json: { metrics: Array.from({ length: 30_000 }, (_, i) => ({ key: 'm', value: i, timestamp: i, step: i })) } };
    });
    const run = await openOnlyRun(store);
    const batches: number[] = [];
    for await (const batch of run.metricHistory('m')) batches.push(batch.length);
    expect(batches).toEqual([30_000]);
    for await (const batch of run.metricHistory('empty')) batches.push(batch.length);
    expect(batches).toEqual([30_000]);
    expect(calls).toBe(2);
    expect(requests.filter((r) => r.includes('get-history')).every((r) => r.includes('max_results=10000'))).toBe(true);
  });

  it('reports files in a store neither the proxy nor this tool reads (gs:) as lost, so the run fails', async () => {
    const direct = { ...RUN, info: { ...RUN.info, artifact_uri: 'gs://bucket/1/r1/artifacts' } };
    const { store } = await fakeServer((url) => {
      if (url.pathname === '/api/2.0/mlflow/runs/search') return { json: { runs: [direct] } };
      if (url.pathname === '/api/2.0/mlflow/artifacts/list') {
        return { json: { files: [{ path: 'model.pkl', is_dir: false, file_size: 9 }] } };
      }
      return undefined;
    });
    const run = await openOnlyRun(store);
    expect(await artifactsIn(run)).toEqual([]);
    const issues = run.readIssues?.() ?? [];
    expect(issues).toHaveLength(1);
    expect(issues[0]!.reason).toMatch(/1 file\(s\) not copied.*gs:/);
    expect(issues[0]!.lost).toBe(true);
    await expect(run.openFile('model.pkl')).rejects.toThrow(/gs:/);
  });

  it('derives proxy paths from artifact URIs and recognises direct stores', () => {
    expect(proxyRoot('mlflow-artifacts:/1/r1/artifacts')).toBe('1/r1/artifacts');
    expect(proxyRoot('mlflow-artifacts:/workspaces/default/1/r1/artifacts')).toBe('workspaces/default/1/r1/artifacts');
    expect(proxyRoot('mlflow-artifacts://host:5000/1/r1/artifacts')).toBe('1/r1/artifacts');
    expect(proxyRoot('http://host:5000/prefix/api/2.0/mlflow-artifacts/artifacts/1/r1/artifacts')).toBe('1/r1/artifacts');
    expect(proxyRoot('s3://bucket/1/r1/artifacts')).toBeUndefined();
    expect(proxyRoot('file:///tmp/mlruns/1/r1/artifacts')).toBeUndefined();
    expect(proxyRoot('/tmp/mlruns/1/r1/artifacts')).toBeUndefined();
    expect(proxyRoot('http://host/other/place')).toBeUndefined();
    expect(unsafePathReason('a/b.txt')).toBeUndefined();
    expect(unsafePathReason('a//b')).toBeDefined();
    expect(unsafePathReason('./a')).toBeDefined();
    expect(unsafePathReason('C:/x')).toBeDefined();
  });
});
