/**
 * The S3 object store against a real S3 endpoint (moto_server on 127.0.0.1, authentication on):
 * listing in pages, directory markers, streamed multipart writes with sha256, and what a user
 * sees when the key is wrong or the endpoint is down (never the secret).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openS3, PART_SIZE } from '../../src/backends/object-store/s3.js';
import { s3SettingsFromEnv } from '../../src/backends/object-store/s3-config.js';
import { ObjectStoreError } from '../../src/backends/object-store/types.js';
import { motoUnavailable, startMoto, type MotoServer } from '../support/moto-server.js';

const skip = motoUnavailable();

async function sha256Of(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

describe.skipIf(skip)(`S3 object store against moto_server${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let moto: MotoServer;
  const saved = { ...process.env };
  beforeAll(async () => {
    moto = await startMoto();
    await moto.createBucket('bucket-a');
    Object.assign(process.env, moto.env());
  }, 60_000);
  afterAll(async () => {
    process.env = saved;
    await moto?.stop();
  });

  it('writes a small file in one request and reads the same bytes back, with its sha256', async () => {
    const store = await openS3('s3://bucket-a/root/1', 'bucket-a', 'root/1', s3SettingsFromEnv());
    const data = Buffer.from('hello object store');
    const written = await store.write('run/artifacts/a.txt', Readable.from([data]), data.length);
    expect(written).toEqual({ bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    expect(await store.stat('run/artifacts/a.txt')).toBe(data.length);
    expect(await store.stat('run/artifacts/missing.txt')).toBeUndefined();
    expect(await sha256Of(await store.read('run/artifacts/a.txt'))).toEqual({ sha256: written.sha256, bytes: data.length });
  });

  it('streams a file larger than a part as a multipart upload and keeps every byte', async () => {
    const store = await openS3('s3://bucket-a/big', 'bucket-a', 'big', s3SettingsFromEnv());
    const size = PART_SIZE * 2 + 12345;
    const hash = createHash('sha256');
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let sent = 0; sent < size; ) {
        const piece = randomBytes(Math.min(1024 * 1024, size - sent));
        hash.update(piece);
        sent += piece.length;
        yield piece;
      }
    }
    const written = await store.write('model.bin', Readable.from(chunks()), size);
    expect(written.sha256).toBe(hash.digest('hex'));
    expect(await store.stat('model.bin')).toBe(size);
    expect(await sha256Of(await store.read('model.bin'))).toEqual({ sha256: written.sha256, bytes: size });
  }, 60_000);

  it('lists every object below a folder across pages and leaves directory markers out', async () => {
    const store = await openS3('s3://bucket-a/paged', 'bucket-a', 'paged', s3SettingsFromEnv(), 2);
    for (const name of ['a.txt', 'b.txt', 'dir/c.txt', 'dir/deeper/d.txt', 'e.txt']) {
      await store.write(name, Readable.from([Buffer.from(name)]), name.length);
    }
    // A console-made "folder": a 0-byte key ending in '/'.
    const raw = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey } });
    await raw.send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'paged/marker-dir/', Body: '' }));
    raw.destroy();
    const pages: string[][] = [];
    for await (const page of store.list()) pages.push(page.map((o) => `${o.path}:${o.size}`));
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.flat().sort()).toEqual(['a.txt:5', 'b.txt:5', 'dir/c.txt:9', 'dir/deeper/d.txt:16', 'e.txt:5']);
    const below: string[] = [];
    for await (const page of store.list('dir')) below.push(...page.map((o) => o.path));
    expect(below.sort()).toEqual(['dir/c.txt', 'dir/deeper/d.txt']);
  });

  it('refuses a wrong secret with a clear error that names the credentials but never holds them', async () => {
    const checking = await startMoto({ auth: true });
    await checking.createBucket('bucket-a');
    const wrongSecret = 'wrong-secret-DO-NOT-PRINT';
    Object.assign(process.env, checking.env(), { AWS_SECRET_ACCESS_KEY: wrongSecret });
    try {
      const store = await openS3('s3://bucket-a/x', 'bucket-a', 'x', s3SettingsFromEnv());
      const failure = await store.checkWritable().then(() => undefined, (error: unknown) => error);
      expect(failure).toBeInstanceOf(ObjectStoreError);
      const message = (failure as Error).message;
      expect(message).toMatch(/refused the credentials/);
      // Tagged so that reading can fall back to the tracking server (read-fallback.ts).
      expect((failure as ObjectStoreError).refusal).toBe('credentials');
      expect(message).not.toContain(wrongSecret);
      expect(message).not.toContain(checking.accessKeyId);
      // The right key is taken.
      process.env.AWS_SECRET_ACCESS_KEY = checking.secretAccessKey;
      await (await openS3('s3://bucket-a/x', 'bucket-a', 'x', s3SettingsFromEnv())).checkWritable();
    } finally {
      Object.assign(process.env, moto.env());
      await checking.stop();
    }
  }, 60_000);

  it('says the endpoint cannot be reached when nothing listens there', async () => {
    const store = await openS3('s3://bucket-a/x', 'bucket-a', 'x', { ...s3SettingsFromEnv(), endpoint: 'http://127.0.0.1:9' });
    const failure = await store.checkWritable().then(() => undefined, (error: unknown) => error);
    expect((failure as Error).message).toMatch(/could not be reached/);
    expect((failure as ObjectStoreError).refusal).toBe('unreachable');
  }, 60_000);
});
