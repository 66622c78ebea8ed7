/**
 * A small HTTP forwarder on 127.0.0.1 between a client and a real server (moto_server in the
 * tests) that breaks chosen requests: the connection is dropped after part of the request body
 * arrived, as a flaky network or a load balancer cuts an upload. Every request is recorded
 * (method, path, query, whether it was broken) so a test can say what the client sent again.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  broken: boolean;
}

export interface BreakingProxy {
  endpoint: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** `shouldBreak` is asked once per request; true drops that request's connection mid-body. */
export async function startBreakingProxy(upstream: string, shouldBreak: (req: SeenRequest) => boolean): Promise<BreakingProxy> {
  const target = new URL(upstream);
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const entry: SeenRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, broken: false };
    seen.push(entry);
    if (shouldBreak(entry)) {
      entry.broken = true;
      // Take some of the body, then cut the connection without an answer.
      let taken = 0;
      req.on('data', (chunk: Buffer) => {
        taken += chunk.length;
        if (taken >= 64 * 1024) req.socket.destroy();
      });
      req.on('end', () => req.socket.destroy());
      return;
    }
    const forward = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
