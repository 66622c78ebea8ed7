/**
 * End to end through the CLI: a source server in the recorded s3-proxied mode (its artifact proxy
 * stores files in a real S3 bucket on moto_server, at proxied/<exp>/<run>/artifacts/...) copied
 * to a direct-S3 server (files written straight into another bucket with the user's credentials)
 * and to a server proxying to a local folder. Every copy is verified clean, files byte for byte.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { motoUnavailable, startMoto, type MotoServer } from '../support/moto-server.js';

const T0 = 1_700_000_000_000;
const skip = motoUnavailable();

const FILES: Record<string, Buffer> = {
  // Over 8 MiB: the proxy stores it with a multipart upload, and it is copied as a large file.
  'model/weights.bin': Buffer.from(Array.from({ length: 9 * 1024 * 1024 + 5 }, (_, i) => (i * 31) % 251)),
  'model/MLmodel': Buffer.from('artifact_path: model\nflavors: {}\n'),
  'plots/loss curve.png': Buffer.from([137, 80, 78, 71, 0, 1, 2]),
  'empty.txt': Buffer.alloc(0),
};
const RUNS: SeedRun[] = [
  { name: 'with-files', startTime: T0, endTime: T0 + 1000, params: { lr: '0.1' }, metrics: { loss: [{ value: 1, timestamp: T0, step: 0 }] } },
  { name: 'no-files', startTime: T0 + 1, endTime: T0 + 2000, params: { lr: '0.2' } },
];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const expected = Object.fromEntries(Object.entries(FILES).map(([p, b]) => [p, sha(b)]));

describe.skipIf(skip)(`a source server whose artifact proxy stores into S3${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let moto: MotoServer;
  let s3: S3Client;
  let source: StandinServer;
  const servers: StandinServer[] = [];
  const cwd = tempDir('e2e-s3-proxied');

  async function keys(bucket: string, prefix: string): Promise<Array<{ key: string; size: number }>> {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => ({ key: o.Key!, size: Number(o.Size) })).sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  async function copiedFiles(server: StandinServer, experiment: string): Promise<{ uri: string; files: Record<string, string> }> {
    const api = new MlflowApi(server.url);
    const run = (await api.searchRuns((await api.experimentId(experiment))!, 'ACTIVE_ONLY')).find((r) => r.info.run_name === 'with-files');
    const files: Record<string, string> = {};
    for (const path of Object.keys(FILES)) {
      const res = await fetch(`${server.url}/get-artifact?path=${encodeURIComponent(path)}&run_uuid=${run.info.run_id}`);
      if (res.status === 200) files[path] = sha(Buffer.from(await res.arrayBuffer()));
    }
    return { uri: run.info.artifact_uri as string, files };
  }

  const copyArgs = (target: StandinServer, targetExp: string, extra: string[] = []) =>
    ['copy', '--source-uri', source.url, '--source-project', 'default/exp', '--target-uri', target.url, '--target-project', `default/${targetExp}`, '--no-progress', ...extra];
  const verifyArgs = (target: StandinServer, targetExp: string) =>
    ['verify', '--source-uri', source.url, '--source-project', 'default/exp', '--target-uri', target.url, '--target-project', `default/${targetExp}`];

  beforeAll(async () => {
    moto = await startMoto();
    for (const bucket of ['proxied-src', 'direct-dst']) await moto.createBucket(bucket);
    s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey } });
    source = await startStandin({
      s3: { mode: 'proxied', endpoint: moto.endpoint, bucket: 'proxied-src', accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey },
    });
    servers.push(source);
    const api = new MlflowApi(source.url);
    await seedProject(api, 'exp', RUNS);
    const run = (await api.searchRuns((await api.experimentId('exp'))!)).find((r) => r.info.run_name === 'with-files');
    // Through the proxy, as MLflow's client logs files to a proxied server.
    for (const [path, bytes] of Object.entries(FILES)) await api.upload(run.info.artifact_uri as string, path, bytes);
  }, 120_000);
  afterAll(async () => {
    for (const server of servers) await server.close();
    s3?.destroy();
    await moto?.stop();
  });

  it('keeps the seeded files as objects of the source bucket, below proxied/', async () => {
    const api = new MlflowApi(source.url);
    const id = (await api.experimentId('exp'))!;
    const run = (await api.searchRuns(id)).find((r) => r.info.run_name === 'with-files');
    expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/${id}/${run.info.run_id}/artifacts`);
    const prefix = `proxied/${id}/${run.info.run_id}/artifacts/`;
    expect(await keys('proxied-src', prefix)).toEqual(
      Object.entries(FILES)
        .map(([p, b]) => ({ key: prefix + p, size: b.length }))
        .sort((a, b) => (a.key < b.key ? -1 : 1)),
    );
  });

  it('s3-proxied server -> direct-S3 server with S3 credentials: read through the proxy, written straight into the target bucket; verify clean', async () => {
    const target = await startStandin({
      s3: { mode: 'direct', endpoint: moto.endpoint, bucket: 'direct-dst', accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey },
    });
    servers.push(target);
    const env = moto.env();
    const result = await runCli(copyArgs(target, 'to-direct', ['--log-file', 'direct.log', '--report', 'direct.json']), { cwd, env });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(cwd, 'direct.json'), 'utf8')).summary).toMatchObject({ copied: 2, failed: 0 });
    expect(readFileSync(join(cwd, 'direct.log'), 'utf8')).toMatch(/target runs in s3:\/\/ stores go directly with the credentials in the environment/);
    const copy = await copiedFiles(target, 'to-direct');
    expect(copy.uri).toMatch(/^s3:\/\/direct-dst\/root\/\d+\/[0-9a-f]{32}\/artifacts$/);
    expect(copy.files).toEqual(expected);
    const prefix = copy.uri.replace('s3://direct-dst/', '') + '/';
    expect((await keys('direct-dst', prefix)).map((o) => o.key)).toEqual(Object.keys(FILES).map((p) => prefix + p).sort());
    const verify = await runCli(verifyArgs(target, 'to-direct'), { cwd, env });
    expect(verify.stdout).toContain('Verify clean');
    expect(verify.code).toBe(0);
  }, 180_000);

  it('s3-proxied server -> server proxying to a local folder, without S3 credentials; verify clean, a re-run copies nothing', async () => {
    const target = await startStandin();
    servers.push(target);
    const result = await runCli(copyArgs(target, 'to-local', ['--report', 'local.json']), { cwd });
    expect(result.code, result.stderr).toBe(0);
    const copy = await copiedFiles(target, 'to-local');
    expect(copy.uri).toMatch(/^mlflow-artifacts:/);
    expect(copy.files).toEqual(expected);
    const verify = await runCli(verifyArgs(target, 'to-local'), { cwd });
    expect(verify.stdout).toContain('Verify clean');
    expect(verify.code).toBe(0);
    const again = await runCli(copyArgs(target, 'to-local', ['--report', 'again.json']), { cwd });
    expect(again.code).toBe(0);
    expect(JSON.parse(readFileSync(join(cwd, 'again.json'), 'utf8')).summary).toMatchObject({ copied: 0, failed: 0, skipped: 2 });
  }, 180_000);
});
