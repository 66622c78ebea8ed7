/**
 * Shared pieces of the benchmarks: stand-in servers in their own processes (so their CPU is not
 * ours), a raw log-batch poster for ceilings, and the CLI run as a child whose peak RSS we read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Requests the server answered so far, by route name (stand-in stats). */
  requestsByRoute(): Promise<Record<string, number>>;
  /** CPU seconds (user + system) the server process used so far (Linux /proc). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export async function startStandinProcess(extraArgs: string[] = []): Promise<ServerProcess> {
  // BENCH_STANDIN_PROF_DIR=<dir>: a V8 CPU profile of each stand-in process (written at its exit).
  const profile = process.env.BENCH_STANDIN_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_STANDIN_PROF_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'test/support/mlflow-standin/cli.ts', '--port', '0', ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  for (let line = await lines.next(); !line.done; line = await lines.next()) {
    const parsed = JSON.parse(line.value) as { url?: string };
    if (parsed.url) {
      return {
        url: parsed.url,
        child,
        cpuSeconds() {
          const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
          return (Number(fields[11]) + Number(fields[12])) / 100;
        },
        async requestsByRoute() {
          child.kill('SIGUSR2');
          const next = await lines.next();
          if (next.done) throw new Error('the stand-in exited');
          return (JSON.parse(next.value) as { stats: { byRoute: Record<string, number> } }).stats.byRoute;
        },
        async stop() {
          child.kill('SIGTERM');
          await once(child, 'exit');
        },
      };
    }
  }
  throw new Error('the stand-in exited before it listened');
}

export class Api {
  private readonly pool: Pool;
  constructor(private readonly url: string, connections = 8) {
    this.pool = new Pool(new URL(url).origin, { connections, pipelining: 1 });
  }

  private path(path: string): string {
    return new URL(this.url).pathname.replace(/\/$/, '') + path;
  }

  async post(path: string, body: unknown | string): Promise<any> {
    const response = await this.pool.request({
      method: 'POST',
      path: this.path(`/api/2.0/mlflow/${path}`),
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${path}: HTTP ${response.statusCode} ${text.slice(0, 200)}`);
    return text === '' ? {} : JSON.parse(text);
  }

  /** PUT of raw bytes (artifact proxy uploads), path below the server URL. */
  async put(path: string, body: Buffer): Promise<void> {
    const response = await this.pool.request({ method: 'PUT', path: this.path(path), body });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`PUT ${path}: HTTP ${response.statusCode} ${text.slice(0, 200)}`);
  }

  async createExperiment(name: string): Promise<string> {
    return (await this.post('experiments/create', { name })).experiment_id as string;
  }

  async createRun(experimentId: string, name: string, startTime = 1_700_000_000_000): Promise<string> {
    const created = await this.post('runs/create', { experiment_id: experimentId, run_name: name, start_time: startTime });
    return created.run.info.run_id as string;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** log-batch bodies of `batch` points each for `keys` keys x `steps` steps, built up front. */
export function buildBatches(runId: string, keys: number, steps: number, batch = 1000): string[] {
  const bodies: string[] = [];
  let metrics: string[] = [];
  for (let k = 0; k < keys; k++) {
    for (let step = 0; step < steps; step++) {
      metrics.push(`{"key":"metric_${k}","value":${Math.sin(step) * 100 + k},"timestamp":${1_700_000_000_000 + step},"step":${step}}`);
      if (metrics.length === batch) {
        bodies.push(`{"run_id":"${runId}","metrics":[${metrics.join(',')}]}`);
        metrics = [];
      }
    }
  }
  if (metrics.length > 0) bodies.push(`{"run_id":"${runId}","metrics":[${metrics.join(',')}]}`);
  return bodies;
}

/** Posts prepared log-batch bodies with `concurrency` in flight; returns seconds taken. */
export async function postAll(api: Api, bodies: string[], concurrency: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        await api.post('runs/log-batch', body);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

export interface CliRun {
  seconds: number;
  maxRssMb: number;
  /** CPU time (user + system) the CLI process used, in seconds (NaN when it did not say). */
  cpuSeconds: number;
  /** The user part of cpuSeconds (system time moves most with the other jobs' load). */
  userCpuSeconds: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (dist/; or `bin` of another build) as a child and reads its own peak RSS at exit. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, bin = 'bin/runs-migrator.js', nodeArgs: string[] = []): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, '--import', './bench/report-rss.mjs', bin, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const seconds = (performance.now() - started) / 1000;
  const match = /RUNS_MIGRATOR_MAX_RSS_KB=(\d+)/.exec(stderr);
  const cpu = /RUNS_MIGRATOR_CPU_MS=(\d+)/.exec(stderr);
  const userCpu = /RUNS_MIGRATOR_USER_CPU_MS=(\d+)/.exec(stderr);
  return {
    seconds,
    maxRssMb: match ? Number(match[1]) / 1024 : Number.NaN,
    cpuSeconds: cpu ? Number(cpu[1]) / 1000 : Number.NaN,
    userCpuSeconds: userCpu ? Number(userCpu[1]) / 1000 : Number.NaN,
    exitCode: code ?? -1,
    stdout,
    stderr,
  };
}

/** Seconds the engine spent (report startedAt..finishedAt): the copy without process start-up. */
export function engineSeconds(reportPath: string): number {
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as { startedAt: string; finishedAt: string };
  return (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000;
}

export function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

/** Start time of the small-run workloads (bench/small-runs.ts, bench/sync.ts). */
export const SMALL_RUN_T0 = 1_700_000_000_000;

/** A small run's log-batch body: 10 params, 5 tags, 5 metrics x 10 points. */
export function smallRunBatch(runId: string, index: number): string {
  const metrics: string[] = [];
  for (let k = 0; k < 5; k++) {
    for (let step = 0; step < 10; step++) metrics.push(`{"key":"metric_${k}","value":${Math.sin(index + k + step)},"timestamp":${SMALL_RUN_T0 + step},"step":${step}}`);
  }
  const params = Array.from({ length: 10 }, (_, k) => `{"key":"param_${k}","value":"${k * index}"}`);
  const tags = Array.from({ length: 5 }, (_, k) => `{"key":"tag_${k}","value":"value ${k}"}`);
  return `{"run_id":"${runId}","metrics":[${metrics.join(',')}],"params":[${params.join(',')}],"tags":[${tags.join(',')}]}`;
}
