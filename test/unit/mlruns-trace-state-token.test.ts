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
import { RACY_WINDOW_MS, traceFolderStateToken } from '../../src/backends/mlruns/trace-state-token.js';
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

/**
 * The store listed as a copy lists it; `token` is the listing's own, `later` the token of the same
 * folder as a pass RACY_WINDOW_MS from now would make it (the test's files are all just written).
 */
async function list(): Promise<Map<string, { info: TraceInfo; token: string | undefined; later: string }>> {
  const store = await openMlrunsStore(root, 'source');
  const project = await store.openSource({ workspace: 'default', project: 'genai-fixture' });
  traces = sourceTracesOf(project)!;
  const listed = new Map<string, { info: TraceInfo; token: string | undefined; later: string }>();
  for await (const info of traces.listTraces()) {
    listed.set(info.traceId, { info, token: traces.listedStateToken?.(info), later: traceFolderStateToken(traceDir(info.traceId), info.tags, Date.now() + RACY_WINDOW_MS + 1000) });
  }
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
    for (const { token } of first.values()) expect(token).toMatch(/^m1:[0-9a-f]{32}/);
    for (const { later } of first.values()) expect(later).toMatch(/^m1:[0-9a-f]{32}$/);
    expect(assessmentReads()).toBe(0);
    const again = await list();
    expect([...again].map(([id, { later }]) => [id, later])).toEqual([...first].map(([id, { later }]) => [id, later]));
    expect(assessmentReads()).toBe(0);
  });

  it('is the listing’s own once the files are older than the racy window', async () => {
    const { info } = (await list()).get('tr-84d04f584528666a02608d68aed5da85')!;
    await new Promise((resolve) => setTimeout(resolve, RACY_WINDOW_MS + 200));
    const listed = (await list()).get(info.traceId)!;
    expect(listed.token).toMatch(/^m1:[0-9a-f]{32}$/);
    expect(listed.token).toBe(listed.later);
  });

  it('moves with each change FileStore makes to a trace, and only for that trace', async () => {
    const before = await list();
    const [judged] = [...before.values()].filter(({ info }) => readdirSync(traceDir(info.traceId)).includes('assessments')).map(({ info }) => info.traceId);
    const id = judged!;
    const seen = new Set([before.get(id)!.later]);
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
      const token = after.get(id)!.later;
      expect(token, label).toMatch(/^m1:[0-9a-f]{32}$/);
      expect(seen.has(token), label).toBe(false);
      seen.add(token);
      for (const [other, { later }] of after) if (other !== id) expect(later, `${label}: ${other}`).toBe(before.get(other)!.later);
    }
  });

  it('moves with a rewrite of equal size whose modification time is set back as it was (the change time still moves)', async () => {
    const before = await list();
    const id = [...before.keys()].find((traceId) => readdirSync(traceDir(traceId)).includes('assessments'))!;
    const file = firstAssessment(id);
    const { mtimeNs } = statSync(file, { bigint: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    writeFileSync(file, readFileSync(file, 'utf8').replace(/source_id: (.)/, (_, c: string) => `source_id: ${c === 'Z' ? 'Q' : 'Z'}`));
    // Set back exactly as the store was dated (beforeEach), to the nanosecond.
    utimesSync(file, HOUR_AGO, HOUR_AGO);
    expect(statSync(file, { bigint: true }).mtimeNs).toBe(mtimeNs);
    const after = (await list()).get(id)!;
    // At once: its change time is within the window, so the token is racy (it matches nothing).
    expect(after.token).toMatch(/~[0-9a-f]{12}$/);
    // Later: the change time alone tells it from before (the write came 50 ms after the last
    // change, so in another tick of the file clock; within one tick, only the racy suffix above tells).
    expect(after.later).not.toBe(before.get(id)!.later);
  });

  it('is never stable for an assessment file written within the racy window: a same-tick rewrite could leave its stat as it was', async () => {
    const before = await list();
    const id = [...before.keys()].find((traceId) => readdirSync(traceDir(traceId)).includes('assessments'))!;
    const file = firstAssessment(id);
    writeFileSync(file, readFileSync(file, 'utf8'));
    const racy = [(await list()).get(id)!.token, (await list()).get(id)!.token];
    for (const token of racy) expect(token).toMatch(/^m1:[0-9a-f]{32}~[0-9a-f]{12}$/);
    expect(racy[0]).not.toBe(racy[1]);
    // Setting the modification time back does not make it stable: the change time is new too.
    backdate(traceDir(id), HOUR_AGO + 600);
    expect((await list()).get(id)!.token).toMatch(/~[0-9a-f]{12}$/);
    // Seen once the files are older than the window, the token settles.
    const settled = [traceFolderStateToken(traceDir(id), before.get(id)!.info.tags, Date.now() + RACY_WINDOW_MS + 1000), traceFolderStateToken(traceDir(id), before.get(id)!.info.tags, Date.now() + RACY_WINDOW_MS + 1000)];
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
