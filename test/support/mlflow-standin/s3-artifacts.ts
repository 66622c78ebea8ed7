/**
 * The stand-in's S3 side (servers `s3-direct` / `s3-proxied` of the golden recordings): a real S3
 * endpoint (moto_server in the tests) read and written with the SERVER's own credentials, the way
 * MLflow's S3ArtifactRepository does it (mlflow/store/artifact/s3_artifact_repo.py):
 * - listing one level with ListObjectsV2 + Delimiter '/', paths relative to the artifact root,
 *   sorted; a directory marker key ('dir/') lists as a file named after its directory;
 * - a download checks the path is not a directory (a listing below it), then HeadObject: missing
 *   is an MlflowException (500 INTERNAL_ERROR) naming the root URI, a directory the 500 page;
 * - presigned PUT URLs signed for content-type;host with the server's key.
 */
import { createHash, createHmac } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { MlflowError } from './errors.js';
import { internalErrorPage, type Reply } from './http.js';
import { guessMimeType } from './artifacts.js';

export interface S3Backing {
  /** `direct`: --no-serve-artifacts --default-artifact-root s3://<bucket>/root; `proxied`: --artifacts-destination s3://<bucket>/proxied. */
  mode: 'direct' | 'proxied';
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
}

/** Percent-encoding of SigV4 (RFC 3986 unreserved characters kept). */
function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface S3Entry {
  path: string;
  isDir: boolean;
  size?: number;
}

const S3_URI = /^s3:\/\/([^/]+)\/?(.*)$/;

export class S3Artifacts {
  private clientPromise: Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> | undefined;

  constructor(readonly backing: S3Backing) {}

  /** Default artifact root of a new experiment in direct mode. */
  experimentLocation(id: string): string {
    return `s3://${this.backing.bucket}/root/${id}`;
  }

  static parse(uri: string): { bucket: string; key: string } | undefined {
    const m = S3_URI.exec(uri);
    return m ? { bucket: m[1]!, key: m[2]!.replace(/\/+$/, '') } : undefined;
  }

