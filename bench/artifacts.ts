/**
 * Issue 18's benchmark: files through the CLI against the raw transfer ceiling of the same store,
 * measured in the same run (the same bytes PUT by a bare client, one file at a time as the engine
 * copies a run's files).
 *
 *   npm run build && node --import tsx bench/artifacts.ts [--big-mb 1024] [--small-files 10000] [--small-kb 10]
 *     [--only proxy|s3] [--files big|small]   (one store / one workload, to look at one figure)
 *     [--cli-root DIR[,DIR...]]   (the CLI of other checkouts' builds, e.g. /work/main,.: before/after
 *                                  figures, each copy against the same seeded source, interleaved)
 *     [--rounds N]   (ceiling, relay and each CLI's copy N times in turn; default 1)
 *     [--cpu-prof DIR]   (write the CLI's V8 CPU profile into DIR)
 *   BENCH_CLI_NODE_ARGS='--trace-gc'   more node options for the CLI (its stdout is then printed)
 *
 * Two stores: MLflow server -> MLflow server through the artifact proxy (stand-ins in their own
 * processes; ceiling: PUT to the target's proxy), and S3 -> S3 (direct-S3 stand-ins on one
 * moto_server; files read and written with the user's credentials; ceiling: a bare SDK upload
 * into the target bucket). Prints MB/s or files/s, the ratio, and the CLI's peak RSS; exits 1 when
 * a copy's peak RSS passed 200 MB (at the default sizes: a 1 GiB file through each store).
 *
 * How each side is timed, so that like is compared with like: the copy by the engine's own clock
 * (report startedAt..finishedAt: run creation, listing, the transfer, the completion marker; not
 * the process start-up), the ceiling by the PUT alone. Through the proxy the bench also times a
 * relay: a bare undici GET of the source file piped into a bare PUT to the target, the same three
 * processes as the copy, so the CLI's own cost is the gap between the copy and the relay. CPU
 * seconds of the CLI and of both stand-ins during the copy are printed per GiB (or per 1000 files):
 * the load of other jobs moves them less than wall time.
 */
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { request } from 'undici';
import { startMoto } from '../test/support/moto-server.js';
import { Api, arg, engineSeconds, ROOT, runCli, startStandinProcess, type ServerProcess } from './support.js';

const BIG = arg('big-mb', 1024) * 1024 * 1024;
const SMALL_FILES = arg('small-files', 10_000);
const SMALL = arg('small-kb', 10) * 1024;
const REPORT = join(tmpdir(), 'runs-migrator-bench-artifacts.json');
const LOG = join(tmpdir(), 'runs-migrator-bench-artifacts.log');
const RSS_BUDGET_MB = 200;
const option = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const ONLY = option('only');
const WORKLOADS = (option('files') ? [option('files')] : ['big', 'small']) as Array<'big' | 'small'>;
const CLI_ROOTS = (option('cli-root') ?? ROOT).split(',').map((dir) => resolve(dir));
const ROUNDS = arg('rounds', 1);
const CPU_PROF = option('cpu-prof');

function big(): Readable {
  const block = Buffer.alloc(1024 * 1024, 7);
  let sent = 0;
  return Readable.from(
    (function* () {
      while (sent < BIG) {
        const n = Math.min(block.length, BIG - sent);
        sent += n;
        yield n === block.length ? block : block.subarray(0, n);
      }
    })(),
  );
}
const small = (i: number) => Buffer.alloc(SMALL, i % 251);

interface Store {
  name: string;
  source: ServerProcess;
  target: ServerProcess;
  /** Puts one file under a run's artifact URI on `server` (seeding: the source; ceilings: the target). */
  put(server: ServerProcess, artifactUri: string, path: string, body: Buffer | Readable, size: number): Promise<void>;
  /** Opens one file under a run's artifact URI on `server` as a stream (the relay's GET). */
  get?(server: ServerProcess, artifactUri: string, path: string): Promise<Readable>;
}

async function newRun(server: ServerProcess, experiment: string): Promise<{ api: Api; runId: string; uri: string }> {
  const api = new Api(server.url);
  const experimentId = await api.createExperiment(experiment);
  const created = await api.post('runs/create', { experiment_id: experimentId, run_name: experiment, start_time: 1_700_000_000_000 });
  return { api, runId: created.run.info.run_id as string, uri: created.run.info.artifact_uri as string };
}

