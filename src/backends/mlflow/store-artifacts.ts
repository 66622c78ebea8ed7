/**
 * Files of runs and logged models whose artifact URI names a store the server does not proxy
 * (s3://, wasbs://, abfss://: servers started with --no-serve-artifacts, or experiments made
 * before a server moved to proxied mode). Two ways to read them:
 * - through the tracking server, which lists (`artifacts/list`, `logged-models/<id>/artifacts/
 *   directories`) and streams (`/get-artifact`, `/ajax-api/.../logged-models/<id>/artifacts/files`)
 *   files of any store it can read with its own credentials (golden: artifacts-s3-direct-*);
 * - directly from the store with the user's credentials (object-store/), when the environment
 *   holds them: one hop less, and the only way when the server cannot read the store.
 * Writing: directly with the user's credentials, else through `artifacts/presigned-upload-url`
 * (S3 runs only: a SigV4 PUT URL signed by the server).
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import type { FileEntry } from '../../model/run.js';
import type { ReadIssue } from '../contract.js';
import { isObjectStoreUri, parseObjectLocation } from '../object-store/location.js';
import { requireObjectStore } from '../object-store/open.js';
import { unsafePathReason } from './artifacts.js';
import type { MlflowHttpClient } from './http-client.js';
import { asRecord, toStr } from './json.js';
import { checkArtifactStoreWritable } from '../object-store/check.js';

export type ArtifactAccess = 'direct' | 'server';

/**
 * Direct when the environment names credentials for the store's kind (what MLflow's client would
 * use), else through the server. The choice is the same for every run of a store kind and is
 * written to the log when the store is opened (accessNote).
 */
export function accessFor(uri: string | undefined, env: NodeJS.ProcessEnv = process.env): ArtifactAccess {
  const location = uri === undefined ? undefined : parseObjectLocation(uri);
  if (!location) return 'server';
  if (location.kind === 's3') {
    return env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE || env.AWS_CONTAINER_CREDENTIALS_FULL_URI ? 'direct' : 'server';
  }
  return env.AZURE_STORAGE_CONNECTION_STRING || env.AZURE_STORAGE_ACCESS_KEY ? 'direct' : 'server';
}

/** One line for the log: how files in object stores are read and written for this server. */
export function accessNote(role: 'source' | 'target', env: NodeJS.ProcessEnv = process.env): string {
  const s3 = accessFor('s3://bucket', env);
  const azure = accessFor('wasbs://c@a.blob.core.windows.net', env);
  const how = (access: ArtifactAccess) =>
    access === 'direct'
      ? 'directly with the credentials in the environment'
      : role === 'source'
        ? 'through the tracking server (no credentials for them in the environment)'
        : "through the server's presigned upload URLs (no credentials for them in the environment)";
  return `Files of ${role} runs in s3:// stores go ${how(s3)}; in Azure Blob (wasbs://, abfss://) ${how(azure)}.`;
}

export { isObjectStoreUri };

/**
 * Before the first run is created (DESIGN rule 7): when the target experiment's files go to an
 * object store with the user's credentials, prove the store takes a write. A refusal or an
 * unreachable endpoint is a clear error and nothing is half-written.
 */
export async function checkTargetArtifactStore(location: string | undefined, project: string): Promise<void> {
  if (location === undefined || accessFor(location) !== 'direct') return;
  await checkArtifactStoreWritable(location, project);
}

/** Every file below an object-store artifact URI, read with the user's credentials. */
export async function* listDirect(artifactUri: string, issues: ReadIssue[]): AsyncGenerator<FileEntry> {
  const store = await requireObjectStore(artifactUri);
  for await (const page of store.list()) {
    for (const object of page) {
      const unsafe = unsafePathReason(object.path);
      if (unsafe) {
        issues.push({ field: `files/${object.path}`, reason: `unsafe object key below ${artifactUri} (${unsafe}); not copied`, lost: true });
        continue;
      }
      yield { path: object.path, size: object.size };
    }
  }
}

export async function readDirect(artifactUri: string, path: string): Promise<Readable> {
  return (await requireObjectStore(artifactUri)).read(path);
}

export async function writeDirect(artifactUri: string, path: string, data: Readable, size: number): Promise<void> {
  await (await requireObjectStore(artifactUri)).write(path, data, size);
}

/** A run's file through the server's `/get-artifact` (streams from whatever store the run uses). */
export async function readRunFileThroughServer(client: MlflowHttpClient, runId: string, path: string, workspace: string): Promise<Readable> {
  const answer = await client.send({ method: 'GET', path: '/get-artifact', query: { path, run_uuid: runId }, workspace, what: `get-artifact '${path}'` });
  return answer.body;
}

/** A logged model's file through the server (the route exists under /ajax-api only). */
export async function readModelFileThroughServer(client: MlflowHttpClient, modelId: string, path: string, workspace: string): Promise<Readable> {
  const answer = await client.send({
    method: 'GET',
    path: `/ajax-api/2.0/mlflow/logged-models/${encodeURIComponent(modelId)}/artifacts/files`,
    query: { artifact_file_path: path },
    workspace,
    what: `logged-model file '${path}'`,
  });
  return answer.body;
}

/**
 * One file of an S3 run through `presigned-upload-url`: the server signs a PUT to its own S3
 * endpoint, and the bytes go straight there (streamed; the URL and its signature never reach a log).
 */
export async function writeThroughPresignedUrl(
  client: MlflowHttpClient,
  runId: string,
  path: string,
  data: Readable,
  size: number,
  workspace: string,
): Promise<void> {
  const doc = asRecord(
    await client.json({
      method: 'POST',
      path: '/api/2.0/mlflow/artifacts/presigned-upload-url',
      json: JSON.stringify({ run_id: runId, path }),
      workspace,
      what: 'artifacts/presigned-upload-url',
    }),
  );
  const url = toStr(doc.presigned_url);
  if (!url) throw new Error(`the server answered no presigned upload URL for '${path}'`);
  const headers: Record<string, string> = { 'content-length': String(size) };
  for (const [name, value] of Object.entries(asRecord(doc.headers))) if (typeof value === 'string') headers[name.toLowerCase()] = value;
  let answer;
  try {
    answer = await request(url, { method: 'PUT', body: size === 0 ? '' : data, headers });
  } catch (error) {
    const host = safeHost(url);
    throw new Error(`uploading '${path}' to the presigned URL at ${host} failed: ${(error as Error).message.replace(/https?:\/\/\S+/g, host)}`);
  }
  const text = await answer.body.text();
  if (answer.statusCode >= 300) {
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? '';
    throw new Error(`uploading '${path}' to the presigned URL at ${safeHost(url)} failed: HTTP ${answer.statusCode}${code ? ` ${code}` : ''}`);
  }
  if (size === 0 && !data.destroyed) data.resume();
}

function safeHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'the store';
  }
}
