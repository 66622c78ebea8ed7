/**
 * S3 and S3-compatible stores through @aws-sdk/client-s3 (loaded only when an s3:// URI is
 * opened). Large files go up through @aws-sdk/lib-storage's multipart Upload: parts of PART_SIZE,
 * QUEUE_SIZE in flight, so memory stays near PART_SIZE x QUEUE_SIZE whatever the file size; each
 * part is a buffer the SDK's retry strategy sends again on its own when it breaks.
 *
 * PART_SIZE is S3's smallest part (5 MiB): with 8 MiB parts the 256 MiB S3 -> S3 copy of
 * test/e2e/artifacts-s3-large.test.ts peaked at 191-215 MB RSS on a fresh machine (moto 5.2.1),
 * over its 200 MB bound; with 5 MiB parts and the CLI's collection every 16 MB of Buffers
 * (src/cli/heap.ts), 174-183 MB. A file too big for 10,000 parts of that size (S3's limit) gets
 * larger parts.
 */
import { Readable } from 'node:stream';
import type { S3Client as S3ClientType } from '@aws-sdk/client-s3';
import { hashing } from './hashing.js';
import { joinKey } from './location.js';
import { s3SettingsFromEnv, type S3Settings } from './s3-config.js';
import { ObjectStoreError, type ObjectStore, type StoredObject, type WriteResult } from './types.js';

export const PART_SIZE = 5 * 1024 * 1024;
const QUEUE_SIZE = 2;
/** S3 takes at most this many parts in one multipart upload. */
const MAX_PARTS = 10_000;
const PAGE_SIZE = 1000;

type S3Module = typeof import('@aws-sdk/client-s3');

export async function openS3(
  uri: string,
  bucket: string,
  prefix: string,
  settings: S3Settings = s3SettingsFromEnv(),
  pageSize = PAGE_SIZE,
): Promise<ObjectStore> {
  // The SDK warns on Node 20 about versions published after January 2027; the locked version runs
  // on Node 20 (package.json engines), and the warning would land in every copy's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const sdk = await import('@aws-sdk/client-s3');
  const client = await makeClient(sdk, settings);
  return new S3Store(sdk, client, uri, bucket, prefix, settings, pageSize);
}

async function makeClient(sdk: S3Module, settings: S3Settings): Promise<S3ClientType> {
  let requestHandler;
  if (settings.ignoreTls) {
    const { NodeHttpHandler } = await import('@smithy/node-http-handler');
    const { Agent } = await import('node:https');
    requestHandler = new NodeHttpHandler({ httpsAgent: new Agent({ rejectUnauthorized: false }) });
  }
  return new sdk.S3Client({
    region: settings.region ?? 'us-east-1',
    ...(settings.endpoint ? { endpoint: settings.endpoint, forcePathStyle: true } : {}),
    ...(requestHandler ? { requestHandler } : {}),
    // S3-compatible stores (older MinIO, Ceph, moto) do not all take the SDK's newer default checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 5,
  });
}

export class S3Store implements ObjectStore {
  constructor(
    private readonly sdk: S3Module,
    private readonly client: S3ClientType,
    readonly uri: string,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly settings: S3Settings,
    private readonly pageSize: number,
  ) {}

