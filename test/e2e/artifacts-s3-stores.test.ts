/**
 * End to end through the CLI: mlruns folders and MLflow's SQLite database whose experiments keep
 * their files in S3 (a real moto_server), read and written through the store with the user's
 * AWS_* / MLFLOW_S3_ENDPOINT_URL settings, every copy verified clean.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { MlflowSqliteSeeder } from '../support/mlflow-sqlite-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { motoUnavailable, startMoto, type MotoServer } from '../support/moto-server.js';

const skip = motoUnavailable();
const T0 = 1_700_000_000_000;
const FILES: Record<string, Buffer> = {
  'model/weights.bin': Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 13) % 256)),
  'notes/read me.txt': Buffer.from('kept in S3\n'),
  'empty.txt': Buffer.alloc(0),
};
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const expected = Object.fromEntries(Object.entries(FILES).map(([p, b]) => [p, sha(b)]));

describe.skipIf(skip)(`mlruns and SQLite stores whose files live in S3${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let moto: MotoServer;
  let s3: S3Client;
  let server: StandinServer;
  const cwd = tempDir('e2e-s3-stores');

  beforeAll(async () => {
    moto = await startMoto();
    for (const bucket of ['store-a', 'store-b']) await moto.createBucket(bucket);
    s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey } });
    server = await startStandin();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    s3?.destroy();
    await moto?.stop();
  });

  async function put(uri: string): Promise<void> {
    const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri)!;
    for (const [path, bytes] of Object.entries(FILES)) await s3.send(new PutObjectCommand({ Bucket: m[1], Key: `${m[2]}/${path}`, Body: bytes }));
  }
  async function stored(uri: string): Promise<Record<string, string>> {
    const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri)!;
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: m[1], Prefix: `${m[2]}/` }));
    const out: Record<string, string> = {};
    for (const object of listing.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: m[1], Key: object.Key }));
      out[object.Key!.slice(m[2]!.length + 1)] = sha(Buffer.from(await got.Body!.transformToByteArray()));
    }
    return out;
  }
  async function serverFiles(experiment: string): Promise<Record<string, string>> {
    const api = new MlflowApi(server.url);
    const [run] = await api.searchRuns((await api.experimentId(experiment))!, 'ACTIVE_ONLY');
    const out: Record<string, string> = {};
    for (const path of Object.keys(FILES)) {
      const res = await fetch(`${server.url}/get-artifact?path=${encodeURIComponent(path)}&run_uuid=${run.info.run_id}`);
      if (res.status === 200) out[path] = sha(Buffer.from(await res.arrayBuffer()));
    }
    return out;
  }
  async function copyAndVerify(source: [string, string], target: [string, string]): Promise<void> {
    const args = ['--source-uri', source[0], '--source-project', source[1], '--target-uri', target[0], '--target-project', target[1]];
    const copy = await runCli(['copy', ...args, '--no-progress'], { cwd, env: moto.env() });
    expect(copy.code, copy.stderr + copy.stdout).toBe(0);
    const verify = await runCli(['verify', ...args], { cwd, env: moto.env() });
    expect(verify.stdout, verify.stderr).toContain('Verify clean');
    expect(verify.code).toBe(0);
  }

  it('SQLite database whose experiment is in S3 -> proxied server', async () => {
    const dbPath = join(cwd, 'source.db');
    createMlflowDatabase(dbPath);
    const seeder = new MlflowSqliteSeeder(dbPath);
    const experimentId = seeder.experiment({ name: 'on-s3', artifactLocation: 's3://store-a/db' });
    const runId = 'a'.repeat(32);
    seeder.run({ experimentId, runId, name: 'trained', status: 'FINISHED', startTime: T0, endTime: T0 + 10, artifactUri: `s3://store-a/db/${runId}/artifacts` });
    seeder.params(runId, [{ key: 'lr', value: '0.1' }]);
    seeder.close();
    await put(`s3://store-a/db/${runId}/artifacts`);
    await copyAndVerify([`sqlite:///${dbPath}`, 'default/on-s3'], [server.url, 'default/from-sqlite']);
    expect(await serverFiles('from-sqlite')).toEqual(expected);
  }, 120_000);

  it('proxied server -> SQLite database whose target experiment is in S3 (written into the bucket)', async () => {
    const api = new MlflowApi(server.url);
    const runs: SeedRun[] = [{ name: 'up', startTime: T0, endTime: T0 + 5, params: { a: '1' }, files: FILES }];
    await seedProject(api, 'to-sqlite', runs);
    const dbPath = join(cwd, 'target.db');
    createMlflowDatabase(dbPath);
    const seeder = new MlflowSqliteSeeder(dbPath);
    seeder.experiment({ name: 'landing', artifactLocation: 's3://store-b/landing' });
    seeder.close();
    await copyAndVerify([server.url, 'default/to-sqlite'], [`sqlite:///${dbPath}`, 'default/landing']);
    const row = new MlflowSqliteSeeder(dbPath);
    const { artifact_uri } = row.db.prepare('SELECT artifact_uri FROM runs').get() as { artifact_uri: string };
    row.close();
    expect(artifact_uri).toMatch(/^s3:\/\/store-b\/landing\/[0-9a-f]{32}\/artifacts$/);
    expect(await stored(artifact_uri)).toEqual(expected);
  }, 120_000);

  it('proxied server -> mlruns whose experiment is in S3 -> proxied server again', async () => {
    const api = new MlflowApi(server.url);
    await seedProject(api, 'to-mlruns', [{ name: 'm', startTime: T0, endTime: T0 + 5, params: { b: '2' }, files: FILES }]);
    const mlruns = join(cwd, 'mlruns');
    mkdirSync(join(mlruns, '7'), { recursive: true });
    writeFileSync(join(mlruns, '7', 'meta.yaml'), "artifact_location: s3://store-b/mlruns/7\nexperiment_id: '7'\nlifecycle_stage: active\nname: in-s3\n");
    await copyAndVerify([server.url, 'default/to-mlruns'], [mlruns, 'default/in-s3']);
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: 'store-b', Prefix: 'mlruns/7/' }));
    const runPrefix = /^mlruns\/7\/[0-9a-f]{32}\/artifacts\//.exec(listing.Contents![0]!.Key!)![0];
    expect(await stored(`s3://store-b/${runPrefix.slice(0, -1)}`)).toEqual(expected);
    await copyAndVerify([mlruns, 'default/in-s3'], [server.url, 'default/from-mlruns']);
    expect(await serverFiles('from-mlruns')).toEqual(expected);
  }, 180_000);
});
