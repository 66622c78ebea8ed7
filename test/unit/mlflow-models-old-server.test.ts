/**
 * A tracking server older than MLflow 3 has no logged-models routes (Flask's 404 page): the
 * source then simply has no logged models, instead of failing the copy after its runs.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowHttpClient } from '../../src/backends/mlflow/http-client.js';
import { searchLoggedModels } from '../../src/backends/mlflow/models.js';
import { collect } from '../support/streams.js';

const NOT_FOUND_PAGE = '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n';

describe('logged models on a server before MLflow 3', () => {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end(NOT_FOUND_PAGE);
  });
  let client: MlflowHttpClient;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new MlflowHttpClient({ origin, prefix: '', displayUri: origin, credentials: {}, retry: { maxRetries: 0 } });
  });
  afterAll(async () => {
    await client.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('lists no logged models when the route does not exist', async () => {
    expect(await collect(searchLoggedModels(client, 'default', '1'))).toEqual([]);
  });
});