  async *list(dir = ''): AsyncIterable<StoredObject[]> {
    const base = joinKey(this.prefix, dir);
    const listPrefix = base === '' ? '' : `${base}/`;
    const strip = this.prefix === '' ? '' : `${this.prefix}/`;
    let token: string | undefined;
    do {
      const page = await this.call(`listing ${this.where(dir)}`, () =>
        this.client.send(new this.sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: listPrefix, ContinuationToken: token, MaxKeys: this.pageSize })),
      );
      const out: StoredObject[] = [];
      for (const item of page.Contents ?? []) {
        const key = item.Key;
        if (key === undefined || key.endsWith('/')) continue; // a directory marker, not a file
        out.push({ path: key.slice(strip.length), size: Number(item.Size ?? 0) });
      }
      if (out.length > 0) yield out;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async stat(path: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new this.sdk.HeadObjectCommand({ Bucket: this.bucket, Key: joinKey(this.prefix, path) }));
      return Number(head.ContentLength ?? 0);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.explain(`reading ${this.where(path)}`, error);
    }
  }

  async read(path: string): Promise<Readable> {
    const answer = await this.call(`reading ${this.where(path)}`, () =>
      this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: joinKey(this.prefix, path) })),
    );
    const body = answer.Body;
    if (body instanceof Readable) return body;
    throw new ObjectStoreError(`reading ${this.where(path)}: the store sent no body`);
  }

  async write(path: string, data: Readable, size: number): Promise<WriteResult> {
    const key = joinKey(this.prefix, path);
    const hashed = hashing(data);
    const extra = this.settings.uploadExtraArgs;
    if (size < PART_SIZE) {
      // Small: one PutObject with a known length (a buffer, so the SDK can retry it).
      const chunks: Buffer[] = [];
      for await (const chunk of hashed.stream) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      if (body.length !== size) throw new ObjectStoreError(`writing ${this.where(path)}: the source sent ${body.length} of ${size} bytes`);
      await this.call(`writing ${this.where(path)}`, () =>
        this.client.send(new this.sdk.PutObjectCommand({ ...extra, Bucket: this.bucket, Key: key, Body: body, ContentLength: size })),
      );
    } else {
      const { Upload } = await import('@aws-sdk/lib-storage');
      const upload = new Upload({
        client: this.client,
        params: { ...extra, Bucket: this.bucket, Key: key, Body: hashed.stream },
        partSize: Math.max(PART_SIZE, Math.ceil(size / MAX_PARTS)),
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      });
      await this.call(`writing ${this.where(path)}`, () => upload.done());
    }
    const digest = hashed.digest();
    if (digest.bytes !== size) throw new ObjectStoreError(`writing ${this.where(path)}: the source sent ${digest.bytes} of ${size} bytes`);
    return digest;
  }

  async remove(path: string): Promise<void> {
    await this.call(`removing ${this.where(path)}`, () =>
      this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: joinKey(this.prefix, path) })),
    );
  }

  async checkWritable(): Promise<void> {
    const probe = `.runs-migrator-probe-${process.pid}-${Date.now()}`;
    await this.write(probe, Readable.from([Buffer.from('probe')]), 5);
    await this.remove(probe);
  }

  private where(path: string): string {
    return `s3://${this.bucket}/${joinKey(this.prefix, path)}`;
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.explain(what, error);
    }
  }

  /** The SDK's own errors can carry request ids and signed headers: keep only what a user needs. */
  private explain(what: string, error: unknown): ObjectStoreError {
    if (error instanceof ObjectStoreError) return error;
    const status = statusOf(error);
    const code = (error as { name?: string; Code?: string })?.Code ?? (error as { name?: string })?.name ?? 'Error';
    const endpoint = this.settings.endpoint ? ` at ${redactUrl(this.settings.endpoint)}` : '';
    let hint = '';
    let refusal: 'credentials' | 'unreachable' | undefined;
    if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch' || status === 403) {
      hint = ': the store refused the credentials (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE)';
      refusal = 'credentials';
    } else if (code === 'CredentialsProviderError') {
      hint = ': no S3 credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)';
      refusal = 'credentials';
    } else if (code === 'NoSuchBucket') {
      hint = ': the bucket does not exist';
    } else if (status === 404 || code === 'NoSuchKey' || code === 'NotFound') {
      hint = ': no such object';
    } else if (status === undefined) {
      const message = error instanceof Error ? error.message : String(error);
      hint = `: the store could not be reached (${message.replace(/https?:\/\/\S+/g, (u) => redactUrl(u))})`;
      refusal = 'unreachable';
    } else {
      hint = `: ${code} (HTTP ${status})`;
    }
    return new ObjectStoreError(`${what}${endpoint}${hint}`, refusal);
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** An endpoint without user info or query (where a signature could hide). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(endpoint)';
  }
}
