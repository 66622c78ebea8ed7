/**
 * A real S3 endpoint for the tests: Python moto's `moto_server` on 127.0.0.1 with a free port.
 * `stop()` ends the process it started.
 *
 * With `auth: true` moto checks signatures (INITIAL_NO_AUTH_ACTION_COUNT): the first three IAM
 * calls create a user with an allow-all inline policy and its access key; every later request must
 * be signed with that key, so a wrong key is refused as a real S3 refuses it (403). moto 5.2.1
 * then also refuses correctly signed ListObjectsV2 calls whose Prefix holds '/' (its signature
 * check encodes the query differently from S3 and from the AWS SDK), so only tests about
 * credentials turn it on; the others run moto as most people do, accepting any key.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface MotoServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The environment MLflow's client (and runs-migrator) reads to reach this endpoint. */
  env(): Record<string, string>;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Why moto cannot be started here, or undefined when `moto_server` is on the PATH. */
export function motoUnavailable(): string | undefined {
  const probe = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
  return probe.error || probe.status !== 0 ? 'moto_server is not installed (pip install "moto[server]"; .ci/run installs it)' : undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitUp(endpoint: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`);
    try {
      await fetch(`${endpoint}/moto-api/`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('moto_server did not start within 15 s');
}

async function iam(endpoint: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // Unsigned bootstrap calls (counted by INITIAL_NO_AUTH_ACTION_COUNT) still need an IAM scope to be routed.
      authorization: 'AWS4-HMAC-SHA256 Credential=bootstrap/20260101/us-east-1/iam/aws4_request',
    },
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`moto IAM ${params.Action}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return text;
}

export async function startMoto(options: { auth?: boolean } = {}): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...(options.auth ? { INITIAL_NO_AUTH_ACTION_COUNT: '3' } : {}) },
    stdio: 'ignore',
  });
  try {
    await waitUp(endpoint, child);
    let accessKeyId = 'testing-key-id';
    let secretAccessKey = 'testing-secret';
    if (options.auth) {
      await iam(endpoint, { Action: 'CreateUser', UserName: 'migrator' });
      const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
      await iam(endpoint, { Action: 'PutUserPolicy', UserName: 'migrator', PolicyName: 'all', PolicyDocument: policy });
      const key = await iam(endpoint, { Action: 'CreateAccessKey', UserName: 'migrator' });
      const id = /<AccessKeyId>([^<]+)</.exec(key)?.[1];
      const secret = /<SecretAccessKey>([^<]+)</.exec(key)?.[1];
      if (!id || !secret) throw new Error('moto IAM answered no access key');
      accessKeyId = id;
      secretAccessKey = secret;
    }
    const env = () => ({
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      MLFLOW_S3_ENDPOINT_URL: endpoint,
    });
    return {
      endpoint,
      accessKeyId,
      secretAccessKey,
      env,
      async createBucket(name) {
        const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
        const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
        await client.send(new CreateBucketCommand({ Bucket: name }));
        client.destroy();
      },
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    };
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  }
}
