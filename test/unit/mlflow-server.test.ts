/**
 * The MLflow tracking-server backend against the HTTP stand-in (test/support/mlflow-standin):
 * auth, workspaces, retries under injected faults, long histories, int64 steps, non-finite values,
 * artifact trees, path prefixes, experiment handling.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store, TargetProject } from '../../src/backends/contract.js';
import { createMlflowServerFactory, type MlflowBackendOptions } from '../../src/backends/mlflow/index.js';
import type { KeyValue, MetricPoint, ProjectMeta } from '../../src/model/run.js';
import type { ProjectRef } from '../../src/model/project-ref.js';
import { PROVENANCE } from '../../src/model/provenance.js';
import { AuthError, NotFoundError, UsageError } from '../../src/util/errors.js';
import { startStandin, type StandinOptions, type StandinServer } from '../support/mlflow-standin/index.js';
import { collect, readAll } from '../support/streams.js';

const START = 1_700_000_000_000;
const META: ProjectMeta = { tags: [{ key: 'team', value: 'vision' }], description: 'server tests' };
const FAST_RETRY: MlflowBackendOptions['retry'] = { backoffBaseMs: 2, jitterMs: 2, maxRetryAfterMs: 10 };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function standin(options: StandinOptions = {}): Promise<StandinServer> {
  const server = await startStandin(options);
  cleanups.push(() => server.close());
  return server;
}

async function openStore(
  uri: string,
  credentials: { token?: string; username?: string; password?: string } = {},
  options: MlflowBackendOptions = {},
): Promise<Store> {
  const factory = createMlflowServerFactory({ retry: FAST_RETRY, ...options });
  const store = await factory.open(uri, { credentials, role: 'target' });
  cleanups.push(() => store.close());
  return store;
}

/** A direct REST call to the stand-in (setup steps the backend does not offer). */
async function rest(
  server: StandinServer,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await request(`${server.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { status: res.statusCode, json };
}

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

function provenance(id: string): KeyValue[] {
  return [
    { key: PROVENANCE.runId, value: id },
    { key: PROVENANCE.project, value: 'src/proj' },
  ];
}

function points(count: number, offset = 0): MetricPoint[] {
  return Array.from({ length: count }, (_, i) => ({ value: (i + offset) * 0.5, timestamp: START + i + offset, step: i + offset }));
}

async function target(store: Store, ref: ProjectRef, meta: ProjectMeta = META): Promise<TargetProject> {
  const project = await store.openTarget(ref, meta, { create: true });
  if (!project) throw new Error('no target');
  return project;
}

async function writeMetrics(run: { logMetrics(b: Array<{ key: string; points: MetricPoint[] }>): Promise<void> }, key: string, all: MetricPoint[]): Promise<void> {
  for (let i = 0; i < all.length; i += 1000) await run.logMetrics([{ key, points: all.slice(i, i + 1000) }]);
}

const done = (deleted = false) => ({
  status: 'FINISHED' as const,
  endTime: START + 10,
  deleted,
  marker: { key: PROVENANCE.completed, value: '2026-01-01T00:00:00Z' },
});

describe('mlflow backend: authentication', () => {
  it('works with HTTP Basic credentials, given separately or in the URI (never shown)', async () => {
    const server = await standin({ basicAuth: { adminPassword: 'adm-Pw-9' } });
    const store = await openStore(server.url, { username: 'admin', password: 'adm-Pw-9' });
    const project = await target(store, { workspace: 'default', project: 'auth/ok' });
    const run = await project.createRun({ name: 'r', startTime: START, tags: provenance('a'), source: { project: 'src/proj', runId: 'a' } });
    await run.finish(done());

    const inUri = server.url.replace('http://', 'http://admin:adm-Pw-9@');
    const store2 = await openStore(inUri);
    expect(store2.displayUri).toBe(server.url);
    expect(store2.displayUri).not.toContain('adm-Pw-9');
    const source = await store2.openSource({ workspace: 'default', project: 'auth/ok' });
    expect((await collect(source.listRuns({ includeDeleted: false }))).map((r) => r.name)).toEqual(['r']);
  });

  it('rejects a wrong password before anything is written, without the secret in the message', async () => {
    const server = await standin({ basicAuth: { adminPassword: 'adm-Pw-9' } });
    const store = await openStore(server.url, { username: 'admin', password: 'WRONG-secret-77' });
    const error = await store.openTarget({ workspace: 'default', project: 'auth/bad' }, META, { create: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(String(error)).toContain('rejected the credentials (HTTP 401)');
    expect(String(error)).toContain(server.url);
    expect(String(error)).not.toContain('WRONG-secret-77');
    expect(String(error)).not.toContain(Buffer.from('admin:WRONG-secret-77').toString('base64'));
    await expect(store.openSource({ workspace: 'default', project: 'auth/bad' })).rejects.toBeInstanceOf(AuthError);
    expect(server.stats().byRoute['experiments/create'] ?? 0).toBe(0);
    const check = await rest(server, 'GET', '/api/2.0/mlflow/experiments/get-by-name?experiment_name=auth%2Fbad', undefined, basic('admin', 'adm-Pw-9'));
    expect(check.status).toBe(404);
  });

  it('sends a bearer token, which the basic-auth app refuses (AuthError, token not shown)', async () => {
    const server = await standin({ basicAuth: { adminPassword: 'adm-Pw-9' } });
    const store = await openStore(server.url, { token: 'bearer-TOKEN-123' });
    const error = await store.openSource({ workspace: 'default', project: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(String(error)).not.toContain('bearer-TOKEN-123');
  });

  it('reports 403 as a permission AuthError for a read-only user writing into a foreign experiment', async () => {
    const server = await standin({ basicAuth: { adminPassword: 'adm-Pw-9' } });
    server.createUser!('reader', 'reader-Pw-1');
    const admin = await openStore(server.url, { username: 'admin', password: 'adm-Pw-9' });
    const adminProject = await target(admin, { workspace: 'default', project: 'shared' });
    const run = await adminProject.createRun({ name: 'r', startTime: START, tags: provenance('x'), source: { project: 'src/proj', runId: 'x' } });
    await run.finish(done());

    const reader = await openStore(server.url, { username: 'reader', password: 'reader-Pw-1' });
    const source = await reader.openSource({ workspace: 'default', project: 'shared' });
    expect(await collect(source.listRuns({ includeDeleted: false }))).toHaveLength(1);
    const readerTarget = (await reader.openTarget({ workspace: 'default', project: 'shared' }, META, { create: true }))!;
    const error = await readerTarget
      .createRun({ name: 'no', startTime: START, tags: provenance('y'), source: { project: 'src/proj', runId: 'y' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(String(error)).toMatch(/denied permission for runs\/create \(HTTP 403\)/);
    expect(String(error)).not.toContain('reader-Pw-1');
  });
});

describe('mlflow backend: workspaces', () => {
  async function createWorkspace(server: StandinServer, name: string): Promise<void> {
    const res = await rest(server, 'POST', '/api/3.0/mlflow/workspaces', { name });
    expect(res.status).toBe(201);
  }

  it('writes and reads a project in a named workspace through the header, files included', async () => {
    const server = await standin({ workspaces: true });
    await createWorkspace(server, 'team-a');
    const store = await openStore(server.url);
    const ref = { workspace: 'team-a', project: 'ws/proj' };
    const project = await target(store, ref);
    const run = await project.createRun({ name: 'in-ws', startTime: START, tags: provenance('w1'), source: { project: 'src/proj', runId: 'w1' } });
    await run.logParams([{ key: 'p', value: '1' }]);
    await writeMetrics(run, 'm', points(10));
    await run.writeFile('dir/a.txt', Readable.from([Buffer.from('in ws')]), 5);
    await run.finish(done());

    await expect(store.openSource({ workspace: 'default', project: 'ws/proj' })).rejects.toBeInstanceOf(NotFoundError);
    const source = await store.openSource(ref);
    const [info] = await collect(source.listRuns({ includeDeleted: false }));
    expect(info!.artifactUri).toMatch(/^mlflow-artifacts:\/workspaces\/team-a\//);
    const read = await source.openRun(info!);
    expect(await collect(read.files())).toEqual([{ path: 'dir/a.txt', size: 5 }]);
    expect((await readAll(await read.openFile('dir/a.txt'))).toString()).toBe('in ws');
    expect((await collect(read.metricHistory('m'))).flat()).toHaveLength(10);
  });

  it('uploads into the run in the default workspace of a workspaces server (workspaces/default/... path)', async () => {
    const server = await standin({ workspaces: true });
    const store = await openStore(server.url);
    const ref = { workspace: 'default', project: 'dflt' };
    const project = await target(store, ref);
    const run = await project.createRun({ name: 'd', startTime: START, tags: provenance('d1'), source: { project: 'src/proj', runId: 'd1' } });
    await run.writeFile('x.bin', Readable.from([Buffer.from([1, 2, 3])]), 3);
    await run.finish(done());
    const source = await store.openSource(ref);
    const [info] = await collect(source.listRuns({ includeDeleted: false }));
    expect(info!.artifactUri).toMatch(/^mlflow-artifacts:\/workspaces\/default\//);
    const read = await source.openRun(info!);
    expect(await collect(read.files())).toEqual([{ path: 'x.bin', size: 3 }]);
    expect([...(await readAll(await read.openFile('x.bin')))]).toEqual([1, 2, 3]);
  });

  it('names an unknown workspace', async () => {
    const server = await standin({ workspaces: true });
    const store = await openStore(server.url);
    const error = await store.openSource({ workspace: 'nope', project: 'p' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(String(error)).toContain(`workspace 'nope' not found on ${server.url}`);
    await expect(store.openTarget({ workspace: 'nope', project: 'p' }, META, { create: true })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('says a server without workspaces needs default/PROJECT, quickly and without writing', async () => {
    const server = await standin();
    const store = await openStore(server.url, {}, { retry: { backoffBaseMs: 500 } });
    const started = Date.now();
    const error = await store.openTarget({ workspace: 'team-a', project: 'p' }, META, { create: true }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error).toBeInstanceOf(UsageError);
    expect(String(error)).toMatch(/has no workspaces.*use default\/p/);
    expect(server.stats().byRoute['experiments/create'] ?? 0).toBe(0);
  });

  it('never sends the workspace header for default (a plain server refuses any)', async () => {
    const server = await standin();
    const store = await openStore(server.url);
    const project = await target(store, { workspace: 'default', project: 'plain' });
    const run = await project.createRun({ name: 'p', startTime: START, tags: provenance('p1'), source: { project: 'src/proj', runId: 'p1' } });
    await run.writeFile('f', Readable.from([Buffer.from('x')]), 1);
    await run.finish(done());
  });
});

describe('mlflow backend: retries under injected faults', () => {
  it('copies and reads back exactly while the server answers 503, 429 (Retry-After), resets and cut-off bodies', async () => {
    const server = await standin();
    const retries: string[] = [];
    const store = await openStore(server.url, {}, { onRetry: (e) => retries.push(e.reason), historyPageSize: 700 });
    const ref = { workspace: 'default', project: 'faulty' };
    const project = await target(store, ref);
    server.setFaults({ rate: 0.3, seed: 11, kinds: ['503', '429', 'reset'], retryAfterSeconds: 0 });
    const run = await project.createRun({ name: 'f', startTime: START, tags: provenance('f1'), source: { project: 'src/proj', runId: 'f1' } });
    await run.logParams([{ key: 'lr', value: '0.1' }]);
    await run.setTags([{ key: 't', value: 'v' }]);
    const history = points(5000);
    await writeMetrics(run, 'loss', history);
    const small = randomBytes(100_000);
    await run.writeFile('blob.bin', Readable.from([small]), small.length);
    await run.finish(done());

    server.setFaults({ rate: 0.3, seed: 5, kinds: ['503', '429', 'reset', 'truncate'], retryAfterSeconds: 0 });
    const source = await store.openSource(ref);
    const infos = await collect(source.listRuns({ includeDeleted: false }));
    expect(infos).toHaveLength(1);
    const read = await source.openRun(infos[0]!);
    const got = (await collect(read.metricHistory('loss'))).flat();
    expect(got).toEqual(history);
    expect(await read.params()).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(await collect(read.files())).toEqual([{ path: 'blob.bin', size: small.length }]);
    expect((await readAll(await read.openFile('blob.bin'))).equals(small)).toBe(true);
    server.setFaults(undefined);

    expect(store.retryCount?.()).toBeGreaterThan(5);
    expect(store.retryCount?.()).toBe(retries.length);
    expect(retries.some((r) => r.includes('503'))).toBe(true);
    expect(retries.some((r) => r.includes('429'))).toBe(true);
    expect(retries.some((r) => /ECONNRESET|UND_ERR_SOCKET|EPIPE/.test(r))).toBe(true);
    expect(retries.some((r) => r.includes('while reading the answer'))).toBe(true);
    const faults = server.stats().faults;
    expect(Object.values(faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
  });

  it('discards the twin a retried runs/create left behind', async () => {
    const server = await standin();
    const store = await openStore(server.url);
    const ref = { workspace: 'default', project: 'twins' };
    const project = await target(store, ref);
    server.setFaults({ rate: 0.5, seed: 3, kinds: ['truncate'] });
    const created: string[] = [];
    for (let i = 0; i < 8; i++) {
      const run = await project.createRun({ name: `r${i}`, startTime: START + i, tags: provenance(`s${i}`), source: { project: 'src/proj', runId: `s${i}` } });
      created.push(run.runId);
    }
    server.setFaults(undefined);
    expect(store.retryCount?.()).toBeGreaterThan(0);
    const copies = await collect(project.listCopies());
    for (let i = 0; i < 8; i++) {
      const forSource = copies.filter((c) => c.sourceRunId === `s${i}`);
      expect(forSource.map((c) => c.targetRunId)).toEqual([created[i]]);
    }
    const source = await store.openSource(ref);
    const all = await collect(source.listRuns({ includeDeleted: true }));
    expect(all.length).toBeGreaterThan(8);
    expect(all.filter((r) => !r.deleted)).toHaveLength(8);
  });

  it('lists a copy discarded by a process killed before its delete as partial, so it is discarded again', async () => {
    const server = await standin();
    const store = await openStore(server.url);
    const ref = { workspace: 'default', project: 'half-discarded' };
    const project = await target(store, ref);
    const run = await project.createRun({ name: 'r', startTime: START, tags: provenance('s1'), source: { project: 'src/proj', runId: 's1' } });
    // What discardRun's first step leaves when the process dies before runs/delete.
    await rest(server, 'POST', '/api/2.0/mlflow/runs/set-tag', { run_id: run.runId, key: 'runs_migrator.discarded', value: 'x' });
    expect((await collect(project.listCopies())).find((c) => c.targetRunId === run.runId)).toMatchObject({ complete: false, deleted: false });
    await project.discardRun(run.runId);
    expect((await collect(project.listCopies())).find((c) => c.targetRunId === run.runId)).toBeUndefined();
  });
});

describe('mlflow backend: metric data', () => {
  it('pages a 100k-point history in max_results batches', async () => {
    const server = await standin();
    const store = await openStore(server.url, {}, { historyPageSize: 30_000 });
    const ref = { workspace: 'default', project: 'long' };
    const project = await target(store, ref);
    const run = await project.createRun({ name: 'long', startTime: START, tags: provenance('l'), source: { project: 'src/proj', runId: 'l' } });
    const history = points(100_000);
    await writeMetrics(run, 'm', history);
    await run.finish(done());
    const source = await store.openSource(ref);
    const [info] = await collect(source.listRuns({ includeDeleted: false }));
    const read = await source.openRun(info!);
    const batches = await collect(read.metricHistory('m'));
    expect(batches.map((b) => b.length)).toEqual([30_000, 30_000, 30_000, 10_000]);
    expect(batches.flat()).toEqual(history);
    expect(server.stats().byRoute['metrics/get-history']).toBe(4);
  });

  it('round-trips int64 steps beyond 2^53, negative steps, NaN and clamps infinities', async () => {
    const server = await standin();
    const store = await openStore(server.url);
    const ref = { workspace: 'default', project: 'numbers' };
    const project = await target(store, ref);
    const run = await project.createRun({ name: 'n', startTime: START, tags: provenance('n'), source: { project: 'src/proj', runId: 'n' } });
    const sent: MetricPoint[] = [
      { value: Number.NaN, timestamp: START, step: -5 },
      { value: Number.POSITIVE_INFINITY, timestamp: START + 1, step: 9_007_199_254_740_993n },
      { value: Number.NEGATIVE_INFINITY, timestamp: START + 2, step: 9_223_372_036_854_775_807n },
      { value: 5e-324, timestamp: START + 3, step: 2 ** 53 - 1 },
      { value: -1.5, timestamp: START + 4, step: -9_223_372_036_854_775_808n },
    ];
    await run.logMetrics([{ key: 'x', points: sent }]);
    await run.finish(done());
    const source = await store.openSource(ref);
    const [info] = await collect(source.listRuns({ includeDeleted: false }));
    const read = await source.openRun(info!);
    const got = (await collect(read.metricHistory('x'))).flat().sort((a, b) => a.timestamp - b.timestamp);
    expect(got.map((p) => p.step)).toEqual([-5, 9_007_199_254_740_993n, 9_223_372_036_854_775_807n, 2 ** 53 - 1, -9_223_372_036_854_775_808n]);
    expect(Number.isNaN(got[0]!.value)).toBe(true);
    expect(got[1]!.value).toBe(Number.MAX_VALUE);
    expect(got[2]!.value).toBe(-Number.MAX_VALUE);
    expect(got[3]!.value).toBe(5e-324);
    expect(got[4]!.value).toBe(-1.5);
  });
});

describe('mlflow backend: artifacts', () => {
  it('uploads and downloads a nested tree with binary bytes, odd names and a file above the buffer limit', async () => {
    const server = await standin({ staticPrefix: '/mlflow' });
    expect(server.url.endsWith('/mlflow')).toBe(true);
    const store = await openStore(`${server.url}/`);
    const ref = { workspace: 'default', project: 'files' };
    const project = await target(store, ref);
    const run = await project.createRun({ name: 'files', startTime: START, tags: provenance('files'), source: { project: 'src/proj', runId: 'files' } });
    const tree: Array<{ path: string; bytes: Buffer }> = [
      { path: 'model/weights.bin', bytes: randomBytes(3 * 1024 * 1024) },
      { path: 'model/big/blob.bin', bytes: randomBytes(9 * 1024 * 1024) },
      { path: 'a b/ümlaut (1) %20 & +.txt', bytes: Buffer.from('odd name\n') },
      { path: 'deep/x/y/z/empty', bytes: Buffer.alloc(0) },
      { path: 'root.txt', bytes: Buffer.from([0, 255, 10, 13, 0]) },
    ];
    for (const file of tree) await run.writeFile(file.path, Readable.from([file.bytes]), file.bytes.length);
    await run.finish(done());

    const source = await store.openSource(ref);
    const [info] = await collect(source.listRuns({ includeDeleted: false }));
    const read = await source.openRun(info!);
    const listed = await collect(read.files());
    expect(listed.map((f) => f.path).sort()).toEqual(tree.map((f) => f.path).sort());
    for (const file of tree) {
      expect(listed.find((f) => f.path === file.path)!.size).toBe(file.bytes.length);
      const got = await readAll(await read.openFile(file.path));
      expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(file.bytes).digest('hex'));
    }
  });

  it('refuses a stream that does not hold the announced size, and paths MLflow refuses', async () => {
    const server = await standin();
    const store = await openStore(server.url);
    const project = await target(store, { workspace: 'default', project: 'short' });
    const run = await project.createRun({ name: 's', startTime: START, tags: provenance('s'), source: { project: 'src/proj', runId: 's' } });
    await expect(run.writeFile('f.txt', Readable.from([Buffer.from('abc')]), 10)).rejects.toThrow(/announced 10 bytes/);
    await expect(run.writeFile('../escape.txt', Readable.from([Buffer.from('abc')]), 3)).rejects.toThrow(/refusing/);
    await expect(run.writeFile('a#b.txt', Readable.from([Buffer.from('abc')]), 3)).rejects.toThrow(/'#'/);
    const size = 9 * 1024 * 1024;
    let pushed = 0;
    const failing = new Readable({
      read() {
        if (pushed++ < 3) this.push(Buffer.alloc(1024 * 1024));
        else this.destroy(new Error('source connection lost'));
      },
    });
    await expect(run.writeFile('big.bin', failing, size)).rejects.toThrow(/reading 'big.bin' from the source failed.*source connection lost/);
  });
});

describe('mlflow backend: projects and runs', () => {
  it('lists runs oldest first, passes the native filter through, and reads inputs', async () => {
    const server = await standin();
    const store = await openStore(server.url, {}, { searchPageSize: 2 });
    const ref = { workspace: 'default', project: 'order' };
    const project = await target(store, ref);
    for (const [i, offset] of [3, 1, 4, 0, 2].entries()) {
      const run = await project.createRun({ name: `r${offset}`, startTime: START + offset * 1000, tags: provenance(`o${i}`), source: { project: 'src/proj', runId: `o${i}` } });
      await run.logParams([{ key: 'parity', value: offset % 2 === 0 ? 'even' : 'odd' }]);
      await run.logInputs([{ dataset: { name: `ds${offset}`, digest: 'd', sourceType: 'local', source: '{}' }, tags: [{ key: 'mlflow.data.context', value: 'training' }] }]);
      await run.finish(done());
    }
    const source = await store.openSource(ref);
    expect(source.meta).toMatchObject({ tags: [{ key: 'team', value: 'vision' }], description: 'server tests' });
    const all = await collect(source.listRuns({ includeDeleted: false }));
    expect(all.map((r) => r.name)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    const even = await collect(source.listRuns({ includeDeleted: false, filter: "params.parity = 'even'" }));
    expect(even.map((r) => r.name)).toEqual(['r0', 'r2', 'r4']);
    await expect(collect(source.listRuns({ includeDeleted: false, filter: 'params.parity ==== 1' }))).rejects.toBeInstanceOf(UsageError);
    const run = await source.openRun(even[1]!);
    expect((await run.inputs()).map((i) => i.dataset.name)).toEqual(['ds2']);
    expect(run.info).toMatchObject({ name: 'r2', startTime: START + 2000, endTime: START + 10, status: 'FINISHED', deleted: false });
  });

  it('creates the experiment once under a race, adds missing tags to an existing one and keeps differing values', async () => {
    const server = await standin();
    const store = await openStore(server.url);
    const ref = { workspace: 'default', project: 'race' };
    const [a, b] = await Promise.all([
      store.openTarget(ref, META, { create: true }),
      store.openTarget(ref, META, { create: true }),
    ]);
    expect(a!.id).toBe(b!.id);
    await store.openTarget(ref, { tags: [{ key: 'team', value: 'other' }, { key: 'new', value: 'tag' }], description: 'changed' }, { create: true });
    const meta = (await store.openSource(ref)).meta;
    expect(new Map(meta.tags.map((t) => [t.key, t.value]))).toEqual(new Map([['team', 'vision'], ['new', 'tag']]));
    expect(meta.description).toBe('server tests');
  });

  it('dry run: create=false on a missing project writes nothing', async () => {
    const server = await standin();
    const store = await openStore(server.url);
    expect(await store.openTarget({ workspace: 'default', project: 'dry' }, META, { create: false })).toBeUndefined();
    const stats = server.stats().byRoute;
    expect(Object.keys(stats).filter((k) => !/get-by-name/.test(k))).toEqual([]);
  });

  it('refuses a deleted experiment as target (no silent restore) and as source', async () => {
    const server = await standin();
    const store = await openStore(server.url);
    const ref = { workspace: 'default', project: 'gone' };
    const project = await target(store, ref);
    expect((await rest(server, 'POST', '/api/2.0/mlflow/experiments/delete', { experiment_id: project.id })).status).toBe(200);
    const asTarget = await store.openTarget(ref, META, { create: true }).catch((e: unknown) => e);
    expect(asTarget).toBeInstanceOf(UsageError);
    expect(String(asTarget)).toMatch(/is deleted.*restore it/);
    const asSource = await store.openSource(ref).catch((e: unknown) => e);
    expect(asSource).toBeInstanceOf(NotFoundError);
    expect(String(asSource)).toContain('is deleted');
    const unknown = await store.openSource({ workspace: 'default', project: 'never' }).catch((e: unknown) => e);
    expect(String(unknown)).toBe(`NotFoundError: experiment 'never' not found in workspace 'default' on ${server.url}`);
  });

  it('keeps status, end time and deletion, and always sends a start time', async () => {
    const server = await standin();
    const store = await openStore(server.url);
    const ref = { workspace: 'default', project: 'lifecycle' };
    const project = await target(store, ref);
    const before = Date.now();
    const noStart = await project.createRun({ tags: provenance('ns'), source: { project: 'src/proj', runId: 'ns' } });
    await noStart.finish({ status: 'KILLED', deleted: true, marker: { key: PROVENANCE.completed, value: 'x' } });
    const source = await store.openSource(ref);
    const [info] = await collect(source.listRuns({ includeDeleted: true }));
    expect(info!.startTime).toBeGreaterThanOrEqual(before);
    expect(info!.status).toBe('KILLED');
    expect(info!.deleted).toBe(true);
    const copies = await collect(project.listCopies());
    expect(copies).toEqual([{ sourceProject: 'src/proj', sourceRunId: 'ns', targetRunId: noStart.runId, complete: true, deleted: true }]);
  });
});
