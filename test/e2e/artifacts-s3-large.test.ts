/**
 * A large file between two direct-S3 servers through the CLI, with the user's S3 credentials:
 * streamed in (GetObject) and out (multipart upload), so the copying process's peak RSS stays
 * under 200 MB whatever the file size. The file is RUNS_MIGRATOR_LARGE_FILE_MB MiB (default 256,
 * already past the memory bound; the issue's 1 GiB: RUNS_MIGRATOR_LARGE_FILE_MB=1024, which takes
 * minutes on a shared machine because moto_server stores every byte).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { REPO, runCli, tempDir } from '../support/cli-process.js';
import { motoUnavailable, startMoto, type MotoServer } from '../support/moto-server.js';

const skip = motoUnavailable();
const SIZE = Number(process.env.RUNS_MIGRATOR_LARGE_FILE_MB ?? 256) * 1024 * 1024;
const RSS_LIMIT_KB = 200 * 1024;

/** Deterministic bytes in 1 MiB chunks, hashed as they are made. */
function bytes(size: number, hash: ReturnType<typeof createHash>): Readable {
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
  let sent = 0;
  return Readable.from(
    (function* () {
      while (sent < size) {
        const n = Math.min(block.length, size - sent);
        const chunk = Buffer.from(block.subarray(0, n));
        chunk.writeUInt32BE(sent / block.length, 0);
        hash.update(chunk);
        sent += n;
        yield chunk;
      }
    })(),
  );
}

describe.skipIf(skip)(`a ${SIZE / 1024 / 1024} MiB file S3 -> S3${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let moto: MotoServer;
  let s3: S3Client;
  let source: StandinServer;
  let target: StandinServer;
  const cwd = tempDir('e2e-s3-large');
  let expected = '';

  beforeAll(async () => {
    moto = await startMoto();
    for (const bucket of ['big-a', 'big-b']) await moto.createBucket(bucket);
    s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey } });
    const backing = (bucket: string) => ({ mode: 'direct' as const, endpoint: moto.endpoint, bucket, accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey });
    source = await startStandin({ s3: backing('big-a') });
    target = await startStandin({ s3: backing('big-b') });
    const api = new MlflowApi(source.url);
    await seedProject(api, 'big', [{ name: 'large', startTime: 1_700_000_000_000, endTime: 1_700_000_001_000 }]);
    const [run] = await api.searchRuns((await api.experimentId('big'))!);
    const key = `${(run.info.artifact_uri as string).replace('s3://big-a/', '')}/checkpoint.bin`;
    const hash = createHash('sha256');
    await new Upload({ client: s3, params: { Bucket: 'big-a', Key: key, Body: bytes(SIZE, hash) }, partSize: 16 * 1024 * 1024, queueSize: 2 }).done();
    expected = hash.digest('hex');
  }, 600_000);
  afterAll(async () => {
    await source?.close();
    await target?.close();
    s3?.destroy();
    await moto?.stop();
  });

  it('is copied byte for byte with the copying process under 200 MB peak RSS, and verify is clean', async () => {
    const env = { ...moto.env(), NODE_OPTIONS: `--import ${join(REPO, 'bench/report-rss.mjs')}` };
    const args = ['--source-uri', source.url, '--source-project', 'default/big', '--target-uri', target.url, '--target-project', 'default/big-copy'];
    const copy = await runCli(['copy', ...args, '--no-progress'], { cwd, env });
    expect(copy.code, copy.stderr).toBe(0);
    const rss = Number(/RUNS_MIGRATOR_MAX_RSS_KB=(\d+)/.exec(copy.stderr)?.[1]);
    expect(rss).toBeGreaterThan(0);
    expect(rss).toBeLessThan(RSS_LIMIT_KB);
    const api = new MlflowApi(target.url);
    const [run] = await api.searchRuns((await api.experimentId('big-copy'))!);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'big-b', Key: `${(run.info.artifact_uri as string).replace('s3://big-b/', '')}/checkpoint.bin` }));
    const hash = createHash('sha256');
    for await (const chunk of got.Body as Readable) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(expected);
    const verify = await runCli(['verify', ...args], { cwd, env: moto.env() });
    expect(verify.stdout).toContain('Verify clean');
  }, 900_000);
});