async function seedRun(store: Store, experiment: string, files: 'big' | 'small'): Promise<string> {
  const { api, runId, uri } = await newRun(store.source, experiment);
  if (files === 'big') await store.put(store.source, uri, 'checkpoint.bin', big(), BIG);
  else for (let i = 0; i < SMALL_FILES; i++) await store.put(store.source, uri, `f/${i}.bin`, small(i), SMALL);
  await api.post('runs/update', { run_id: runId, status: 'FINISHED', end_time: 1_700_000_100_000 });
  return uri;
}

/** The relay: the source's file by a bare GET piped into a bare PUT to the target (three processes, like the copy). */
async function relay(store: Store, sourceUri: string, round: number): Promise<number> {
  const { uri } = await newRun(store.target, `relay-big-${round}`);
  const started = performance.now();
  await store.put(store.target, uri, 'checkpoint.bin', await store.get!(store.source, sourceUri, 'checkpoint.bin'), BIG);
  return (performance.now() - started) / 1000;
}

/** The ceiling: the same bytes into a fresh run of the target, by the bare client, one file at a time. */
async function ceiling(store: Store, files: 'big' | 'small', round: number): Promise<number> {
  const { uri } = await newRun(store.target, `ceiling-${files}-${round}`);
  const started = performance.now();
  if (files === 'big') await store.put(store.target, uri, 'checkpoint.bin', big(), BIG);
  else for (let i = 0; i < SMALL_FILES; i++) await store.put(store.target, uri, `f/${i}.bin`, small(i), SMALL);
  return (performance.now() - started) / 1000;
}

async function measure(store: Store, files: 'big' | 'small', env: NodeJS.ProcessEnv): Promise<void> {
  const experiment = `bench-${files}`;
  const sourceUri = await seedRun(store, experiment, files);
  const ratios: number[][] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const raw = await ceiling(store, files, round);
    const relayed = files === 'big' && store.get ? await relay(store, sourceUri, round) : undefined;
    for (const [index, root] of CLI_ROOTS.entries()) {
      const label = CLI_ROOTS.length > 1 || ROUNDS > 1 ? ` [round ${round}, CLI ${cliName(root)}]` : '';
      const ratio = await copyOnce(store, files, env, `${experiment}-copy-${round}-${index}`, root, raw, relayed, label);
      (ratios[index] ??= []).push(ratio);
    }
  }
  if (ROUNDS > 1) {
    for (const [index, root] of CLI_ROOTS.entries()) {
      const sorted = [...ratios[index]!].sort((a, b) => a - b);
      console.log(`${store.name}, ${files === 'big' ? 'big file' : 'small files'}, CLI ${cliName(root)}: ratio min ${sorted[0]!.toFixed(2)}x, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)}x, max ${sorted.at(-1)!.toFixed(2)}x over ${ROUNDS} rounds`);
    }
  }
}

const cliName = (root: string) => (root === ROOT.replace(/\/$/, '') ? 'this checkout' : root);

