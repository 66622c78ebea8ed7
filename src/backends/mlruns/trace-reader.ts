/**
 * The traces of an mlruns experiment, read on a second thread (trace-reader-worker.ts) while the
 * main one maps and writes the traces read before: reading a trace's nine small files and
 * scanning its spans cost about as much as inserting it into a database, so on one thread the
 * copy could not get near the target's own speed.
 *
 * - The listing asks the thread for the infos a page at a time (INFO_PAGE folders, the next page
 *   read while this one is handed out); readTrace asks for one trace. Only what the engine asks
 *   for is read: a trace whose copy is complete is never read, and at most a page or two of infos
 *   plus the engine's traces in flight are held (bounded memory).
 * - The thread answers plain data (trace-files.ts): a trace's info whole, and the files of a
 *   trace (spans scanned, kept as their text; assessments parsed), assembled here by the same
 *   code as the inline read, so a trace is the same, issue for issue, read either way; an error
 *   reading one trace comes back as that trace's error. (An assessment whose value holds a
 *   number a structured clone would not keep, python-json.ts LosslessNumber, comes as its text
 *   and is parsed here.)
 * - Without the thread (one core, it could not start, or it died), and while it is still
 *   loading, traces are read inline: slower, the same result. The thread never keeps the
 *   process alive; it is ended when nothing was asked of it for IDLE_MS with no listing open,
 *   and by close().
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ReadIssue } from '../contract.js';
import type { Trace, TraceInfo } from '../../model/trace.js';
import { listSubdirs } from './fs-util.js';
import { errorFromData, listedTraceFromFolder, readTraceFiles, traceFromFiles, type ErrorData, type TraceFiles } from './trace-files.js';
import type { ReaderRequest } from './trace-reader-worker.js';

/** Trace folders whose infos are asked for at once while listing. */
const INFO_PAGE = 64;
/** The thread ends once this long has passed without a request and without an open listing. */
const IDLE_MS = 200;
/** ... or, started ahead (prestart), this long without being asked anything. */
const PRESTART_IDLE_MS = 10_000;
/**
 * The thread's young generation, in MB. What the thread allocates is garbage within a request (a
 * trace's file texts, gone once posted), but V8 grows a busy isolate's young generation to its
 * default maximum (16 MB semi-spaces), so the copy's peak RSS grew with its length: 153 MB at 1,000
 * benchmark traces, 187-191 MB at 10,000. Capped at 4 MB: 146 and 161-163 MB, and no CPU or speed
 * difference measured (bench/traces-copy.ts). The old generation is not capped: a cap ends the
 * thread (ERR_WORKER_OUT_OF_MEMORY) on a trace with a file bigger than the cap, while an object
 * too big for the young generation simply goes to the large-object space.
 */
const THREAD_YOUNG_GENERATION_MB = 4;

type Listed = { info: TraceInfo; token: string };
type InfoReply = Listed | { info: null } | { error: ErrorData };
type TraceReply = { files: TraceFiles } | { error: ErrorData };
type Request = ReaderRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** The thread is not there (could not start, died, or was closed): the caller reads inline. */
class ThreadGone extends Error {}

export interface TraceReaderOptions {
  /** false: read inline on the calling thread (the same result, slower). Default true. */
  thread?: boolean;
}

export class MlrunsTraceReader {
  private worker: Worker | undefined;
  /** The thread has loaded its code (it said so): asked from then on, read inline before. */
  private ready = false;
  private readyWaiters: Array<(ready: boolean) => void> = [];
  /** The thread could not start or died: read inline from now on. */
  private failed: boolean;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  private nextId = 1;
  /** State tokens of the listed traces, by the info the listing gave. */
  private readonly tokens = new WeakMap<TraceInfo, string>();
  private openListings = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(options: TraceReaderOptions = {}) {
    this.failed = options.thread === false;
  }

  /** Every readable trace of the experiment folder, in folder-name order; unreadable ones are reported in `issues`. */
  async *listTraces(tracesDir: string, issues: ReadIssue[]): AsyncIterable<TraceInfo> {
    this.openListings++;
    clearTimeout(this.idleTimer);
    try {
      const names = await listSubdirs(tracesDir);
      const page = (start: number) => this.infoPage(names.slice(start, start + INFO_PAGE).map((name) => join(tracesDir, name)));
      let next = page(0);
      for (let start = 0; start < names.length; start += INFO_PAGE) {
        const current = await next;
        // The next page is read while this one is handed out.
        if (start + INFO_PAGE < names.length) next = page(start + INFO_PAGE);
        for (const [i, read] of current.entries()) {
          const listed = await traceInfoOrIssue(names[start + i]!, read, issues);
          if (!listed) continue;
          this.tokens.set(listed.info, listed.token);
          yield listed.info;
        }
      }
    } finally {
      this.openListings--;
      this.armIdle();
    }
  }

  /** The state token of a trace this reader listed (trace-state-token.ts), made while listing. */
  stateToken(info: TraceInfo): string | undefined {
    return this.tokens.get(info);
  }

  /** One whole trace from its folder. */
  async readTrace(dir: string, info: TraceInfo): Promise<Trace & { issues: ReadIssue[] }> {
    const reply = await this.ask<TraceReply>({ type: 'trace', dir });
    if (!reply) return traceFromFiles(info, readTraceFiles(dir));
    if ('error' in reply) throw errorFromData(reply.error);
    return traceFromFiles(info, reply.files);
  }

  /**
   * Starts the thread ahead of the first request (loading it takes a while: tens of milliseconds
   * compiled, hundreds through tsx), so that it is ready when the listing begins.
   */
  prestart(): void {
    if (this.worker || this.failed) return;
    if (this.thread()) this.armIdle(PRESTART_IDLE_MS);
  }

