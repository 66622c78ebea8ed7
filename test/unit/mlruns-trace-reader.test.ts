/**
 * The mlruns trace reader's second thread (src/backends/mlruns/trace-reader.ts): what it reads is
 * what the inline read gives (infos, spans byte for byte, assessments, and every issue in the
 * same words), a trace that cannot be read fails alone, and the thread ends when the reading
 * ends, when it is closed, or never holds the process open.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReadIssue } from '../../src/backends/contract.js';
import { MlrunsTraceReader } from '../../src/backends/mlruns/trace-reader.js';
import { writeTraceFolder } from '../../src/backends/mlruns/traces.js';
import { LosslessNumber, type JsonDoc } from '../../src/model/python-json.js';
import { spanContent, spanFromDocument } from '../../src/model/trace-span.js';
import type { Trace, TraceInfo } from '../../src/model/trace.js';
import { makeTrace } from '../../bench/trace-workload.js';
import { tempDir } from '../support/cli-process.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';

const EXPERIMENT = '132527274744105650';
let dir: string;
let tracesDir: string;

beforeEach(async () => {
  dir = tempDir('trace-reader');
  cpSync(join(GOLDEN_STORES_DIR, 'genai-mlruns', EXPERIMENT), join(dir, EXPERIMENT), { recursive: true });
  tracesDir = join(dir, EXPERIMENT, 'traces');
  // Beside the real store's six traces, generated ones: more than a page of infos (64).
  for (let i = 0; i < 70; i++) {
    const trace = makeTrace(i);
    await writeTraceFolder(trace, { key: 'runs_migrator.completed', value: 'x' }, {
      stagingDir: join(dir, '.staging', trace.info.traceId),
      finalDir: join(tracesDir, trace.info.traceId),
      artifactLocation: `file://${join(dir, EXPERIMENT)}`,
    });
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface ReadAll {
  infos: TraceInfo[];
  listIssues: ReadIssue[];
  traces: Array<{ spans: Array<{ fields: object; content: string }>; assessments: Trace['assessments']; issues: ReadIssue[] } | { error: string }>;
}

/** Lists and reads every trace, several reads in flight as the engine has them. */
async function readAll(reader: MlrunsTraceReader, onListed?: () => void): Promise<ReadAll> {
  const listIssues: ReadIssue[] = [];
  const infos: TraceInfo[] = [];
  const reads: Array<Promise<ReadAll['traces'][number]>> = [];
  for await (const info of reader.listTraces(tracesDir, listIssues)) {
    onListed?.();
    infos.push(info);
    reads.push(
      reader.readTrace(join(tracesDir, info.traceId), info).then(
        (trace) => ({
          // Every field, and the document as the text a writer gets (byte for byte).
          spans: trace.spans.map((span) => ({ fields: { ...span, document: undefined }, content: spanContent(span) })),
          assessments: trace.assessments,
          issues: trace.issues,
        }),
        (error: Error) => ({ error: error.message }),
      ),
    );
  }
  return { infos, listIssues, traces: await Promise.all(reads) };
}

