/**
 * The artifact proxy of a server started with `--serve-artifacts --artifacts-destination
 * s3://<bucket>/proxied` (golden server s3-proxied): files the proxy takes are objects at
 * `proxied/<path>` in a real S3 bucket (moto_server in the tests), written and read with the
 * SERVER's credentials, as MLflow's S3ArtifactRepository does behind the proxy:
 * - a PUT becomes one object of exactly the bytes sent (a 0-byte file is a 0-byte object; 5 MiB is
 *   one object: artifacts-s3-proxied-put-get). The real server spools the body to a temp file and
 *   hands it to boto3, which goes multipart above 8 MiB; here bodies above 8 MiB go up as an
 *   8 MiB-part multipart upload too (unrecorded: the bucket ends with the same object either way);
 * - a missing file is a 500 INTERNAL_ERROR naming `s3://<bucket>/proxied` and the HeadObject 404,
 *   not the 404 of a local destination (artifacts-s3-proxied-put-get);
 * - listings and directory markers as in S3Artifacts.list.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Entry } from './artifacts.js';
import { MlflowError } from './errors.js';
import { readBody } from './http.js';
import type { ProxyStore } from './proxy-store.js';
import type { S3Artifacts } from './s3-artifacts.js';

/** boto3's TransferConfig defaults (multipart_threshold = multipart_chunksize = 8 MiB). */
const PART = 8 * 1024 * 1024;
const PREFIX = 'proxied';

function statusOf(e: unknown): number {
  return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 500;
}

export class S3ProxyStorage implements ProxyStore {
  readonly root: string;

  constructor(private readonly s3: S3Artifacts) {
    this.root = `s3://${s3.backing.bucket}/${PREFIX}`;
  }

  private key(rel: string): string {
    return rel ? `${PREFIX}/${rel}` : PREFIX;
  }

  async kind(rel: string): Promise<{ isDir: boolean; size: number } | undefined> {
    const { sdk, client } = await this.s3.sdk();
    const Bucket = this.s3.backing.bucket;
    if (rel) {
      try {
        const head = await client.send(new sdk.HeadObjectCommand({ Bucket, Key: this.key(rel) }));
        return { isDir: false, size: Number(head.ContentLength ?? 0) };
      } catch (e) {
        if (statusOf(e) !== 404) throw e;
      }
    }
    const below = await client.send(new sdk.ListObjectsV2Command({ Bucket, Prefix: `${this.key(rel)}/`, MaxKeys: 1 }));
    return below.KeyCount ? { isDir: true, size: 0 } : undefined;
  }

  async list(rel: string): Promise<Entry[] | undefined> {
    const entries = await this.s3.list(this.root, rel);
    if (!entries.length) return undefined;
    // Paths come relative to the destination; a directory marker lists under its directory's own name.
    return entries.map((e) => ({ name: e.path.slice(e.path.lastIndexOf('/') + 1), isDir: e.isDir, ...(e.isDir ? {} : { size: e.size ?? 0 }) }));
  }

  async upload(rel: string, req: IncomingMessage): Promise<void> {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared <= PART) {
      const body = await readBody(req, PART);
      await this.s3.put(this.root, rel, body, body.length);
      return;
    }
    const { client } = await this.s3.sdk();
    const { Upload } = await import('@aws-sdk/lib-storage');
    await new Upload({ client, params: { Bucket: this.s3.backing.bucket, Key: this.key(rel), Body: req }, partSize: PART, queueSize: 4 }).done();
  }

  async remove(rel: string): Promise<void> {
    const { sdk, client } = await this.s3.sdk();
    const Bucket = this.s3.backing.bucket;
    const key = this.key(rel);
    const keys: string[] = [key];
    let token: string | undefined;
    do {
      const page = await client.send(new sdk.ListObjectsV2Command({ Bucket, Prefix: `${key}/`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) keys.push(o.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    for (let i = 0; i < keys.length; i += 1000)
      await client.send(new sdk.DeleteObjectsCommand({ Bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
  }

  file(rel: string, size: number): { path: string; size: number; open: () => Readable } {
    const key = this.key(rel);
    return { path: key, size, open: () => this.s3.openStream(this.s3.backing.bucket, key) };
  }

  /**
   * The repository the server downloads from is rooted where the request's path starts (the
   * destination for the proxy; the run's own folder below it for /get-artifact, unrecorded), and
   * names the file relative to that root.
   */
  missing(rel: string, shown: string): MlflowError {
    const under = rel.endsWith(shown) ? rel.slice(0, rel.length - shown.length).replace(/\/+$/, '') : '';
    const root = under ? `${this.root}/${under}` : this.root;
    return new MlflowError(
      'INTERNAL_ERROR',
      `The following failures occurred while downloading one or more artifacts from ${root}:\n##### File ${shown} #####\nAn error occurred (404) when calling the HeadObject operation: Not Found`,
    );
  }

  async readText(rel: string): Promise<string> {
    const { sdk, client } = await this.s3.sdk();
    const answer = await client.send(new sdk.GetObjectCommand({ Bucket: this.s3.backing.bucket, Key: this.key(rel) }));
    return answer.Body!.transformToString('utf8');
  }
}
