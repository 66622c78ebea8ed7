/**
 * The benchmark trace of issue 16 (bench/traces-copy.ts): 20 spans (a root and 19 children, each
 * with 200-character inputs) and 2 assessments (a feedback and an expectation). `prefix` (one hex
 * digit) keeps the ids of two workloads in one store apart.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeTraceFolder } from '../src/backends/mlruns/traces.js';
import { LosslessNumber } from '../src/model/python-json.js';
import { spanFromDocument } from '../src/model/trace-span.js';
import type { Assessment, Trace } from '../src/model/trace.js';
import { ROOT } from './support.js';

export const SPANS = 20;
export const EXPERIMENT = '132527274744105650';

export function makeTrace(i: number, prefix = '0'): Trace {
  const hex = prefix + i.toString(16).padStart(31, '0');
  const traceId = `tr-${hex}`;
  const base = 1_735_689_700_000_000_000n + BigInt(i) * 1_000_000_000n;
  const spans = Array.from({ length: SPANS }, (_, s) =>
    spanFromDocument({
      trace_id: Buffer.from(hex, 'hex').toString('base64'),
      span_id: Buffer.from((s + 1).toString(16).padStart(16, '0'), 'hex').toString('base64'),
      parent_span_id: s === 0 ? null : Buffer.from('1'.padStart(16, '0'), 'hex').toString('base64'),
      name: `span-${s}`,
      start_time_unix_nano: new LosslessNumber(String(base + BigInt(s) * 1000n)),
      end_time_unix_nano: new LosslessNumber(String(base + BigInt(s) * 1000n + 500n)),
      events: [],
      status: { code: 'STATUS_CODE_OK', message: '' },
      attributes: {
        'mlflow.traceRequestId': JSON.stringify(traceId),
        'mlflow.spanType': '"CHAIN"',
        'mlflow.spanInputs': JSON.stringify({ question: `question ${i} ${s}`, context: 'x'.repeat(200) }),
        'mlflow.spanOutputs': JSON.stringify({ answer: `answer ${i} ${s}` }),
      },
    }),
  );
  const assessment = (n: number): Assessment => ({
    assessmentId: `a-${prefix}${i.toString(16).padStart(29, '0')}0${n}`,
    traceId,
    name: n === 1 ? 'relevance' : 'expected_answer',
    kind: n === 1 ? 'feedback' : 'expectation',
    value: n === 1 ? true : `answer ${i}`,
    sourceType: 'HUMAN',
    sourceId: 'bench',
    metadata: {},
    valid: true,
    createTime: 1_735_689_800_000 + i,
    lastUpdateTime: 1_735_689_800_000 + i,
  });
  return {
    info: {
      traceId,
      experimentId: EXPERIMENT,
      requestTime: 1_735_689_700_000 + i * 1000,
      executionDurationMs: 20,
      state: 'OK',
      requestPreview: `{"question": "question ${i}"}`,
      responsePreview: `{"answer": "answer ${i}"}`,
      tags: { 'mlflow.traceName': `trace-${i}` },
      metadata: { 'mlflow.user': 'bench', 'mlflow.trace_schema.version': '3' },
    },
    spans,
    assessments: [assessment(1), assessment(2)],
  };
}

/** An mlruns store (the real genai-mlruns fixture) whose experiment holds `count` benchmark traces instead of its own. */
export async function writeMlrunsTraceSource(dir: string, count: number): Promise<void> {
  cpSync(join(ROOT, 'test/golden/stores', 'genai-mlruns'), dir, { recursive: true });
  rmSync(join(dir, EXPERIMENT, 'traces'), { recursive: true, force: true });
  for (let i = 0; i < count; i++) {
    const trace = makeTrace(i);
    await writeTraceFolder(trace, { key: 'bench', value: '1' }, {
      stagingDir: join(dir, '.staging', trace.info.traceId),
      finalDir: join(dir, EXPERIMENT, 'traces', trace.info.traceId),
      artifactLocation: `file://${join(dir, EXPERIMENT)}`,
    });
  }
}

export interface TraceCopyRun {
  /** Engine time: the report's startedAt..finishedAt (no process start-up). */
  seconds: number;
  rssMb: number;
  /** CPU the CLI process used, start-up included: less at the mercy of the machine's load than seconds. */
  cpuSeconds: number;
  /** CPU of the CLI's main thread alone (Linux), start-up included: what a second thread takes off it shows here. */
  mainThreadCpuSeconds: number;
  traces: number;
}

/** Checkouts whose CLI this bench process has compiled already. */
const built = new Set<string>();

/**
 * The CLI as users run it: compiled (dist/, through bin/). Compiled once per checkout and bench
 * process, so that it matches that checkout's src/. Through tsx instead, the reader thread of an
 * mlruns source took 0.3-0.6 s of CPU to load and the process some 30 MB more memory.
 */
function compiledCli(root: string): string {
  if (!built.has(root)) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    built.add(root);
  }
  return join(root, 'bin/runs-migrator.js');
}

/**
 * One `copy` through the compiled CLI with these location arguments; its report is written in
 * `cwd`. BENCH_CPU_PROF_DIR=<dir> also writes a CPU profile of the copy there (node --cpu-prof),
 * to see where the time goes; BENCH_CLI_ROOT=<dir> runs the CLI of another checkout of this
 * repository instead (an earlier commit, for before/after figures).
 */
export async function copyTraces(locations: string[], cwd: string): Promise<TraceCopyRun> {
  const report = join(cwd, 'report.json');
  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  // BENCH_CLI_ROOT=<dir>: the CLI of another checkout (an earlier commit, for before/after figures).
  const cli = process.env.BENCH_CLI_ROOT ?? ROOT;
  // BENCH_CLI_NODE_ARGS="--flag ...": more node options for the CLI only (e.g. V8 heap settings).
  const nodeArgs = process.env.BENCH_CLI_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...profile, ...nodeArgs, '--import', join(ROOT, 'bench/report-rss.mjs'), compiledCli(cli), 'copy', ...locations, '--no-progress', '--report', report], {
    cwd: cli,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.resume();
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`copy failed (${code}): ${stderr.slice(-2000)}`);
  const parsed = JSON.parse(readFileSync(report, 'utf8')) as { startedAt: string; finishedAt: string; traces: { summary: { copied: number } } };
  const rss = /RUNS_MIGRATOR_MAX_RSS_KB=(\d+)/.exec(stderr);
  const cpu = /RUNS_MIGRATOR_CPU_MS=(\d+)/.exec(stderr);
  const mainCpu = /RUNS_MIGRATOR_MAIN_THREAD_CPU_MS=(\d+)/.exec(stderr);
  return {
    seconds: (Date.parse(parsed.finishedAt) - Date.parse(parsed.startedAt)) / 1000,
    rssMb: rss ? Number(rss[1]) / 1024 : Number.NaN,
    cpuSeconds: cpu ? Number(cpu[1]) / 1000 : Number.NaN,
    mainThreadCpuSeconds: mainCpu ? Number(mainCpu[1]) / 1000 : Number.NaN,
    traces: parsed.traces.summary.copied,
  };
}