  sdk() {
    this.clientPromise ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        region: this.backing.region ?? 'us-east-1',
        endpoint: this.backing.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: this.backing.accessKeyId, secretAccessKey: this.backing.secretAccessKey },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    }));
    return this.clientPromise;
  }

  /** One level below `rel` of the root `uri`, like S3ArtifactRepository.list_artifacts. */
  async list(uri: string, rel: string): Promise<S3Entry[]> {
    const root = S3Artifacts.parse(uri)!;
    const { sdk, client } = await this.sdk();
    const dest = rel ? (root.key ? `${root.key}/${rel}` : rel) : root.key;
    const prefix = dest ? `${dest}/` : '';
    const out: S3Entry[] = [];
    const relOf = (key: string) => {
      const stripped = root.key ? key.slice(root.key.length + 1) : key;
      return stripped.replace(/\/+$/, '');
    };
    let token: string | undefined;
    do {
      const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: root.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }));
      for (const p of page.CommonPrefixes ?? []) out.push({ path: relOf(p.Prefix!), isDir: true });
      for (const o of page.Contents ?? []) out.push({ path: relOf(o.Key!), isDir: false, size: Number(o.Size ?? 0) });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** A file of the root `uri`, streamed; errors as the real server answers them. */
  async download(uri: string, rel: string): Promise<Reply> {
    if ((await this.list(uri, rel)).length > 0) return internalErrorPage();
    const root = S3Artifacts.parse(uri)!;
    const key = root.key ? `${root.key}/${rel}` : rel;
    const { sdk, client } = await this.sdk();
    let size: number;
    try {
      const head = await client.send(new sdk.HeadObjectCommand({ Bucket: root.bucket, Key: key }));
      size = Number(head.ContentLength ?? 0);
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 500;
      throw new MlflowError(
        'INTERNAL_ERROR',
        `The following failures occurred while downloading one or more artifacts from ${uri.replace(/\/+$/, '')}:\n##### File ${rel} #####\n` +
          `An error occurred (${status}) when calling the HeadObject operation: ${status === 404 ? 'Not Found' : 'Forbidden'}`,
      );
    }
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    const headers: Record<string, string> = {
      'Content-Type': guessMimeType(name),
      // werkzeug quotes a filename that is not a plain token.
      'Content-Disposition': `attachment; filename=${/^[A-Za-z0-9!#$&+.^_`|~-]+$/.test(name) ? name : `"${name}"`}`,
      'X-Content-Type-Options': 'nosniff',
    };
    return {
      status: 200,
      headers,
      file: {
        path: key,
        size,
        open: () => this.openStream(root.bucket, key),
      },
    };
  }

  openStream(bucket: string, key: string): Readable {
    // A PassThrough filled once GetObject answers: sendReply wants a stream at once.
    const out = new PassThrough();
    void this.sdk()
      .then(({ sdk, client }) => client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key })))
      .then((answer) => (answer.Body as Readable).pipe(out))
      .catch((e: unknown) => out.destroy(e as Error));
    return out;
  }

  async put(uri: string, rel: string, body: Buffer | Readable, size: number): Promise<void> {
    const root = S3Artifacts.parse(uri)!;
    const { sdk, client } = await this.sdk();
    const key = root.key ? `${root.key}/${rel}` : rel;
    await client.send(new sdk.PutObjectCommand({ Bucket: root.bucket, Key: key, Body: body, ContentLength: size }));
  }

  /**
   * A SigV4 query-signed PUT URL for `rel` below `uri`, as botocore's generate_presigned_url makes
   * it (query order Algorithm, Credential, Date, Expires, SignedHeaders, then Signature; signed
   * headers content-type;host; payload UNSIGNED-PAYLOAD, not in the query), and the header to send.
   */
  presignPut(uri: string, rel: string, expiresIn: number, now = new Date()): { url: string; contentType: string } {
    const root = S3Artifacts.parse(uri)!;
    const { endpoint, accessKeyId, secretAccessKey } = this.backing;
    const region = this.backing.region ?? 'us-east-1';
    const contentType = guessMimeType(rel.slice(rel.lastIndexOf('/') + 1));
    const key = root.key ? `${root.key}/${rel}` : rel;
    const base = new URL(endpoint);
    const path = `/${root.bucket}/${key.split('/').map(encodeRfc3986).join('/')}`;
    const datetime = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const date = datetime.slice(0, 8);
    const scope = `${date}/${region}/s3/aws4_request`;
    const query: Array<[string, string]> = [
      ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
      ['X-Amz-Credential', `${accessKeyId}/${scope}`],
      ['X-Amz-Date', datetime],
      ['X-Amz-Expires', String(expiresIn)],
      ['X-Amz-SignedHeaders', 'content-type;host'],
    ];
    const canonicalQuery = [...query]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`)
      .join('&');
    const canonical = ['PUT', path, canonicalQuery, `content-type:${contentType}\nhost:${base.host}\n`, 'content-type;host', 'UNSIGNED-PAYLOAD'].join('\n');
    const toSign = ['AWS4-HMAC-SHA256', datetime, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
    let signingKey: Buffer = Buffer.from(`AWS4${secretAccessKey}`);
    for (const part of [date, region, 's3', 'aws4_request']) signingKey = createHmac('sha256', signingKey).update(part).digest();
    const signature = createHmac('sha256', signingKey).update(toSign).digest('hex');
    const queryText = query.map(([k, v]) => `${k}=${encodeRfc3986(v)}`).join('&');
    return { url: `${base.protocol}//${base.host}${path}?${queryText}&X-Amz-Signature=${signature}`, contentType };
  }

  close(): void {
    void this.clientPromise?.then(({ client }) => client.destroy());
  }
}
