/**
 * MLflow stand-in behaviour beyond the golden cases: static prefix, the CLI process, search
 * filters/order, streamed artifacts, auth permissions, experiment delete cascading to runs.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function call(
  port: number,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const h: Record<string, string | number> = { ...headers };
    if (data) {
      h['Content-Length'] = data.length;
      if (!Buffer.isBuffer(body)) h['Content-Type'] = 'application/json';
    }
    const req = request({ host: '127.0.0.1', port, method, path, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json: () => JSON.parse(buf.toString('utf8')) });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

const API = '/api/2.0/mlflow';
const basic = (u: string, p: string) => ({ Authorization: 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64') });

describe('stand-in core behaviour', () => {
  let server: StandinServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves every route under a static prefix', async () => {
    server = await startStandin({ staticPrefix: '/mlflow' });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/mlflow`);
    expect((await call(server.port, 'GET', '/mlflow/health')).body.toString()).toBe('OK');
    expect((await call(server.port, 'GET', '/health')).status).toBe(404);
    const r = await call(server.port, 'GET', `/mlflow${API}/experiments/get?experiment_id=0`);
    expect(r.json().experiment.name).toBe('Default');
  });

  it('runs as a separate process from the CLI', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/mlflow-standin/cli.ts', '--port', '0', '--workspaces'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`cli exited with ${code}`)));
      });
      const { url } = JSON.parse(line) as { url: string };
      const port = Number(new URL(url).port);
      expect((await call(port, 'GET', '/health')).status).toBe(200);
      expect((await call(port, 'GET', '/api/3.0/mlflow/server-info')).json()).toEqual({ store_type: 'SqlStore', workspaces_enabled: true });
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('filters and orders runs/search', async () => {
    server = await startStandin();
    const p = server.port;
    const exp = (await call(p, 'POST', `${API}/experiments/create`, { name: 'search' })).json().experiment_id;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const run = (await call(p, 'POST', `${API}/runs/create`, { experiment_id: exp, start_time: 1000 + i, run_name: `r${i}` })).json().run.info;
      ids.push(run.run_id);
      await call(p, 'POST', `${API}/runs/log-batch`, {
        run_id: run.run_id,
        metrics: [{ key: 'loss', value: 1 / (i + 1), timestamp: 5, step: 0 }],
        params: [{ key: 'lr', value: i % 2 ? 'high' : 'low' }],
        tags: [{ key: 'team/x', value: `t${i}` }],
      });
    }
    await call(p, 'POST', `${API}/runs/update`, { run_id: ids[1], status: 'FINISHED' });
    const names = async (body: Record<string, unknown>) =>
      ((await call(p, 'POST', `${API}/runs/search`, { experiment_ids: [Number(exp)], ...body })).json().runs ?? []).map(
        (r: { info: { run_name: string } }) => r.info.run_name,
      );
    expect(await names({})).toEqual(['r3', 'r2', 'r1', 'r0']);
    expect(await names({ filter: "attributes.status = 'FINISHED'" })).toEqual(['r1']);
    expect(await names({ filter: "params.lr = 'high' and metrics.loss < 0.4" })).toEqual(['r3']);
    expect(await names({ filter: "tags.`team/x` IN ('t0', 't2')" })).toEqual(['r2', 'r0']);
    expect(await names({ filter: "attributes.run_name LIKE 'r%' AND attributes.start_time >= 1002" })).toEqual(['r3', 'r2']);
    expect(await names({ order_by: ['metrics.loss ASC'] })).toEqual(['r3', 'r2', 'r1', 'r0']);
    expect(await names({ order_by: ['attributes.start_time ASC'], max_results: 3 })).toEqual(['r0', 'r1', 'r2']);
  });

  it('streams artifacts up and down, lists and deletes them', async () => {
    server = await startStandin();
    const p = server.port;
    const big = Buffer.alloc(8 * 1024 * 1024 + 3);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const path = '/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model/weights.bin';
    expect((await call(p, 'PUT', path, big)).status).toBe(200);
    const got = await call(p, 'GET', path);
    expect(got.headers['content-type']).toBe('application/octet-stream');
    expect(got.body.equals(big)).toBe(true);
    const head = await call(p, 'HEAD', path);
    expect(head.headers['content-length']).toBe(String(big.length));
    expect(head.body.length).toBe(0);
    const list = await call(p, 'GET', '/api/2.0/mlflow-artifacts/artifacts?path=1/abc/artifacts/model');
    expect(list.json()).toEqual({ files: [{ path: 'weights.bin', is_dir: false, file_size: big.length }] });
    expect((await call(p, 'DELETE', path)).json()).toEqual({});
    expect((await call(p, 'GET', path)).status).toBe(404);
  });

  it('applies experiment permissions of the basic-auth app', async () => {
    server = await startStandin({ basicAuth: { adminPassword: 'adm-Pass1' } });
    const p = server.port;
    const admin = basic('admin', 'adm-Pass1');
    server.createUser!('writer', 'writer-Pass1');
    const writer = basic('writer', 'writer-Pass1');
    const exp = (await call(p, 'POST', `${API}/experiments/create`, { name: 'perm' }, admin)).json().experiment_id;
    expect((await call(p, 'POST', `${API}/runs/create`, { experiment_id: exp }, writer)).status).toBe(403);
    const grant = await call(p, 'POST', `${API}/experiments/permissions/create`, { experiment_id: exp, username: 'writer', permission: 'EDIT' }, admin);
    expect(grant.json().experiment_permission).toMatchObject({ experiment_id: exp, permission: 'EDIT' });
    const run = await call(p, 'POST', `${API}/runs/create`, { experiment_id: exp }, writer);
    expect(run.status).toBe(200);
    expect((await call(p, 'POST', `${API}/runs/delete`, { run_id: run.json().run.info.run_id }, writer)).status).toBe(403);
    const user = (await call(p, 'GET', `${API}/users/get?username=writer`, undefined, admin)).json().user;
    expect(user.experiment_permissions).toEqual([{ experiment_id: exp, permission: 'EDIT', user_id: user.id }]);
    expect((await call(p, 'GET', '/health')).status).toBe(200);
  });

  it('deleting an experiment deletes its runs; restoring restores them', async () => {
    server = await startStandin();
    const p = server.port;
    const exp = (await call(p, 'POST', `${API}/experiments/create`, { name: 'cascade' })).json().experiment_id;
    const runId = (await call(p, 'POST', `${API}/runs/create`, { experiment_id: exp })).json().run.info.run_id;
    await call(p, 'POST', `${API}/experiments/delete`, { experiment_id: exp });
    expect((await call(p, 'GET', `${API}/runs/get?run_id=${runId}`)).json().run.info.lifecycle_stage).toBe('deleted');
    await call(p, 'POST', `${API}/experiments/restore`, { experiment_id: exp });
    expect((await call(p, 'GET', `${API}/runs/get?run_id=${runId}`)).json().run.info.lifecycle_stage).toBe('active');
  });
});