async function copyOnce(
  store: Store,
  files: 'big' | 'small',
  env: NodeJS.ProcessEnv,
  targetExperiment: string,
  cliRoot: string,
  raw: number,
  relayed: number | undefined,
  label: string,
): Promise<number> {
  const experiment = `bench-${files}`;
  const serverCpu = () => store.source.cpuSeconds() + store.target.cpuSeconds();
  const serverCpuBefore = serverCpu();
  const copy = await runCli(
    ['copy', '--source-uri', store.source.url, '--source-project', `default/${experiment}`, '--target-uri', store.target.url, '--target-project', `default/${targetExperiment}`, '--no-progress', '--report', REPORT, '--log-file', LOG],
    env,
    join(cliRoot, 'bin/runs-migrator.js'),
    [...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : []), ...(process.env.BENCH_CLI_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
  );
  if (process.env.BENCH_CLI_NODE_ARGS) console.log(copy.stdout);
  const serversCpu = serverCpu() - serverCpuBefore;
  if (copy.exitCode !== 0) throw new Error(`copy failed (${copy.exitCode}): ${copy.stderr.slice(-2000)}`);
  const ours = engineSeconds(REPORT);
  const units = files === 'big' ? BIG / 2 ** 30 : SMALL_FILES / 1000;
  const perUnit = files === 'big' ? 'GiB' : '1000 files';
  const unit = files === 'big' ? `${(BIG / 1e6 / ours).toFixed(1)} MB/s vs ${(BIG / 1e6 / raw).toFixed(1)} MB/s raw` : `${(SMALL_FILES / ours).toFixed(0)} files/s vs ${(SMALL_FILES / raw).toFixed(0)} files/s raw`;
  const what = files === 'big' ? `1 file of ${BIG / 1024 / 1024} MiB` : `${SMALL_FILES} files of ${SMALL / 1024} KiB`;
  // Issue 18: a 1 GiB file (any size) is copied in bounded memory, under 200 MB of peak RSS.
  const overBudget = copy.maxRssMb > RSS_BUDGET_MB;
  if (overBudget) process.exitCode = 1;
  console.log(
    `${store.name}, ${what}${label}: ${unit}; ratio ${(raw / ours).toFixed(2)}x` +
      (relayed !== undefined ? `; bare GET->PUT relay ${(BIG / 1e6 / relayed).toFixed(1)} MB/s (${(raw / relayed).toFixed(2)}x; copy/relay ${(relayed / ours).toFixed(2)}x)` : '') +
      `; CLI peak RSS ${copy.maxRssMb.toFixed(0)} MB; CPU s per ${perUnit}: CLI ${(copy.cpuSeconds / units).toFixed(2)} (user ${(copy.userCpuSeconds / units).toFixed(2)}; whole process, start-up included), stand-ins ${(serversCpu / units).toFixed(2)}` +
      (overBudget ? ` - OVER the ${RSS_BUDGET_MB} MB budget` : ''),
  );
  return raw / ours;
}

async function main(): Promise<void> {
  const moto = await startMoto();
  for (const bucket of ['bench-a', 'bench-b']) await moto.createBucket(bucket);
  const s3Env = moto.env();
  const client = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey } });
  const servers: ServerProcess[] = [];
  try {
    const proxied: Store = {
      name: 'server -> server through the proxy',
      source: await startStandinProcess(),
      target: await startStandinProcess(),
      async put(server, uri, path, body, size) {
        const url = `${server.url.replace(/\/$/, '')}/api/2.0/mlflow-artifacts/artifacts/${uri.replace(/^mlflow-artifacts:\//, '')}/${path}`;
        const res = await request(url, { method: 'PUT', body, headers: { 'content-length': String(size) } });
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`PUT ${path}: HTTP ${res.statusCode}`);
      },
      async get(server, uri, path) {
        const url = `${server.url.replace(/\/$/, '')}/api/2.0/mlflow-artifacts/artifacts/${uri.replace(/^mlflow-artifacts:\//, '')}/${path}`;
        const res = await request(url);
        if (res.statusCode !== 200) throw new Error(`GET ${path}: HTTP ${res.statusCode}`);
        return res.body;
      },
    };
    servers.push(proxied.source, proxied.target);
    Object.assign(process.env, s3Env);
    const s3: Store = {
      name: 'S3 -> S3 (direct, moto_server)',
      source: await startStandinProcess(['--s3-direct-bucket', 'bench-a']),
      target: await startStandinProcess(['--s3-direct-bucket', 'bench-b']),
      async put(_server, uri, path, body, size) {
        const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri)!;
        const key = `${m[2]}/${path}`;
        if (Buffer.isBuffer(body)) await client.send(new PutObjectCommand({ Bucket: m[1], Key: key, Body: body, ContentLength: size }));
        else await new Upload({ client, params: { Bucket: m[1], Key: key, Body: body }, partSize: 8 * 1024 * 1024, queueSize: 2 }).done();
      },
    };
    servers.push(s3.source, s3.target);
    for (const store of [proxied, s3]) {
      if (ONLY && (ONLY === 's3') !== (store === s3)) continue;
      for (const files of WORKLOADS) await measure(store, files, store === s3 ? s3Env : {});
    }
  } finally {
    for (const server of servers) await server.stop();
    client.destroy();
    await moto.stop();
  }
}

await main();
