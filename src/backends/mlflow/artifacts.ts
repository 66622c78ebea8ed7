/**
 * Run artifacts through the tracking server: listing with `artifacts/list` (one level per call),
 * download and upload through the artifact proxy `/api/2.0/mlflow-artifacts/artifacts/<path>`,
 * where <path> is the path of the run's `artifact_uri` (reference facts 41-45) plus the file's
 * relative path. On a workspaces server the artifact URI already holds `workspaces/<ws>/...` and
 * the proxy path must follow it, even for the default workspace (golden README, contradiction 4).
 *
 * A run whose artifact URI is a direct store (s3://, gs://, file:, ...) cannot be read or written
 * through the REST API: reads report it as a ReadIssue, writes throw.
 */
import { Readable } from 'node:stream';
import type { FileEntry } from '../../model/run.js';
import type { ReadIssue } from '../contract.js';
import type { MlflowHttpClient } from './http-client.js';
import { asArray, asRecord, toMillis, toStr } from './json.js';

export const ARTIFACT_PROXY_PATH = '/api/2.0/mlflow-artifacts/artifacts';
const LIST_PATH = '/api/2.0/mlflow/artifacts/list';

/**
 * Files of one run read or written at once through the server (each its own request on the
 * client's pool of keep-alive sockets; bench/artifacts.ts measures the gain).
 */
export const FILES_AT_ONCE = 4;
/** Files up to this size are buffered before upload so that a failed upload can be retried. */
export const UPLOAD_BUFFER_LIMIT = 8 * 1024 * 1024;
/**
 * Bytes a streamed download reads from its socket ahead of its consumer (per file in flight): the
 * download keeps going while the upload's socket drains, instead of the two waiting on each other
 * one small chunk at a time (bench/artifacts.ts). Held in the answer's own stream, so it costs no
 * extra stream hop.
 */
export const STREAM_READ_AHEAD = 8 * 1024 * 1024;
/** Files up to this size are downloaded whole so that a cut-off download can be retried. */
export const DOWNLOAD_BUFFER_LIMIT = 8 * 1024 * 1024;

/**
 * The proxy path (no leading or trailing slash) of an artifact URI, or undefined when the URI
 * names a store the tracking server's REST API does not serve.
 */
export function proxyRoot(artifactUri: string | undefined): string | undefined {
  if (!artifactUri) return undefined;
  const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)?$/i.exec(artifactUri);
  if (proxied) return trimSlashes(proxied[1] ?? '');
  const http = /^https?:\/\/[^/]+(\/.*)$/i.exec(artifactUri);
  if (http) {
    const marker = '/api/2.0/mlflow-artifacts/artifacts';
    const path = http[1]!;
    const at = path.indexOf(marker);
    if (at >= 0) {
      const rest = path.slice(at + marker.length);
      if (rest === '' || rest.startsWith('/')) return trimSlashes(safeDecode(rest));
    }
  }
  return undefined;
}

/** Why the REST API cannot reach an artifact URI (for messages). */
export function directStoreReason(artifactUri: string | undefined): string {
  if (!artifactUri) return 'the run has no artifact URI';
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(artifactUri)?.[1]?.toLowerCase();
  const kind = scheme ? `${scheme}:` : 'a local path';
  return (
    `the run's artifacts live in ${kind} storage (${artifactUri}), which the tracking server does not serve ` +
    `through its artifact proxy; copy them with that store's own tools, or serve artifacts through the server (--serve-artifacts)`
  );
}

/** Why a relative artifact path is unsafe, or undefined when it is a clean relative POSIX path. */
export function unsafePathReason(path: string): string | undefined {
  if (path === '') return 'empty path';
  if (path.includes('\\')) return 'path holds a backslash';
  if (path.includes('\0')) return 'path holds a NUL byte';
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) return 'absolute path';
  for (const segment of path.split('/')) {
    if (segment === '..') return "path has a '..' segment";
    if (segment === '' || segment === '.') return 'path is not normalised (empty or . segment)';
  }
  return undefined;
}

/** Percent-encode each segment of a relative path, keeping the slashes. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

export function proxyFilePath(root: string, relative: string): string {
  const joined = root === '' ? relative : `${root}/${relative}`;
  return `${ARTIFACT_PROXY_PATH}/${encodePath(joined)}`;
}

/**
 * Walk the run's artifact tree depth-first. Hostile entries (absolute, `..`, backslash, a child
 * outside its directory) are recorded in `issues` and never followed.
 */
