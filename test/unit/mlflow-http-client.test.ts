/**
 * The MLflow HTTP client against tiny node:http servers: auth header shapes, workspace header,
 * path prefix, retries (503, 429 + Retry-After, resets, timeouts), error mapping, no secrets.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MlflowHttpClient, retryAfterMs, type RetryEvent } from '../../src/backends/mlflow/http-client.js';
import { parseServerUri } from '../../src/backends/mlflow/uri.js';
import { AuthError, NotFoundError, UnreachableError, UsageError } from '../../src/util/errors.js';
import { MlflowRequestError } from '../../src/backends/mlflow/errors.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen, index: number) => void;

const servers: Array<{ close(): Promise<void> }> = [];
const clients: MlflowHttpClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(entry);
      handler(req, res, entry, seen.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  servers.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return { url: `http://127.0.0.1:${port}`, seen };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function client(
  url: string,
  credentials: { token?: string; username?: string; password?: string } = {},
  extra: { maxRetries?: number; timeoutMs?: number; onRetry?: (e: RetryEvent) => void; maxRetryAfterMs?: number } = {},
): MlflowHttpClient {
  const parsed = parseServerUri(url);
  const c = new MlflowHttpClient({
    origin: parsed.origin,
    prefix: parsed.prefix,
    displayUri: parsed.displayUri,
    credentials,
    retry: {
      maxRetries: extra.maxRetries ?? 3,
      backoffBaseMs: 5,
      jitterMs: 5,
      ...(extra.maxRetryAfterMs !== undefined ? { maxRetryAfterMs: extra.maxRetryAfterMs } : {}),
    },
    ...(extra.timeoutMs !== undefined ? { timeoutMs: extra.timeoutMs } : {}),
    ...(extra.onRetry ? { onRetry: extra.onRetry } : {}),
  });
  clients.push(c);
  return c;
}

const API = '/api/2.0/mlflow/experiments/get-by-name';

describe('mlflow http client: requests', () => {
  it('sends Basic auth when username and password are set, Bearer for a token, nothing otherwise', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 200, {}));
    await client(url, { username: 'alice', password: 's3cret!' }).get(API, { experiment_name: 'x' }, 'get');
    await client(url, { token: 'tok-123' }).get(API, {}, 'get');
    await client(url, { username: 'alice', password: 'pw', token: 'ignored' }).get(API, {}, 'get');
    await client(url, {}).get(API, {}, 'get');
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('alice:s3cret!').toString('base64')}`);
    expect(seen[1]!.headers.authorization).toBe('Bearer tok-123');
    expect(seen[2]!.headers.authorization).toBe(`Basic ${Buffer.from('alice:pw').toString('base64')}`);
    expect(seen[3]!.headers.authorization).toBeUndefined();
  });

  it('sends X-MLFLOW-WORKSPACE only for a non-default workspace', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 200, {}));
    const c = client(url);
    await c.get(API, {}, 'get');
    await c.get(API, {}, 'get', 'default');
    await c.get(API, {}, 'get', 'team-a');
    expect(seen[0]!.headers['x-mlflow-workspace']).toBeUndefined();
    expect(seen[1]!.headers['x-mlflow-workspace']).toBeUndefined();
    expect(seen[2]!.headers['x-mlflow-workspace']).toBe('team-a');
  });

  it('joins the path prefix and percent-encodes query values (space as %20, slash, ampersand)', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 200, {}));
    await client(`${url}/mlflow/`).get(API, { experiment_name: 'team a/exp & more', skip: undefined }, 'get');
    expect(seen[0]!.url).toBe('/mlflow/api/2.0/mlflow/experiments/get-by-name?experiment_name=team%20a%2Fexp%20%26%20more');
  });

  it('posts JSON with Content-Type application/json and parses big integers exactly', async () => {
    const { url, seen } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"metrics": [{"step": 9007199254740993}]}');
    });
    const doc = (await client(url).post('/api/2.0/mlflow/runs/search', { a: 1 }, 'search')) as { metrics: Array<{ step: bigint }> };
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(seen[0]!.body).toBe('{"a":1}');
    expect(doc.metrics[0]!.step).toBe(9007199254740993n);
  });

  it('takes credentials out of the URI and never shows them', () => {
    const parsed = parseServerUri('HTTP://Alice:p%40ss@Example.COM:80/Prefix/');
    expect(parsed.userinfo).toEqual({ username: 'Alice', password: 'p@ss' });
    expect(parsed.displayUri).toBe('http://example.com/Prefix');
    expect(parsed.identity).toBe('mlflow:http://example.com/Prefix');
    expect(parsed.origin).toBe('http://example.com');
    expect(parseServerUri('https://tok@host:443').userinfo).toEqual({ token: 'tok' });
    expect(parseServerUri('https://host:8443').displayUri).toBe('https://host:8443');
    expect(() => parseServerUri('http://user:secret@')).toThrow(UsageError);
    try {
      parseServerUri('http://user:secret@');
    } catch (error) {
      expect(String(error)).not.toContain('secret');
    }
  });
});

describe('mlflow http client: retries', () => {
  it('retries 503 and counts the retries', async () => {
    const events: RetryEvent[] = [];
    const { url, seen } = await serve((_req, res, _s, i) => {
      if (i < 2) json(res, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' });
      else json(res, 200, { ok: true });
    });
    const c = client(url, {}, { onRetry: (e) => events.push(e) });
    expect(await c.get(API, {}, 'experiments/get-by-name')).toEqual({ ok: true });
    expect(seen).toHaveLength(3);
    expect(c.retries).toBe(2);
    expect(events.map((e) => e.attempt)).toEqual([1, 2]);
    expect(events[0]!.reason).toContain('503');
    expect(events[0]!.what).toBe('GET experiments/get-by-name');
  });

  it('honours Retry-After on 429', async () => {
    const { url, seen } = await serve((_req, res, _s, i) => {
      if (i === 0) json(res, 429, { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' }, { 'retry-after': '1' });
      else json(res, 200, {});
    });
    const started = Date.now();
    await client(url).get(API, {}, 'get');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(seen).toHaveLength(2);
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
  });

  it('caps Retry-After', async () => {
    const { url } = await serve((_req, res, _s, i) => {
      if (i === 0) json(res, 503, {}, { 'retry-after': '3600' });
      else json(res, 200, {});
    });
    const started = Date.now();
    await client(url, {}, { maxRetryAfterMs: 50 }).get(API, {}, 'get');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('retries connection resets', async () => {
    const { url, seen } = await serve((req, res, _s, i) => {
      if (i === 0) req.socket.destroy();
      else json(res, 200, { ok: 1 });
    });
    expect(await client(url).post('/api/2.0/mlflow/runs/log-batch', '{}', 'runs/log-batch')).toEqual({ ok: 1 });
    expect(seen).toHaveLength(2);
  });

  it('retries HTML 502 pages from proxies, then reports them without the HTML', async () => {
    const { url, seen } = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>');
    });
    const error = await client(url, {}, { maxRetries: 2 }).get(API, {}, 'get').catch((e: unknown) => e);
    expect(seen).toHaveLength(3);
    expect(error).toBeInstanceOf(MlflowRequestError);
    expect(String(error)).toContain('502 Bad Gateway');
    expect(String(error)).not.toContain('<');
  });

  it('decides on error_code: FEATURE_DISABLED (HTTP 500) is not retried and is a usage error', async () => {
    const { url, seen } = await serve((_req, res) =>
      json(res, 500, { error_code: 'FEATURE_DISABLED', message: 'Workspace APIs are not available: workspaces are not enabled on this server' }),
    );
    const error = await client(url).get(API, {}, 'get', 'team-a').catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(error).toBeInstanceOf(UsageError);
    expect(String(error)).toMatch(/no workspaces.*default\//);
  });

  it('does not retry INVALID_STATE on HTTP 500, but retries INTERNAL_ERROR', async () => {
    const a = await serve((_req, res) => json(res, 500, { error_code: 'INVALID_STATE', message: 'no' }));
    await expect(client(a.url).get(API, {}, 'get')).rejects.toBeInstanceOf(MlflowRequestError);
    expect(a.seen).toHaveLength(1);
    const b = await serve((_req, res, _s, i) => (i === 0 ? json(res, 500, { error_code: 'INTERNAL_ERROR', message: 'db locked' }) : json(res, 200, {})));
    await client(b.url).get(API, {}, 'get');
    expect(b.seen).toHaveLength(2);
  });

  it('does not retry a 503 from a route the server was started without', async () => {
    const { url, seen } = await serve((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/html; charset=utf-8' });
      res.end('Endpoint: /api/3.0/mlflow/workspaces disabled because the server is running without workspaces support.');
    });
    await expect(client(url).get('/api/3.0/mlflow/workspaces/x', {}, 'workspaces/get')).rejects.toThrow(/does not serve/);
    expect(seen).toHaveLength(1);
  });

  it('gives up after maxRetries', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 503, {}));
    const c = client(url, {}, { maxRetries: 4 });
    await expect(c.get(API, {}, 'get')).rejects.toBeInstanceOf(MlflowRequestError);
    expect(seen).toHaveLength(5);
    expect(c.retries).toBe(4);
  });

  it('times out a silent server and reports it as unreachable', async () => {
    const { url, seen } = await serve(() => {
      /* never answers */
    });
    const error = await client(url, {}, { timeoutMs: 200, maxRetries: 1 }).get(API, {}, 'experiments/get-by-name').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect(String(error)).toContain('did not answer');
    expect(seen).toHaveLength(2);
  });

  it('fails fast on a refused connection, naming the URI without credentials', async () => {
    const { url } = await serve((_req, res) => json(res, 200, {}));
    await Promise.all(servers.splice(0).map((s) => s.close()));
    const withCreds = url.replace('http://', 'http://bob:hunter2@');
    const started = Date.now();
    const error = await client(withCreds, { username: 'bob', password: 'hunter2' }, { maxRetries: 7 }).get(API, {}, 'get').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(UnreachableError);
    expect(String(error)).toContain('connection refused');
    expect(String(error)).toContain(url);
    expect(String(error)).not.toContain('hunter2');
  });
});

