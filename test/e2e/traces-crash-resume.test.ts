/**
 * Exactly once for traces under SIGKILL: a copy of 120 traces into an MLflow server (the stand-in)
 * is killed while traces are being written, then run again until it finishes. Afterwards every
 * source trace has exactly one copy, the target experiment holds nothing else (no orphan trace of
 * an interrupted write), and verify is clean.
 */
import { cpSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { runCli, startCli, tempDir } from '../support/cli-process.js';

vi.setConfig({ testTimeout: 300_000 });

const EXPERIMENT = '132527274744105650';
const TEMPLATE = 'tr-bad471c1aa39c2df7831470ed0699f53';
const COUNT = 120;

/** The genai-mlruns store with COUNT more copies of qa-simple (3 spans, 3 assessments each), under new ids. */
function bigSource(dir: string): void {
  cpSync(join(GOLDEN_STORES_DIR, 'genai-mlruns'), dir, { recursive: true });
  const traces = join(dir, EXPERIMENT, 'traces');
  for (let i = 0; i < COUNT; i++) {
    const id = `tr-${i.toString(16).padStart(32, 'a')}`;
    cpSync(join(traces, TEMPLATE), join(traces, id), { recursive: true });
    const info = join(traces, id, 'trace_info.yaml');
    writeFileSync(info, readFileSync(info, 'utf8').replace(TEMPLATE, id));
    // The span documents name their trace twice: base64 trace_id and the mlflow.traceRequestId attribute.
    const spans = join(traces, id, 'artifacts', 'traces.json');
    const base64 = (traceId: string) => Buffer.from(traceId.slice(3), 'hex').toString('base64');
    writeFileSync(spans, readFileSync(spans, 'utf8').replaceAll(TEMPLATE, id).replaceAll(base64(TEMPLATE), base64(id)));
    for (const file of readdirSync(join(traces, id, 'assessments'))) {
      const path = join(traces, id, 'assessments', file);
      const oldId = file.slice(0, -'.yaml'.length);
      const newId = `a-${i.toString(16).padStart(8, '0')}${oldId.slice(10)}`;
      writeFileSync(path, readFileSync(path, 'utf8').replace(TEMPLATE, id).replace(oldId, newId));
      renameSync(path, join(traces, id, 'assessments', `${newId}.yaml`));
    }
  }
}

async function traceCount(server: StandinServer, experimentId: string): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const response = await request(`${server.url}/api/3.0/mlflow/traces/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }], max_results: 500, ...(token ? { page_token: token } : {}) }),
    });
    const body = (await response.body.json()) as { traces?: unknown[]; next_page_token?: string };
    count += body.traces?.length ?? 0;
    token = body.next_page_token || undefined;
  } while (token);
  return count;
}

async function experimentId(server: StandinServer, name: string): Promise<string | undefined> {
  const response = await request(`${server.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`);
  const body = (await response.body.json()) as { experiment?: { experiment_id?: string } };
  return body.experiment?.experiment_id;
}

describe('traces under SIGKILL', () => {
  let server: StandinServer;
  beforeAll(async () => {
    server = await startStandin();
  });
  afterAll(() => server.close());

  it('a copy into a server killed while writing traces, run again: every trace exactly once, nothing else, verify clean', async () => {
    const cwd = tempDir('traces-kill');
    const source = join(cwd, 'source');
    bigSource(source);
    const args = ['copy', '--source-uri', source, '--source-project', 'genai-fixture', '--target-uri', server.url, '--target-project', 'killed', '--no-progress', '--workers', '4'];
    let kills = 0;
    for (const after of [10, 40]) {
      // Killed once the server holds `after` traces of the target experiment: mid-way through the traces.
      const { child, done } = startCli(args, { cwd });
      const watch = setInterval(() => {
        void experimentId(server, 'killed').then(async (id) => {
          if (id !== undefined && child.exitCode === null && (await traceCount(server, id)) >= after) child.kill('SIGKILL');
        });
      }, 25);
      const result = await done.finally(() => clearInterval(watch));
      if (result.signal === 'SIGKILL') kills++;
    }
    expect(kills).toBeGreaterThan(0);
    const last = await runCli([...args, '--json'], { cwd });
    expect(last.code, last.stderr).toBe(0);
    const report = JSON.parse(last.stdout);
    expect(report.traces.summary.failed).toBe(0);
    expect(report.traces.summary.traces).toBe(COUNT + 6);
    // Partial copies left by the kills were found and redone.
    expect(report.traces.summary.copied + report.traces.summary.skipped).toBe(COUNT + 6);

    const verify = await runCli(['verify', '--source-uri', source, '--source-project', 'genai-fixture', '--target-uri', server.url, '--target-project', 'killed', '--json'], { cwd });
    const checked = JSON.parse(verify.stdout);
    expect(checked.traces.summary, JSON.stringify(checked.traces.traces.filter((t: { status: string }) => t.status !== 'ok').slice(0, 2))).toMatchObject({ traces: COUNT + 6, ok: COUNT + 6, duplicated: 0, partial: 0, extra: 0 });
    expect(verify.code).toBe(0);
    expect(await traceCount(server, report.target.projectId)).toBe(COUNT + 6);
  });
});