  /**
   * Ends the thread (a later request starts another). Not waited for: a thread still loading
   * its code ends only once that is done, and it never holds the process open anyway.
   */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    this.ready = false;
    this.notifyReady(false);
    this.dropPending();
    worker?.terminate().catch(() => undefined);
  }

  /** Resolves once the thread is ready to be asked (true), or is not there (false). For tests. */
  async whenReady(): Promise<boolean> {
    if (this.ready || !this.worker) return this.ready;
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Whether the thread is running (for tests: it must end when the copy ends). */
  get threadRunning(): boolean {
    return this.worker !== undefined;
  }

  /** Readers of the infos of these folders, each throwing as the inline read would. */
  private async infoPage(dirs: string[]): Promise<Array<() => Listed | undefined>> {
    const reply = await this.ask<{ infos: InfoReply[] }>({ type: 'infos', dirs });
    if (!reply) return dirs.map((dir) => () => listedTraceFromFolder(dir));
    return reply.infos.map((one) => () => {
      if ('error' in one) throw errorFromData(one.error);
      return one.info ? one : undefined;
    });
  }

  /** The thread's answer, or undefined when there is no thread to ask. */
  private async ask<T>(request: Request): Promise<T | undefined> {
    const worker = this.thread();
    // Still loading (hundreds of milliseconds through tsx): this one is read inline, not waited for.
    if (!worker || !this.ready) return undefined;
    clearTimeout(this.idleTimer);
    const id = this.nextId++;
    // Kept alive while an answer is awaited; otherwise the thread never holds the process open.
    if (this.pending.size === 0) worker.ref();
    try {
      return (await new Promise<unknown>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        worker.postMessage({ ...request, id });
      })) as T;
    } catch (error) {
      if (error instanceof ThreadGone) return undefined;
      throw error;
    }
  }

  private thread(): Worker | undefined {
    if (this.failed) return undefined;
    if (this.worker) return this.worker;
    // One core: a second thread could only take turns with this one.
    const entry = availableParallelism() > 1 ? workerEntry() : undefined;
    if (!entry) {
      this.failed = true;
      return undefined;
    }
    let worker: Worker;
    try {
      // An eval'd bootstrap is CommonJS only without the parent's flags (--input-type=module would make it ESM).
      const resourceLimits = { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB };
      worker = new Worker(entry.entry, entry.eval ? { eval: true, execArgv: [], resourceLimits } : { resourceLimits });
    } catch {
      this.failed = true;
      return undefined;
    }
    worker.unref();
    this.ready = false;
    worker.on('message', (reply: { id: number } | { ready: true }) => ('ready' in reply ? this.becomeReady(worker) : this.settle(reply)));
    // An error of the thread itself (not of a trace, which comes back as a reply): inline from now on.
    worker.on('error', () => this.lose(worker));
    worker.on('exit', () => this.lose(worker));
    this.worker = worker;
    return worker;
  }

  private becomeReady(worker: Worker): void {
    if (this.worker !== worker) return;
    this.ready = true;
    this.notifyReady(true);
  }

  private notifyReady(ready: boolean): void {
    for (const waiter of this.readyWaiters.splice(0)) waiter(ready);
  }

  private settle(reply: { id: number }): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    waiting.resolve(reply);
    if (this.pending.size === 0) {
      this.worker?.unref();
      this.armIdle();
    }
  }

  private lose(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.ready = false;
    this.failed = true;
    this.notifyReady(false);
    this.dropPending();
  }

  private dropPending(): void {
    for (const waiting of this.pending.values()) waiting.reject(new ThreadGone());
    this.pending.clear();
  }

  private armIdle(after = IDLE_MS): void {
    clearTimeout(this.idleTimer);
    if (!this.worker || this.pending.size > 0 || this.openListings > 0) return;
    this.idleTimer = setTimeout(() => {
      if (this.pending.size === 0 && this.openListings === 0) void this.close();
    }, after);
    this.idleTimer.unref();
  }
}

/** The info of trace folder `name`, or undefined with the reason in `issues` (the same words wherever it was read). */
export async function traceInfoOrIssue<T>(name: string, read: () => T | undefined | Promise<T | undefined>, issues: ReadIssue[]): Promise<T | undefined> {
  try {
    const info = await read();
    if (!info) issues.push({ field: `trace folder ${name}`, reason: 'no readable trace_info.yaml; not a trace MLflow can read, not copied' });
    return info;
  } catch (error) {
    issues.push({ field: `trace folder ${name}`, reason: `unreadable trace: ${(error as Error).message}; not copied` });
    return undefined;
  }
}

/**
 * The thread's entry beside this file, with this file's extension: the compiled CLI runs .js from
 * dist/, tests and benchmarks run .ts from src/ through tsx. A thread does not take tsx from
 * `--import` in its execArgv (Node 20 loads its entry before that registration applies), so a .ts
 * entry is loaded by a bootstrap that registers tsx in the thread first: its require hook, which
 * loads in about half the time of its ESM hooks (those start a thread of their own). Should the
 * entry ever not load that way, the thread fails to start and traces are read inline.
 */
function workerEntry(): { entry: URL | string; eval: boolean } | undefined {
  const ts = import.meta.url.endsWith('.ts');
  const url = new URL(`./trace-reader-worker.${ts ? 'ts' : 'js'}`, import.meta.url);
  if (!ts) return { entry: url, eval: false };
  try {
    const tsxRequireApi = createRequire(import.meta.url).resolve('tsx/cjs/api');
    return { entry: `require(${JSON.stringify(tsxRequireApi)}).register(); require(${JSON.stringify(fileURLToPath(url))});`, eval: true };
  } catch {
    return undefined;
  }
}
