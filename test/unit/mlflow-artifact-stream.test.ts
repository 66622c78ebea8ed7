/**
 * A file over the 8 MiB buffer limit goes through the artifact proxy as one stream, from the
 * source server's answer straight into the target's PUT (artifacts.ts): its bytes arrive whole,
 * and a source that fails or sends fewer bytes than it listed fails the upload with the source's
 * own reason, leaving no file on the target (the stand-in writes a file only when its upload
 * completes, like MLflow's proxy).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadArtifact, STREAM_READ_AHEAD, UPLOAD_BUFFER_LIMIT, uploadArtifact } from '../../src/backends/mlflow/artifacts.js';
import { MlflowHttpClient } from '../../src/backends/mlflow/http-client.js';
import { counted } from '../../src/engine/runs/copy-run.js';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';

const SIZE = 24 * 1024 * 1024 + 123;

/** Deterministic, not repetitive bytes, so that a lost or reordered chunk changes the hash. */
function content(size: number): Buffer {
  const out = Buffer.alloc(size);
  let x = 2463534242;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, Math.min(i, size - 4));
  }
  return out;
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('a big file streamed through the artifact proxy', () => {
  let source: StandinServer;
  let target: StandinServer;
  let sourceClient: MlflowHttpClient;
  let targetClient: MlflowHttpClient;
  const data = content(SIZE);

  const clientOf = (server: StandinServer) =>
    new MlflowHttpClient({ origin: new URL(server.url).origin, prefix: '', displayUri: server.url, credentials: {}, retry: { maxRetries: 0 } });

  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    sourceClient = clientOf(source);
    targetClient = clientOf(target);
    await uploadArtifact(sourceClient, 'src', 'big.bin', Readable.from([data]), SIZE, 'default');
  });

  afterAll(async () => {
    await sourceClient.close();
    await targetClient.close();
    await source.close();
    await target.close();
  });

  it('is bigger than what is buffered and than what is read ahead (so it really streams)', () => {
    expect(SIZE).toBeGreaterThan(UPLOAD_BUFFER_LIMIT);
    expect(SIZE).toBeGreaterThan(STREAM_READ_AHEAD);
  });

  it('arrives byte for byte, counted as it goes', async () => {
    let seen = 0;
    const stream = await downloadArtifact(sourceClient, 'src', 'big.bin', 'default', SIZE);
    await uploadArtifact(targetClient, 'dst', 'big.bin', counted(stream, SIZE, 'big.bin', (bytes) => (seen += bytes)), SIZE, 'default');
    expect(seen).toBe(SIZE);
    const copy = await readAll(await downloadArtifact(targetClient, 'dst', 'big.bin', 'default', SIZE));
    expect(copy.length).toBe(SIZE);
    expect(sha(copy)).toBe(sha(data));
  });

  it('fails with the source\'s reason when the source breaks mid-file, and leaves no file behind', async () => {
    const half = data.subarray(0, 12 * 1024 * 1024);
    const broken = Readable.from(
      (async function* () {
        yield half;
        throw new Error('source connection reset');
      })(),
    );
    await expect(uploadArtifact(targetClient, 'dst', 'broken.bin', broken, SIZE, 'default')).rejects.toThrow(
      "reading 'broken.bin' from the source failed during the upload: source connection reset",
    );
    await expect(downloadArtifact(targetClient, 'dst', 'broken.bin', 'default', undefined).then(readAll)).rejects.toThrow();
  });

  it('fails, naming the shortfall, when the source sends fewer bytes than it listed', async () => {
    const stream = await downloadArtifact(sourceClient, 'src', 'big.bin', 'default', SIZE);
    const listed = SIZE + 1000;
    await expect(uploadArtifact(targetClient, 'dst', 'short.bin', counted(stream, listed, 'short.bin', () => undefined), listed, 'default')).rejects.toThrow(
      `artifact short.bin: the source sent ${SIZE} of the ${listed} bytes it listed`,
    );
    await expect(downloadArtifact(targetClient, 'dst', 'short.bin', 'default', undefined).then(readAll)).rejects.toThrow();
  });
});