describe('mlflow http client: error mapping', () => {
  it('maps 401 to AuthError without the secret', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(401, { 'content-type': 'text/html; charset=utf-8', 'www-authenticate': 'Basic realm="mlflow"' });
      res.end('You are not authenticated. hunter2');
    });
    const error = await client(url, { username: 'bob', password: 'hunter2' }).get(API, {}, 'get').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(String(error)).toMatch(/rejected the credentials \(HTTP 401\)/);
    expect(String(error)).not.toContain('hunter2');
    expect(String(error)).not.toContain(Buffer.from('bob:hunter2').toString('base64'));
    const noCreds = await client(url).get(API, {}, 'get').catch((e: unknown) => e);
    expect(String(noCreds)).toContain('no credentials were given');
  });

  it('maps 403 to AuthError (permission)', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(403, { 'content-type': 'text/html; charset=utf-8' });
      res.end('Permission denied');
    });
    const error = await client(url, { token: 'tok-secret' }).post('/api/2.0/mlflow/runs/log-batch', '{}', 'runs/log-batch').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(String(error)).toMatch(/denied permission for runs\/log-batch \(HTTP 403\)/);
    expect(String(error)).not.toContain('tok-secret');
  });

  it('maps RESOURCE_DOES_NOT_EXIST to NotFoundError and redacts echoed secrets', async () => {
    const { url } = await serve((_req, res) => json(res, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no experiment tok-secret' }));
    const error = await client(url, { token: 'tok-secret' }).get(API, {}, 'experiments/get-by-name').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(String(error)).not.toContain('tok-secret');
  });

  it('maps an HTML 404 (wrong prefix, not MLflow) and a non-JSON 200 to UnreachableError', async () => {
    const a = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>404 Not Found</title>');
    });
    await expect(client(a.url).get(API, {}, 'get')).rejects.toThrow(/is this the MLflow tracking server/);
    const b = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login page</html>');
    });
    await expect(client(b.url).get(API, {}, 'get')).rejects.toBeInstanceOf(UnreachableError);
  });

  it('keeps RESOURCE_ALREADY_EXISTS as a typed request error', async () => {
    const { url } = await serve((_req, res) => json(res, 400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: 'exists' }));
    const error = await client(url).post('/api/2.0/mlflow/experiments/create', '{}', 'experiments/create').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowRequestError);
    expect((error as MlflowRequestError).errorCode).toBe('RESOURCE_ALREADY_EXISTS');
    expect((error as MlflowRequestError).status).toBe(400);
  });
});

