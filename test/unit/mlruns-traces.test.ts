/**
 * Traces in the mlruns store written by the real MLflow 3.11 (test/golden/stores/genai-mlruns):
 * read whole (info, spans from traces.json, assessments), and written back byte for byte.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listTraceInfos, readTraceFolder, writeTraceFolder } from '../../src/backends/mlruns/traces.js';
import type { ReadIssue } from '../../src/backends/contract.js';
import type { TraceInfo } from '../../src/model/trace.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';

const EXPERIMENT = join(GOLDEN_STORES_DIR, 'genai-mlruns/132527274744105650');
const QA_ERROR = 'tr-846a82f96f36bfca851c5a3e7e57b10f';

function filesIn(dir: string, sub: string): string[] {
  return existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).map((f) => `${sub}/${f}`) : [];
}

async function allInfos(): Promise<TraceInfo[]> {
  const issues: ReadIssue[] = [];
  const infos: TraceInfo[] = [];
  for await (const info of listTraceInfos(EXPERIMENT, issues)) infos.push(info);
  expect(issues).toEqual([]);
  return infos;
}

describe('mlruns traces of the real file store', () => {
  it('lists the six traces with their info, tags and metadata', async () => {
    const infos = await allInfos();
    expect(infos.map((i) => i.tags['mlflow.traceName']).sort()).toEqual(['chat-session', 'legacy-artifact', 'model-linked', 'qa-error', 'qa-simple', 'with-prompt']);
    const qaError = infos.find((i) => i.traceId === QA_ERROR)!;
    expect(qaError).toMatchObject({
      experimentId: '132527274744105650',
      requestTime: Date.parse('2025-01-01T00:01:41Z'),
      executionDurationMs: 30,
      state: 'ERROR',
      requestPreview: '{"question": "Divide 1 by 0"}',
    });
    expect(qaError.responsePreview).toBeUndefined();
    expect(qaError.tags.env).toBe('fixture');
    expect(qaError.metadata['mlflow.sourceRun']).toBe('6dceaf8da0a54c6b958b24cfe7de3ada');
  });

  it('reads spans with nanosecond times and events, and assessments with errors and overrides', async () => {
    const info = (await allInfos()).find((i) => i.traceId === QA_ERROR)!;
    const trace = await readTraceFolder(join(EXPERIMENT, 'traces', QA_ERROR), info);
    expect(trace.issues).toEqual([]);
    expect(trace.spans.map((s) => [s.name, s.spanType, s.status, s.startTimeNs, s.endTimeNs])).toEqual([
      ['qa-error', 'CHAIN', 'ERROR', '1735689701000000000', '1735689701030000000'],
      ['calculator', 'TOOL', 'ERROR', '1735689701005000000', '1735689701020000000'],
    ]);
    expect(trace.spans[1]!.parentSpanId).toBe(trace.spans[0]!.spanId);
    expect(trace.spans[0]!.spanId).toMatch(/^[0-9a-f]{16}$/);
    const byRationale = new Map(trace.assessments.map((a) => [a.rationale ?? a.name, a]));
    const bob = byRationale.get('Fails on the example.')!;
    const carol = byRationale.get('The error message is helpful.')!;
    expect(bob).toMatchObject({ kind: 'feedback', value: 0.2, valid: false, sourceType: 'HUMAN', sourceId: 'bob' });
    expect(carol.overrides).toBe(bob.assessmentId);
    expect(byRationale.get('groundedness')).toMatchObject({ value: null, error: { code: 'RATE_LIMIT_EXCEEDED', message: 'judge rate limited' } });
  });

  it('writes every trace back byte for byte: traces.json, trace_info.yaml, assessments, tags and metadata', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mlruns-traces-'));
    for (const info of await allInfos()) {
      const source = join(EXPERIMENT, 'traces', info.traceId);
      const trace = await readTraceFolder(source, info);
      const finalDir = join(root, 'traces', info.traceId);
      await writeTraceFolder(trace, { key: 'runs_migrator.completed', value: 'x' }, {
        stagingDir: join(root, 'staging', info.traceId),
        finalDir,
        artifactLocation: 'file:///home/researcher/project/mlruns/132527274744105650',
      });
      for (const file of ['artifacts/traces.json', 'trace_info.yaml', ...filesIn(source, 'assessments')]) {
        expect(readFileSync(join(finalDir, file), 'utf8'), `${info.tags['mlflow.traceName']}: ${file}`).toBe(readFileSync(join(source, file), 'utf8'));
      }
      for (const dir of ['tags', 'request_metadata']) {
        for (const key of readdirSync(join(source, dir))) {
          expect(readFileSync(join(finalDir, dir, key), 'utf8')).toBe(readFileSync(join(source, dir, key), 'utf8'));
        }
      }
      expect(readFileSync(join(finalDir, 'tags', 'runs_migrator.completed'), 'utf8')).toBe('x');
    }
  });
});
