/**
 * A multipart upload to a real S3 endpoint (moto_server) through a forwarder that cuts the
 * connection in the middle of one UploadPart, once: the broken part is sent again on its own,
 * the upload is not restarted (one CreateMultipartUpload, no abort, every other part sent once),
 * and the stored object holds every byte.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openS3, PART_SIZE } from '../../src/backends/object-store/s3.js';
import { startBreakingProxy, type BreakingProxy } from '../support/breaking-proxy.js';
import { motoUnavailable, startMoto, type MotoServer } from '../support/moto-server.js';

const skip = motoUnavailable();

describe.skipIf(skip)(`a broken multipart part${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let moto: MotoServer;
  let proxy: BreakingProxy;
  let brokenOnce = false;

  beforeAll(async () => {
    moto = await startMoto();
    await moto.createBucket('parts');
    // Part 2 of the first multipart upload breaks once, mid-body.
    proxy = await startBreakingProxy(moto.endpoint, (req) => {
      if (brokenOnce || req.method !== 'PUT' || req.query.get('partNumber') !== '2') return false;
      brokenOnce = true;
      return true;
    });
  }, 60_000);
  afterAll(async () => {
    await proxy?.close();
    await moto?.stop();
  });

  it('is sent again on its own; the file is not restarted and every byte arrives', async () => {
    const store = await openS3('s3://parts/run', 'parts', 'run', { endpoint: proxy.endpoint, region: 'us-east-1', ignoreTls: false, uploadExtraArgs: {} }, 1000);
    const size = PART_SIZE * 3 + 4321;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 131 + (i >> 13)) % 256;
    const pieces = Array.from({ length: Math.ceil(size / (1024 * 1024)) }, (_, i) => data.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024));
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: moto.accessKeyId, AWS_SECRET_ACCESS_KEY: moto.secretAccessKey });
    try {
      const written = await store.write('model.bin', Readable.from(pieces), size);
      expect(written).toEqual({ bytes: size, sha256: createHash('sha256').update(data).digest('hex') });
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }

    const key = (r: { path: string }) => r.path.endsWith('/parts/run/model.bin');
    const requests = proxy.seen.filter(key);
    const creates = requests.filter((r) => r.method === 'POST' && r.query.has('uploads'));
    const aborts = requests.filter((r) => r.method === 'DELETE' && r.query.has('uploadId'));
    const completes = requests.filter((r) => r.method === 'POST' && r.query.has('uploadId'));
    const partSends = (n: number) => requests.filter((r) => r.method === 'PUT' && r.query.get('partNumber') === String(n));
    expect(brokenOnce).toBe(true);
    expect(creates).toHaveLength(1);
    expect(aborts).toHaveLength(0);
    expect(completes).toHaveLength(1);
    expect(partSends(2).map((r) => r.broken)).toEqual([true, false]);
    for (const n of [1, 3, 4]) expect(partSends(n), `part ${n}`).toHaveLength(1);
    expect(new Set(requests.filter((r) => r.query.has('uploadId')).map((r) => r.query.get('uploadId'))).size).toBe(1);

    const raw = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey } });
    try {
      const stored = Buffer.from(await (await raw.send(new GetObjectCommand({ Bucket: 'parts', Key: 'run/model.bin' }))).Body!.transformToByteArray());
      expect(stored.length).toBe(size);
      expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    } finally {
      raw.destroy();
    }
  }, 120_000);
});