/** A reader whose thread has loaded (until then it reads inline, which these tests must not mistake for the thread). */
async function readyReader(): Promise<MlrunsTraceReader> {
  const reader = new MlrunsTraceReader();
  reader.prestart();
  expect(await reader.whenReady()).toBe(true);
  return reader;
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the mlruns trace reader thread', () => {
  it('reads the same infos, spans (byte for byte) and assessments as the inline read, on its thread', async () => {
    const threaded = await readyReader();
    let usedThread = false;
    const viaThread = await readAll(threaded, () => (usedThread ||= threaded.threadRunning));
    const inline = await readAll(new MlrunsTraceReader({ thread: false }));
    expect(usedThread).toBe(true);
    expect(viaThread.infos).toHaveLength(76);
    expect(viaThread).toEqual(inline);
    // Spans that kept their text still parse to their document when asked.
    const info = viaThread.infos.find((i) => i.traceId === makeTrace(3).info.traceId)!;
    const trace = await threaded.readTrace(join(tracesDir, info.traceId), info);
    expect(trace.spans.map((span) => span.document)).toEqual(makeTrace(3).spans.map((span) => span.document));
    await threaded.close();
  });

  it('reports a trace it cannot read in the same words as the inline read, and reads the others', async () => {
    const broken = makeTrace(5).info.traceId;
    const noInfo = makeTrace(6).info.traceId;
    const badSpan = makeTrace(7).info.traceId;
    const spansFolder = makeTrace(4).info.traceId;
    // An assessments folder that cannot be listed (a symlink loop): the listing's state token needs
    // it, so the trace is reported as unreadable there, and not listed.
    rmSync(join(tracesDir, broken, 'assessments'), { recursive: true });
    symlinkSync(join(tracesDir, broken, 'assessments'), join(tracesDir, broken, 'assessments'));
    // A traces.json that is a folder: listed, and the trace fails when it is read.
    rmSync(join(tracesDir, spansFolder, 'artifacts', 'traces.json'));
    mkdirSync(join(tracesDir, spansFolder, 'artifacts', 'traces.json'));
    // A trace_info.yaml that is a folder: not listed, reported.
    rmSync(join(tracesDir, noInfo, 'trace_info.yaml'));
    mkdirSync(join(tracesDir, noInfo, 'trace_info.yaml'));
    // A span without an id: that span is reported, the others copied.
    writeFileSync(join(tracesDir, badSpan, 'artifacts', 'traces.json'), '{"spans": [{"name": "no id"}, {"span_id": "AAAAAAAAAAE=", "name": "ok", "start_time_unix_nano": 1}]}');

    // An assessment file that is not YAML: reported, the trace copied without it.
    const badAssessment = makeTrace(9);
    writeFileSync(join(tracesDir, badAssessment.info.traceId, 'assessments', `${badAssessment.assessments[0]!.assessmentId}.yaml`), 'value: [unclosed');
    // A value whose number is kept as its digits (beyond 2^53): not plain data, so parsed on the main
    // thread, where it stays a LosslessNumber (a structured clone would make it a plain object).
    const digits = makeTrace(8);
    digits.assessments[0]!.value = new LosslessNumber('12345678901234567890');
    await writeTraceFolder(digits, { key: 'runs_migrator.completed', value: 'x' }, {
      stagingDir: join(dir, '.staging', digits.info.traceId),
      finalDir: join(tracesDir, digits.info.traceId),
      artifactLocation: `file://${join(dir, EXPERIMENT)}`,
    });

    const threaded = await readyReader();
    const viaThread = await readAll(threaded);
    const inline = await readAll(new MlrunsTraceReader({ thread: false }));
    expect(viaThread).toEqual(inline);
    const read = await threaded.readTrace(join(tracesDir, digits.info.traceId), viaThread.infos.find((i) => i.traceId === digits.info.traceId)!);
    expect(read.assessments[0]!.value).toBeInstanceOf(LosslessNumber);
    await threaded.close();

    expect(viaThread.infos).toHaveLength(74);
    expect(viaThread.listIssues).toEqual([
      { field: `trace folder ${broken}`, reason: expect.stringMatching(/^unreadable trace: ELOOP.*; not copied$/) },
      { field: `trace folder ${noInfo}`, reason: expect.stringMatching(/^unreadable trace: EISDIR.*; not copied$/) },
    ]);
    const at = (id: string) => viaThread.traces[viaThread.infos.findIndex((i) => i.traceId === id)]!;
    expect(at(spansFolder)).toEqual({ error: expect.stringMatching(/^EISDIR/) });
    expect(at(badSpan)).toMatchObject({ spans: [{ fields: { name: 'ok' } }], issues: [{ field: `trace ${badSpan} span #0`, reason: expect.stringMatching(/lacks span_id.*; not copied$/) }] });
    expect(at(badAssessment.info.traceId)).toMatchObject({ assessments: [{ name: 'expected_answer' }], issues: [{ field: expect.stringMatching(/^trace .* assessment .*\.yaml$/), reason: expect.stringMatching(/; not copied$/) }] });
    expect(viaThread.traces.filter((t) => 'error' in t)).toHaveLength(1);
  });

  it('ends its thread once the reading is done, once a listing is abandoned, and on close', async () => {
    const reader = await readyReader();
    await readAll(reader);
    await until(() => !reader.threadRunning);

    reader.prestart();
    expect(await reader.whenReady()).toBe(true);
    for await (const info of reader.listTraces(tracesDir, [])) {
      await reader.readTrace(join(tracesDir, info.traceId), info);
      expect(reader.threadRunning).toBe(true);
      break;
    }
    await until(() => !reader.threadRunning);

    reader.prestart();
    expect(reader.threadRunning).toBe(true);
    await reader.close();
    expect(reader.threadRunning).toBe(false);
  });

  it('reads inline what was asked of a thread that died, with the same result', async () => {
    const reader = await readyReader();
    const inline = await readAll(new MlrunsTraceReader({ thread: false }));
    let killed = false;
    const result = await readAll(reader, () => {
      if (killed) return;
      killed = true;
      // The thread goes away behind the reader's back (as a crash of the thread would).
      void (reader as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    });
    expect(killed).toBe(true);
    expect(result).toEqual(inline);
    expect(reader.threadRunning).toBe(false);
  });

  it('reads a trace with a span far bigger than its small young generation on the thread, without the thread running out of memory', async () => {
    // 70 MB of span inputs: above the young generation the thread is capped at (4 MB), and above the
    // 64 MB old generation cap once tried, which ended the thread on such a trace (ERR_WORKER_OUT_OF_MEMORY).
    const big = makeTrace(3);
    const hugeSpan = big.spans[1]!;
    const document = { ...(hugeSpan.document as Record<string, unknown>) };
    document.attributes = { ...(document.attributes as Record<string, string>), 'mlflow.spanInputs': JSON.stringify({ context: 'x'.repeat(70 * 1024 * 1024) }) };
    big.spans[1] = spanFromDocument(document as JsonDoc);
    const bigDir = join(tracesDir, big.info.traceId);
    rmSync(bigDir, { recursive: true });
    await writeTraceFolder(big, { key: 'runs_migrator.completed', value: 'x' }, { stagingDir: join(dir, '.staging', big.info.traceId), finalDir: bigDir, artifactLocation: `file://${join(dir, EXPERIMENT)}` });

    const reader = await readyReader();
    const infos: TraceInfo[] = [];
    for await (const info of reader.listTraces(tracesDir, [])) infos.push(info);
    const info = infos.find((one) => one.traceId === big.info.traceId)!;
    const viaThread = await reader.readTrace(bigDir, info);
    // Still running: the read was answered by the thread, not by the inline read after its death.
    expect(reader.threadRunning).toBe(true);
    const after = infos.find((one) => one.traceId === makeTrace(4).info.traceId)!;
    await reader.readTrace(join(tracesDir, after.traceId), after);
    expect(reader.threadRunning).toBe(true);
    await reader.close();

    const inline = await new MlrunsTraceReader({ thread: false }).readTrace(bigDir, info);
    expect(viaThread.spans).toHaveLength(20);
    expect(viaThread.issues).toEqual(inline.issues);
    const contents = (trace: typeof inline) => trace.spans.map(spanContent);
    expect(contents(viaThread)[1]!.length).toBeGreaterThan(70 * 1024 * 1024);
    expect(contents(viaThread).every((text, i) => text === contents(inline)[i])).toBe(true);
  });

  it('never holds the process open: a copy that does not close the reader still exits', async () => {
    const script = `
      import { MlrunsTraceReader } from ${JSON.stringify(new URL('../../src/backends/mlruns/trace-reader.ts', import.meta.url).href)};
      const reader = new MlrunsTraceReader();
      reader.prestart();
      await reader.whenReady();
      for await (const info of reader.listTraces(${JSON.stringify(tracesDir)}, [])) {
        await reader.readTrace(${JSON.stringify(tracesDir)} + '/' + info.traceId, info);
      }
      console.log(reader.threadRunning ? 'thread still running' : 'thread ended');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const started = Date.now();
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    // The thread was still there when the script ended (its idle timer had not fired): the exit did not wait for it.
    expect(out.trim()).toBe('thread still running');
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