export async function* listArtifacts(
  client: MlflowHttpClient,
  runId: string,
  workspace: string,
  issues: ReadIssue[],
): AsyncGenerator<FileEntry> {
  const pending: string[] = [''];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const dir = pending.pop()!;
    const files: Array<{ path: string; isDir: boolean; size?: number; rawSize?: unknown }> = [];
    let pageToken: string | undefined;
    const tokens = new Set<string>();
    do {
      const doc = asRecord(
        await client.get(
          LIST_PATH,
          { run_id: runId, path: dir === '' ? undefined : dir, page_token: pageToken },
          'artifacts/list',
          workspace,
        ),
      );
      for (const item of asArray(doc.files)) {
        const rec = asRecord(item);
        const path = toStr(rec.path);
        if (path === undefined) continue;
        // proto3 JSON leaves a field out at its default: no file_size is a 0-byte file, no is_dir a file.
        const size = rec.file_size === undefined ? 0 : toMillis(rec.file_size);
        files.push({ path, isDir: rec.is_dir === true, rawSize: rec.file_size, ...(size !== undefined ? { size } : {}) });
      }
      const next = toStr(doc.next_page_token);
      pageToken = next && !tokens.has(next) ? next : undefined;
      if (next) tokens.add(next);
    } while (pageToken !== undefined);

    // Depth-first, in listing order: push directories in reverse.
    const dirs: string[] = [];
    for (const file of files) {
      const reason = unsafePathReason(file.path);
      if (reason !== undefined) {
        issues.push({ field: `files/${file.path}`, reason: `unsafe artifact path listed by the server (${reason}); not copied` });
        continue;
      }
      if (dir !== '' && !file.path.startsWith(`${dir}/`)) {
        issues.push({
          field: `files/${file.path}`,
          reason: `the server listed '${file.path}' inside directory '${dir}'; not copied`,
        });
        continue;
      }
      // An S3 directory marker (a key ending in '/') lists as a 0-byte file named after its own
      // directory (golden artifacts-s3-direct-list): a folder, not a file.
      if (!file.isDir && file.path === dir) continue;
      if (seen.has(file.path)) continue;
      seen.add(file.path);
      if (file.isDir) {
        dirs.push(file.path);
      } else if (file.size === undefined || !Number.isSafeInteger(file.size) || file.size < 0) {
        issues.push({ field: `files/${file.path}`, reason: `the server listed the file with an unreadable size (${JSON.stringify(file.rawSize)}); not copied` });
      } else {
        yield { path: file.path, size: file.size };
      }
    }
    for (let i = dirs.length - 1; i >= 0; i--) pending.push(dirs[i]!);
  }
}

/**
 * One file through the artifact proxy. A file known to be small is read whole inside the retry
 * loop (an answer cut off mid-body is asked again); others are streamed, so a failure mid-stream
 * surfaces as a stream error.
 */
export async function downloadArtifact(
  client: MlflowHttpClient,
  root: string,
  path: string,
  workspace: string,
  knownSize: number | undefined,
): Promise<Readable> {
  const spec = { method: 'GET', path: proxyFilePath(root, path), workspace, what: `artifact download of '${path}'` } as const;
  if (knownSize !== undefined && knownSize <= DOWNLOAD_BUFFER_LIMIT) {
    return Readable.from([await client.bytes(spec)], { objectMode: false });
  }
  return (await client.send({ ...spec, readAhead: STREAM_READ_AHEAD })).body;
}

/** Upload one file through the artifact proxy (buffered below UPLOAD_BUFFER_LIMIT for retries). */
export async function uploadArtifact(
  client: MlflowHttpClient,
  root: string,
  path: string,
  data: Readable,
  size: number,
  workspace: string,
): Promise<void> {
  const what = `artifact upload of '${path}'`;
  const target = proxyFilePath(root, path);
  let answer;
  if (size <= UPLOAD_BUFFER_LIMIT) {
    const buffer = await readExactly(data, size, path);
    answer = await client.send({ method: 'PUT', path: target, body: buffer, contentLength: size, workspace, what });
  } else {
    // Streamed once: a failure cannot be replayed (the engine may reopen the source and try again).
    // The source stream goes to undici as it is: every wrapper (a generator, a Readable around it)
    // is one more hop per chunk, and reading ahead already happens where the bytes arrive
    // (downloadArtifact's readAhead). Its own error is caught here so that it, not undici's
    // abort, is what the report says.
    let sourceError: unknown;
    const onSourceError = (error: unknown) => {
      sourceError ??= error;
    };
    // Never removed: undici may still destroy the stream with an error after the answer came back.
    data.on('error', onSourceError);
    try {
      answer = await client.send({ method: 'PUT', path: target, body: data, contentLength: size, workspace, what, retry: false });
    } catch (error) {
      if (sourceError !== undefined) {
        const reason = sourceError instanceof Error ? sourceError.message : String(sourceError);
        throw new Error(`reading '${path}' from the source failed during the upload: ${reason}`);
      }
      throw error;
    } finally {
      if (!data.destroyed) data.destroy();
    }
  }
  await answer.body.dump();
}

async function readExactly(data: Readable, size: number, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of data) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    total += buf.length;
    if (total > size) break;
    chunks.push(buf);
  }
  if (total !== size) {
    data.destroy();
    throw new Error(`file '${path}' did not hold the announced ${size} bytes (read ${total}${total > size ? '+' : ''})`);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
