/**
 * The server -> server half of issue 16's benchmark (bench/traces-copy.ts runs it): two MLflow
 * stand-ins, each in its own process; the source is filled with the benchmark traces through
 * the same requests a client sends, then copied through the CLI into the other server. The
 * ceiling is the target server's raw ingest of the same traces, measured in the same run: per
 * trace StartTraceV3 with the whole info, the spans in one OTLP /v1/traces request and one
 * create per assessment, bodies built before the clock starts, as many traces in flight as the
 * copy has (32), nothing read; half of it just before the copy and half just after.
 */
import { Pool } from 'undici';
import { startInfo } from '../src/backends/mlflow/traces.js';
import { otlpRequest } from '../src/backends/mlflow/otlp-spans.js';
import { assessmentToProto } from '../src/model/trace-proto.js';
import { Api, startStandinProcess, type ServerProcess } from './support.js';
import { copyTraces, makeTrace, SPANS } from './trace-workload.js';

/**
 * Traces the copy has in flight (src/engine/traces/project-traces.ts TRACE_WORKERS), and so the
 * ceiling too. BENCH_IN_FLIGHT=<n> runs both with n (the copy through `--workers n`).
 */
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 32);

interface Request {
  path: string;
  body: string;
  headers: Record<string, string>;
}

/** The requests that put one benchmark trace into `experimentId`, in the order a client sends them. */
function traceRequests(i: number, prefix: string, experimentId: string): Request[] {
  const trace = makeTrace(i, prefix);
  const json = { 'content-type': 'application/json' };
  const requests: Request[] = [
    { path: '/api/3.0/mlflow/traces', body: JSON.stringify({ trace: { trace_info: startInfo(trace.info, experimentId, trace.info.tags) } }), headers: json },
    { path: '/v1/traces', body: otlpRequest(trace.spans, []), headers: { ...json, 'x-mlflow-experiment-id': experimentId } },
  ];
  for (const a of trace.assessments) {
    const dict = assessmentToProto(a);
    delete dict.valid;
    requests.push({ path: `/api/3.0/mlflow/traces/${trace.info.traceId}/assessments`, body: JSON.stringify({ assessment: dict }), headers: json });
  }
  return requests;
}

/** Sends each trace's requests in order, IN_FLIGHT traces at once; answers the seconds taken. */
async function sendTraces(url: string, traces: Request[][]): Promise<number> {
  const pool = new Pool(new URL(url).origin, { connections: IN_FLIGHT, pipelining: 1 });
  const started = performance.now();
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < traces.length) {
          for (const request of traces[next++]!) {
            const response = await pool.request({ method: 'POST', path: request.path, headers: request.headers, body: request.body });
            const text = await response.body.text();
            if (response.statusCode !== 200) throw new Error(`${request.path}: HTTP ${response.statusCode} ${text.slice(0, 200)}`);
          }
        }
      }),
    );
  } finally {
    await pool.close();
  }
  return (performance.now() - started) / 1000;
}

/** Fills `experiment` with `count` traces in chunks, so that the bodies of 10,000 are never all held. */
async function seed(server: ServerProcess, experiment: string, count: number): Promise<void> {
  const api = new Api(server.url);
  const experimentId = await api.createExperiment(experiment);
  await api.close();
  for (let from = 0; from < count; from += 1000) {
    const chunk = Array.from({ length: Math.min(1000, count - from) }, (_, k) => traceRequests(from + k, '0', experimentId));
    await sendTraces(server.url, chunk);
  }
}

export interface ServerBenchResult {
  count: number;
  seconds: number;
  rssMb: number;
  cpuSeconds: number;
  ceiling: number;
  targetRequests: Record<string, number>;
  /**
   * CPU seconds the two servers spent during the copy, and the target during the ceiling: what
   * each side costs per trace, which the machine's load moves much less than the rates.
   */
  serverCpu: { target: number; source: number };
  ceilingCpu: number;
}

export async function benchServerToServer(counts: number[], work: string): Promise<ServerBenchResult[]> {
  const results: ServerBenchResult[] = [];
  for (const count of counts) {
    // Fresh servers per size: the same store size for the ceiling and the copy.
    const source = await startStandinProcess();
    const target = await startStandinProcess();
    try {
      await seed(source, `traces-${count}`, count);
      const api = new Api(target.url);
      const ceilingExperiment = await api.createExperiment('ceiling');
      await api.close();
      // Other ids than the copy's ('1' prefix), so that the copy keeps the source's. Half the
      // ceiling is measured before the copy and half after, so that a change in the machine's
      // load during the run weighs on both alike.
      const half = Math.ceil(count / 2);
      const ceilingHalf = async (from: number, to: number) => sendTraces(target.url, Array.from({ length: to - from }, (_, k) => traceRequests(from + k, '1', ceilingExperiment)));
      let ceilingCpu = target.cpuSeconds();
      let ceilingSeconds = await ceilingHalf(0, half);
      ceilingCpu = target.cpuSeconds() - ceilingCpu;
      const before = await target.requestsByRoute();
      const cpuBefore = { target: target.cpuSeconds(), source: source.cpuSeconds() };
      const workers = process.env.BENCH_IN_FLIGHT ? ['--workers', String(IN_FLIGHT)] : [];
      const run = await copyTraces(['--source-uri', source.url, '--source-project', `default/traces-${count}`, '--target-uri', target.url, '--target-project', `default/traces-${count}-copy`, ...workers], work);
      if (run.traces !== count) throw new Error(`copied ${run.traces} of ${count} traces`);
      const serverCpu = { target: target.cpuSeconds() - cpuBefore.target, source: source.cpuSeconds() - cpuBefore.source };
      const after = await target.requestsByRoute();
      const cpuAtHalf = target.cpuSeconds();
      ceilingSeconds += await ceilingHalf(half, count);
      ceilingCpu += target.cpuSeconds() - cpuAtHalf;
      const targetRequests = Object.fromEntries(Object.entries(after).map(([route, n]) => [route, n - (before[route] ?? 0)]).filter(([, n]) => (n as number) > 0));
      results.push({ count, seconds: run.seconds, rssMb: run.rssMb, cpuSeconds: run.cpuSeconds, ceiling: count / ceilingSeconds, targetRequests, serverCpu, ceilingCpu });
    } finally {
      await source.stop();
      await target.stop();
    }
  }
  return results;
}

export function printServerResults(results: ServerBenchResult[]): void {
  for (const r of results) {
    const rate = r.count / r.seconds;
    console.log(`server -> server, ${r.count} traces x ${SPANS} spans x 2 assessments: ${rate.toFixed(0)} traces/s; ceiling ${r.ceiling.toFixed(0)} traces/s; ratio ${(rate / r.ceiling).toFixed(3)}; CLI peak RSS ${r.rssMb.toFixed(0)} MB; CLI CPU ${((r.cpuSeconds * 1000) / r.count).toFixed(1)} ms per trace`);
    const ms = (seconds: number) => ((seconds * 1000) / r.count).toFixed(1);
    console.log(`  CPU per trace: target ${ms(r.serverCpu.target)} ms during the copy, ${ms(r.ceilingCpu)} ms during the ceiling; source ${ms(r.serverCpu.source)} ms; CLI ${ms(r.cpuSeconds)} ms`);
    console.log(`  target requests per trace: ${Object.entries(r.targetRequests).map(([route, n]) => `${route} ${(n / r.count).toFixed(2)}`).join(', ')}`);
  }
}
