/**
 * The state token of an mlruns source trace (src/backends/mlruns/trace-state-token.ts): made while
 * listing without opening an assessment file, stable while nothing changes, moved by every change
 * MLflow's FileStore makes to a complete trace (tag set or deleted; assessment created, updated in
 * place, overridden, deleted), and never stable for a file so new that a same-tick rewrite could
 * leave its stat as it was.
 */
import * as fs from 'node:fs';
import { chmodSync, cpSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openMlrunsStore } from '../../src/backends/mlruns/index.js';
import type { SourceTraces } from '../../src/engine/traces/contract.js';
import { sourceTracesOf } from '../../src/engine/traces/contract.js';
import type { TraceInfo } from '../../src/model/trace.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { tempDir } from '../support/cli-process.js';

/** Every readFileSync the backend makes goes through this spy, so the test can see what was opened. */
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const readFileSync = vi.fn(actual.readFileSync);
  return { ...actual, readFileSync, default: { ...actual, readFileSync } };
});

const EXPERIMENT = '132527274744105650';
const HOUR_AGO = Date.now() / 1000 - 3600;

/** Every file and folder below `dir` dated `seconds` (a store written a while ago). */
function backdate(dir: string, seconds = HOUR_AGO): void {
  for (const name of readdirSync(dir, { recursive: true }) as string[]) utimesSync(join(dir, name), seconds, seconds);
}

let root: string;
let traces: SourceTraces;

async function list(): Promise<Map<string, { info: TraceInfo; token: string | undefined }>> {
  const store = await openMlrunsStore(root, 'source');
  const project = await store.openSource({ workspace: 'default', project: 'genai-fixture' });
  traces = sourceTracesOf(project)!;
  const listed = new Map<string, { info: TraceInfo; token: string | undefined }>();
  for await (const info of traces.listTraces()) listed.set(info.traceId, { info, token: traces.listedStateToken?.(info) });
  return listed;
}

const assessmentReads = () => vi.mocked(fs.readFileSync).mock.calls.filter(([path]) => String(path).includes('/assessments/')).length;

function traceDir(traceId: string): string {
  return join(root, EXPERIMENT, 'traces', traceId);
}

function firstAssessment(traceId: string): string {
  return join(traceDir(traceId), 'assessments', readdirSync(join(traceDir(traceId), 'assessments')).sort()[0]!);
}

