/**
 * End to end through the CLI: files of a direct-S3 source server (s3-direct stand-in on a real
 * moto_server) when the direct path is chosen (S3 credentials in the environment) but the store
 * cannot be used with them. Reading falls back to the tracking server, which reads the bucket with
 * its own credentials, and the log says so once. When the server cannot read them either, the run
 * fails and verify is not clean.
 *
 * The wrong key is tried against a second moto_server with signature checks on: moto 5.2.1's check
 * also refuses correctly signed listings whose Prefix holds '/' (moto-server.ts), so the server's
 * own bucket lives on a moto without checks. A real S3 refuses a wrong key the same way, before it
 * looks at the bucket (403 SignatureDoesNotMatch / InvalidAccessKeyId).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { motoUnavailable, startMoto, type MotoServer } from '../support/moto-server.js';

const T0 = 1_700_000_000_000;
const skip = motoUnavailable();
const FILES: Record<string, Buffer> = {
  'model/weights.bin': Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256)),
  'model/MLmodel': Buffer.from('artifact_path: model\nflavors: {}\n'),
  'notes/a.txt': Buffer.from('a'),
  'empty.txt': Buffer.alloc(0),
};
const RUNS: SeedRun[] = [
  { name: 'with-files', startTime: T0, endTime: T0 + 1000, params: { lr: '0.1' } },
  { name: 'more-files', startTime: T0 + 1, endTime: T0 + 2000, params: { lr: '0.2' } },
];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const expected = Object.fromEntries(Object.entries(FILES).map(([p, b]) => [p, sha(b)]));
const FALLBACK_NOTE = /Files in s3:\/\/ stores are now read through the tracking server/g;

async function seedS3Project(server: StandinServer, moto: MotoServer, experiment: string): Promise<void> {
  const api = new MlflowApi(server.url);
  await seedProject(api, experiment, RUNS);
  const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey } });
  try {
    for (const run of await api.searchRuns((await api.experimentId(experiment))!)) {
      const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(run.info.artifact_uri as string)!;
      for (const [path, bytes] of Object.entries(FILES)) await s3.send(new PutObjectCommand({ Bucket: m[1], Key: `${m[2]}/${path}`, Body: bytes }));
    }
  } finally {
    s3.destroy();
  }
}

async function copiedFiles(server: StandinServer, experiment: string): Promise<Record<string, Record<string, string>>> {
  const api = new MlflowApi(server.url);
  const out: Record<string, Record<string, string>> = {};
  for (const run of await api.searchRuns((await api.experimentId(experiment))!, 'ACTIVE_ONLY')) {
    const files: Record<string, string> = {};
    for (const path of Object.keys(FILES)) {
      const res = await fetch(`${server.url}/get-artifact?path=${encodeURIComponent(path)}&run_uuid=${run.info.run_id}`);
      if (res.status === 200) files[path] = sha(Buffer.from(await res.arrayBuffer()));
    }
    out[run.info.run_name as string] = files;
  }
  return out;
}

describe.skipIf(skip)(`direct reads refused or unreachable fall back to the server${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let moto: MotoServer;
  let guarded: MotoServer;
  let source: StandinServer;
  const servers: StandinServer[] = [];
  const cwd = tempDir('e2e-s3-fallback');

  const args = (cmd: 'copy' | 'verify', target: StandinServer, exp: string, extra: string[] = []) => [
    cmd, '--source-uri', source.url, '--source-project', 'default/exp', '--target-uri', target.url, '--target-project', `default/${exp}`,
    ...(cmd === 'copy' ? ['--no-progress'] : []), ...extra,
  ];

  beforeAll(async () => {
    moto = await startMoto();
    guarded = await startMoto({ auth: true });
    await moto.createBucket('served');
    source = await startStandin({ s3: { mode: 'direct', endpoint: moto.endpoint, bucket: 'served', accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey } });
    servers.push(source);
    await seedS3Project(source, moto, 'exp');
  }, 120_000);
  afterAll(async () => {
    for (const server of servers) await server.close();
    await moto?.stop();
    await guarded?.stop();
  });

  it('a store that refuses the key: files are read through the server, the log says so once, verify is clean', async () => {
    const target = await startStandin();
    servers.push(target);
    const wrongSecret = 'not-the-secret-0123456789';
    const env = { ...guarded.env(), AWS_SECRET_ACCESS_KEY: wrongSecret };
    const copy = await runCli(args('copy', target, 'refused', ['--log-file', 'refused.log', '--report', 'refused.json']), { cwd, env });
    expect(copy.code, copy.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(cwd, 'refused.json'), 'utf8')).summary).toMatchObject({ copied: 2, failed: 0 });
    const log = readFileSync(join(cwd, 'refused.log'), 'utf8');
    expect(log).toMatch(/source runs in s3:\/\/ stores go directly with the credentials/);
    expect(log.match(FALLBACK_NOTE)).toHaveLength(1);
    expect(log).toMatch(/refused the credentials/);
    expect(log + copy.stdout + copy.stderr).not.toContain(wrongSecret);
    expect(await copiedFiles(target, 'refused')).toEqual({ 'with-files': expected, 'more-files': expected });
    const verify = await runCli(args('verify', target, 'refused'), { cwd, env });
    expect(verify.stdout).toContain('Verify clean');
    expect(verify.stderr.match(FALLBACK_NOTE)).toHaveLength(1);
    expect(verify.code).toBe(0);
  }, 180_000);

  it('an unreachable endpoint: files are read through the server, the log says so once', async () => {
    const target = await startStandin();
    servers.push(target);
    const env = { ...moto.env(), MLFLOW_S3_ENDPOINT_URL: 'http://127.0.0.1:9' };
    const copy = await runCli(args('copy', target, 'unreachable', ['--log-file', 'unreachable.log']), { cwd, env });
    expect(copy.code, copy.stderr).toBe(0);
    const log = readFileSync(join(cwd, 'unreachable.log'), 'utf8');
    expect(log.match(FALLBACK_NOTE)).toHaveLength(1);
    expect(log).toMatch(/could not be reached/);
    expect(await copiedFiles(target, 'unreachable')).toEqual({ 'with-files': expected, 'more-files': expected });
  }, 180_000);

  it('when the server cannot read the store either, the runs fail (non-zero exit) and verify is not clean', async () => {
    // A source server whose own S3 endpoint goes away after seeding.
    const lost = await startMoto();
    await lost.createBucket('lost');
    const orphan = await startStandin({ s3: { mode: 'direct', endpoint: lost.endpoint, bucket: 'lost', accessKeyId: lost.accessKeyId, secretAccessKey: lost.secretAccessKey } });
    servers.push(orphan);
    await seedS3Project(orphan, lost, 'exp');
    await lost.stop();
    const target = await startStandin();
    servers.push(target);
    const env = { ...lost.env(), MLFLOW_S3_ENDPOINT_URL: 'http://127.0.0.1:9', MLFLOW_HTTP_REQUEST_MAX_RETRIES: '1' };
    const base = (cmd: 'copy' | 'verify', extra: string[] = []) => [
      cmd, '--source-uri', orphan.url, '--source-project', 'default/exp', '--target-uri', target.url, '--target-project', 'default/orphan',
      ...(cmd === 'copy' ? ['--no-progress'] : []), ...extra,
    ];
    const copy = await runCli(base('copy', ['--report', 'orphan.json']), { cwd, env });
    expect(copy.code).not.toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'orphan.json'), 'utf8'));
    expect(report.summary.failed).toBe(2);
    expect(JSON.stringify(report)).not.toContain(lost.secretAccessKey);
    const verify = await runCli(base('verify'), { cwd, env });
    expect(verify.stdout).not.toContain('Verify clean');
    expect(verify.code).not.toBe(0);
  }, 240_000);
});
