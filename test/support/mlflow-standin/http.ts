/**
 * HTTP replies: a handler returns a `Reply`; `sendReply` writes it, optionally as a faulted
 * response (truncated body). Also the web framework's stock pages and request body reading.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { MlflowError } from './errors.js';
import { stringify } from './json.js';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
  /** streamed file download (`open`: from elsewhere than the local disk, e.g. S3) */
  file?: { path: string; size: number; open?: () => Readable };
}

export const HTML = 'text/html; charset=utf-8';

export function json(obj: unknown, status = 200): Reply {
  return { status, headers: { 'Content-Type': 'application/json' }, body: stringify(obj) };
}

export function jsonText(text: string, status = 200): Reply {
  return { status, headers: { 'Content-Type': 'application/json' }, body: text };
}

export function errorReply(e: MlflowError): Reply {
  return json(e.body(), e.status);
}

export function text(status: number, body: string, contentType = HTML, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'Content-Type': contentType, ...headers }, body };
}

const page = (code: number, title: string, p: string) =>
  `<!doctype html>\n<html lang=en>\n<title>${code} ${title}</title>\n<h1>${title}</h1>\n<p>${p}</p>\n`;

export const notFoundPage = (): Reply =>
  text(
    404,
    page(404, 'Not Found', 'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.'),
  );

export const methodNotAllowedPage = (allow: string): Reply =>
  text(405, page(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.'), HTML, { Allow: allow });

export const internalErrorPage = (): Reply =>
  text(
    500,
    page(
      500,
      'Internal Server Error',
      'The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.',
    ),
  );

/** Read a whole request body (JSON endpoints only; artifact uploads are streamed elsewhere). */
export function readBody(req: IncomingMessage, limit = 512 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new MlflowError('INVALID_PARAMETER_VALUE', 'Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Write a reply. `truncate`: announce the full Content-Length, send half the body, drop the connection. */
export function sendReply(res: ServerResponse, reply: Reply, opts: { head: boolean; truncate: boolean }): void {
  if (res.destroyed) return;
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
  const size = reply.file ? reply.file.size : (body?.length ?? 0);
  const headers: Record<string, string | number> = { ...reply.headers };
  if (reply.status !== 204 && reply.status !== 304) headers['Content-Length'] = size;
  res.writeHead(reply.status, headers);
  if (opts.head || reply.status === 204) {
    res.end();
    return;
  }
  const cut = Math.floor(size / 2);
  // truncation: flush what was written, then close the connection (FIN, then a hard close)
  const hangUp = () => {
    const sock = res.socket;
    if (!sock) return;
    sock.end();
    setTimeout(() => sock.destroy(), 200).unref();
  };
  if (opts.truncate && cut === 0) {
    res.flushHeaders();
    hangUp();
    return;
  }
  if (reply.file) {
    if (reply.file.size === 0) {
      res.end();
      return;
    }
    const stream = reply.file.open ? reply.file.open() : createReadStream(reply.file.path, opts.truncate ? { start: 0, end: cut - 1 } : {});
    stream.on('error', () => res.destroy());
    if (opts.truncate) {
      stream.pipe(res, { end: false });
      stream.on('end', () => res.write(Buffer.alloc(0), hangUp));
    } else stream.pipe(res);
    return;
  }
  if (opts.truncate) {
    res.write(body!.subarray(0, cut), hangUp);
    return;
  }
  res.end(body);
}