beforeEach(() => {
  root = join(tempDir('mlruns-token'), 'mlruns');
  cpSync(join(GOLDEN_STORES_DIR, 'genai-mlruns'), root, { recursive: true });
  for (const name of ['', ...(readdirSync(root, { recursive: true }) as string[])]) chmodSync(join(root, name), statSync(join(root, name)).isDirectory() ? 0o755 : 0o644);
  backdate(root);
  vi.mocked(fs.readFileSync).mockClear();
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('mlruns trace state token', () => {
  it('is made for every listed trace without opening an assessment file, and is stable while nothing changes', async () => {
    const first = await list();
    expect(first.size).toBe(6);
    for (const { token } of first.values()) expect(token).toMatch(/^m1:[0-9a-f]{32}$/);
    expect(assessmentReads()).toBe(0);
    const again = await list();
    expect([...again].map(([id, { token }]) => [id, token])).toEqual([...first].map(([id, { token }]) => [id, token]));
    expect(assessmentReads()).toBe(0);
  });

  it('moves with each change FileStore makes to a trace, and only for that trace', async () => {
    const before = await list();
    const [judged] = [...before.values()].filter(({ info }) => readdirSync(traceDir(info.traceId)).includes('assessments')).map(({ info }) => info.traceId);
    const id = judged!;
    const seen = new Set([before.get(id)!.token]);
    let minute = 1;
    // Each change as FileStore makes it (a file written in place, or removed), dated a while ago, so that only its stat shows it.
    const changes: Array<[string, () => void]> = [
      ['tag set', () => writeFileSync(join(traceDir(id), 'tags', 'review'), 'done')],
      ['tag changed', () => writeFileSync(join(traceDir(id), 'tags', 'review'), 'redo')],
      ['tag deleted', () => rmSync(join(traceDir(id), 'tags', 'review'))],
      ['assessment added', () => writeFileSync(join(traceDir(id), 'assessments', 'a-00000000000000000000000000000001.yaml'), readFileSync(firstAssessment(id), 'utf8').replace(/assessment_id: .*/, 'assessment_id: a-00000000000000000000000000000001'))],
      ['assessment updated in place, same size', () => {
        const file = firstAssessment(id);
        const text = readFileSync(file, 'utf8');
        const changed = text.replace(/rationale: (.)/, (_, c: string) => `rationale: ${c === 'X' ? 'Y' : 'X'}`);
        expect(changed.length).toBe(text.length);
        writeFileSync(file, changed);
      }],
      ['assessment overridden (valid rewritten)', () => {
        const file = firstAssessment(id);
        writeFileSync(file, readFileSync(file, 'utf8').replace(/valid: (true|false)/, (_, v: string) => `valid: ${v === 'true' ? 'false' : 'true'}`));
      }],
      ['assessment deleted', () => rmSync(join(traceDir(id), 'assessments', 'a-00000000000000000000000000000001.yaml'))],
    ];
    for (const [label, change] of changes) {
      change();
      backdate(traceDir(id), HOUR_AGO + 60 * minute++);
      vi.mocked(fs.readFileSync).mockClear();
      const after = await list();
      expect(assessmentReads(), label).toBe(0);
      const token = after.get(id)!.token;
      expect(seen.has(token), label).toBe(false);
      seen.add(token);
      for (const [other, { token: otherToken }] of after) if (other !== id) expect(otherToken, `${label}: ${other}`).toBe(before.get(other)!.token);
    }
  });

  it('moves with a rewrite of equal size whose modification time is set back as it was (the change time still moves)', async () => {
    const before = await list();
    const id = [...before.keys()].find((traceId) => readdirSync(traceDir(traceId)).includes('assessments'))!;
    const file = firstAssessment(id);
    const { atime, mtime } = statSync(file);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/source_id: (.)/, (_, c: string) => `source_id: ${c === 'Z' ? 'Q' : 'Z'}`));
    utimesSync(file, atime, mtime);
    expect(statSync(file).mtimeMs).toBe(mtime.getTime());
    expect((await list()).get(id)!.token).not.toBe(before.get(id)!.token);
  });

  it('is never stable for an assessment file written within the racy window: a same-tick rewrite could leave its stat as it was', async () => {
    const before = await list();
    const id = [...before.keys()].find((traceId) => readdirSync(traceDir(traceId)).includes('assessments'))!;
    const file = firstAssessment(id);
    writeFileSync(file, readFileSync(file, 'utf8'));
    const racy = [(await list()).get(id)!.token, (await list()).get(id)!.token];
    for (const token of racy) expect(token).toMatch(/^m1:[0-9a-f]{32}~[0-9a-f]{12}$/);
    expect(racy[0]).not.toBe(racy[1]);
    // Once the file is older than the window its token settles (the same content, so the sync finds nothing to write).
    backdate(traceDir(id), HOUR_AGO + 600);
    const settled = [(await list()).get(id)!.token, (await list()).get(id)!.token];
    expect(settled[0]).toMatch(/^m1:[0-9a-f]{32}$/);
    expect(settled[0]).toBe(settled[1]);
  });

  it('reads the assessments of a trace whose token moved, and refuses an unreadable one rather than letting its copy be deleted', async () => {
    const listed = await list();
    const { info } = [...listed.values()].find(({ info: i }) => readdirSync(traceDir(i.traceId)).includes('assessments'))!;
    const read = await traces.readAssessments!(info);
    expect(read.length).toBe(readdirSync(join(traceDir(info.traceId), 'assessments')).length);
    expect(read.every((a) => a.traceId === info.traceId)).toBe(true);
    writeFileSync(firstAssessment(info.traceId), 'assessment_id: [unclosed');
    await expect(traces.readAssessments!(info)).rejects.toThrow(/assessment a-[0-9a-f]+\.yaml/);
  });
});
