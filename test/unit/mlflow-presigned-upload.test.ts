/**
 * Writing a file of an s3:// run through the server's presigned-upload-url, against real HTTP
 * servers on loopback: the server answers a URL, the bytes go to that URL with the headers it
 * named, and a refusal names the store's answer but never the signed URL.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MlflowHttpClient } from '../../src/backends/mlflow/http-client.js';
import { writeThroughPresignedUrl } from '../../src/backends/mlflow/store-artifacts.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function serve(handler: (req: IncomingMessage, body: Buffer) => { status: number; body: string }): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = handler(req, Buffer.concat(chunks));
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(url: string): MlflowHttpClient {
  return new MlflowHttpClient({ origin: url, prefix: '', displayUri: url, credentials: {}, retry: { maxRetries: 0 } });
}

describe('presigned uploads', () => {
  it('PUTs the bytes to the URL the server signed, with the headers it named', async () => {
    const received: Array<{ url: string; type?: string; body: string }> = [];
    const store = await serve((req, body) => {
      received.push({ url: req.url!, type: req.headers['content-type'], body: body.toString() });
      return { status: 200, body: '' };
    });
    const tracking = await serve((req, body) => {
      expect(req.url).toBe('/api/2.0/mlflow/artifacts/presigned-upload-url');
      expect(JSON.parse(body.toString())).toEqual({ run_id: 'r1', path: 'dir/a.txt' });
      return { status: 200, body: JSON.stringify({ presigned_url: `${store}/bucket/key/dir/a.txt?X-Amz-Signature=abc`, headers: { 'Content-Type': 'text/plain' } }) };
    });
    await writeThroughPresignedUrl(client(tracking), 'r1', 'dir/a.txt', Readable.from([Buffer.from('hello')]), 5, 'default');
    expect(received).toEqual([{ url: '/bucket/key/dir/a.txt?X-Amz-Signature=abc', type: 'text/plain', body: 'hello' }]);
  });

  it('a refused upload fails with the store answer, never the signature', async () => {
    const store = await serve(() => ({ status: 403, body: '<Error><Code>SignatureDoesNotMatch</Code></Error>' }));
    const tracking = await serve(() => ({ status: 200, body: JSON.stringify({ presigned_url: `${store}/b/k?X-Amz-Signature=SECRETSIG`, headers: {} }) }));
    const failure = await writeThroughPresignedUrl(client(tracking), 'r1', 'a.bin', Readable.from([Buffer.from('x')]), 1, 'default').catch((e: Error) => e);
    expect((failure as Error).message).toMatch(/HTTP 403 SignatureDoesNotMatch/);
    expect((failure as Error).message).not.toContain('SECRETSIG');
  });
});