describe('mlflow http client: closing', () => {
  it('closes even when a streamed answer was never read', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(1024 * 1024));
      // never ends
    });
    const c = client(url);
    const answer = await c.send({ method: 'GET', path: '/api/2.0/mlflow-artifacts/artifacts/x', what: 'download' });
    expect(answer.status).toBe(200);
    const started = Date.now();
    await c.close(200);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('jsonUnused (a write whose answer is not used)', () => {
  it('takes a JSON object or an empty answer without parsing it, and refuses a 200 that is not JSON', async () => {
    const { url, seen } = await serve((req, res) => {
      if (req.url?.endsWith('/html')) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>sign in</html>');
      } else if (req.url?.endsWith('/empty')) {
        res.writeHead(200);
        res.end();
      } else json(res, 200, { trace: { trace_info: { trace_id: 'tr-1' } } });
    });
    const c = client(url);
    await expect(c.jsonUnused({ method: 'POST', path: '/api/3.0/mlflow/traces', json: '{}', what: 'traces/start-v3' })).resolves.toBeUndefined();
    await expect(c.jsonUnused({ method: 'POST', path: '/empty', json: '{}', what: 'traces/set-tag' })).resolves.toBeUndefined();
    await expect(c.jsonUnused({ method: 'POST', path: '/html', json: '{}', what: 'assessments/create' })).rejects.toThrow(UnreachableError);
    expect(seen.map((s) => s.body)).toEqual(['{}', '{}', '{}']);
  });
});
