/**
 * A re-run follows copied traces that changed in an **mlruns** source (docs/traces.md "Re-runs
 * follow changes"). The source is a copy of the real genai-mlruns store, changed afterwards the
 * way MLflow's FileStore changes a trace: a tag file written in place or removed
 * (set_trace_tag, delete_trace_tag), an assessment file written (create_assessment), rewritten in
 * place (update_assessment; an override rewrites the one it overrides with valid: false) or
 * removed (delete_assessment). Through the CLI, to MLflow's SQLite database, a stand-in server and
 * another mlruns folder: the copies follow, are reported `updated` with what changed, verify is
 * clean, and a re-run with nothing changed writes nothing.
 */
import { chmodSync, cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RACY_WINDOW_MS } from '../../src/backends/mlruns/trace-state-token.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { mlrunsTarget, serverTarget, sqliteTarget, type Target } from '../support/trace-sync-targets.js';

vi.setConfig({ testTimeout: 240_000 });

const EXPERIMENT = '132527274744105650';
/** Traces of the genai-mlruns store (test/golden/stores/README.md) and assessments they hold. */
const TAGGED = 'tr-bad471c1aa39c2df7831470ed0699f53';
const RELEVANCE = 'a-380babd86431489e9d78780be8c3493d';
const CORRECTNESS = 'a-e2b0b532000943a58e2210998d23dc10';
const JUDGED = 'tr-846a82f96f36bfca851c5a3e7e57b10f';
const GROUNDEDNESS = 'a-c9599b30f4d94d3b8fd50bfd8163ffce';
const LATE_REVIEW = 'a-0123456789abcdef0123456789abcdef';
const FACTS_TRACE = 'tr-84d04f584528666a02608d68aed5da85';
const FACTS = 'a-7fd83d7691bb45488e46c6785fb4751b';

interface TraceRow {
  sourceTraceId: string;
  outcome: string;
  changes?: string[];
}

async function cli(cwd: string, command: 'copy' | 'verify', source: string, target: string, extra: string[] = []) {
  const name = `${command}-${Math.random().toString(36).slice(2)}`;
  const args = [command, '--source-uri', source, '--source-project', 'genai-fixture', '--target-uri', target, '--target-project', 'copied', '--report', `${name}.json`, ...extra];
  const result = await runCli(command === 'copy' ? [...args, '--no-progress'] : args, { cwd });
  return { result, report: JSON.parse(readFileSync(join(cwd, `${name}.json`), 'utf8')) };
}

/** A writable copy of the real genai-mlruns store, written a while before the copy (settle). */
async function sourceStore(): Promise<string> {
  const root = join(tempDir('traces-sync-mlruns-source'), 'mlruns');
  cpSync(join(GOLDEN_STORES_DIR, 'genai-mlruns'), root, { recursive: true });
  for (const name of ['', ...(readdirSync(root, { recursive: true }) as string[])]) chmodSync(join(root, name), statSync(join(root, name)).isDirectory() ? 0o755 : 0o644);
  await settle();
  return root;
}

/**
 * Waits until the files just written are older than the racy window (src/backends/mlruns/
 * trace-state-token.ts): a pass right after a write compares the trace again by design. Setting
 * the files' times back would not do: their change time cannot be set.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, RACY_WINDOW_MS + 300));

const traceDir = (root: string, traceId: string) => join(root, EXPERIMENT, 'traces', traceId);
const assessmentFile = (root: string, traceId: string, id: string) => join(traceDir(root, traceId), 'assessments', `${id}.yaml`);

/** Rewrites an assessment file in place as update_assessment does (write_yaml with overwrite: same file, truncated). */
function rewrite(file: string, edit: (text: string) => string): void {
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
}

const LATER = "'2026-12-08T09:00:00.000Z'";

/** The changes FileStore makes after the copy; answers the lines the re-run must report per trace. */
function changeSource(root: string): Map<string, string[]> {
  const tags = join(traceDir(root, TAGGED), 'tags');
  writeFileSync(join(tags, 'review'), 'done');
  writeFileSync(join(tags, 'topic'), 'platforms');
  rmSync(join(tags, 'env'));
  rewrite(assessmentFile(root, TAGGED, RELEVANCE), (text) => text.replace(/rationale: .*/, 'rationale: Looked again, days later.').replace(/last_update_time: .*/, `last_update_time: ${LATER}`));
  rmSync(assessmentFile(root, TAGGED, CORRECTNESS));
  // An override logged later (override_feedback): the new assessment, and the overridden one rewritten invalid.
  writeFileSync(
    assessmentFile(root, JUDGED, LATE_REVIEW),
    [
      `assessment_id: ${LATE_REVIEW}`,
      'assessment_name: groundedness',
      `create_time: ${LATER}`,
      'feedback:',
      '  value: 0.9',
      `last_update_time: ${LATER}`,
      `overrides: ${GROUNDEDNESS}`,
      'rationale: Judged by hand after the rate limit.',
      'source:',
      '  source_id: dave',
      '  source_type: HUMAN',
      `trace_id: ${JUDGED}`,
      'valid: true',
      '',
    ].join('\n'),
  );
  rewrite(assessmentFile(root, JUDGED, GROUNDEDNESS), (text) => text.replace('valid: true', 'valid: false').replace(/last_update_time: .*/, `last_update_time: ${LATER}`));
  // A rewrite of the same size: only the file's times tell it from the copy.
  const facts = assessmentFile(root, FACTS_TRACE, FACTS);
  const size = statSync(facts).size;
  rewrite(facts, (text) => text.replace('source_id: facts.py', 'source_id: fact2.py'));
  expect(statSync(facts).size).toBe(size);
  return new Map([
    [TAGGED, ['tag review set', 'tag topic changed', 'tag env deleted', `assessment relevance (${RELEVANCE}) updated`, `assessment correctness (${CORRECTNESS}) deleted`]],
    [JUDGED, [`assessment groundedness (${GROUNDEDNESS}) updated`, `assessment groundedness (${LATE_REVIEW}) added`]],
    [FACTS_TRACE, [`assessment expected_facts (${FACTS}) updated`]],
  ]);
}

function expectClean(report: { clean: boolean; traces: { traces: Array<{ status: string }> } }): void {
  expect(report.clean, JSON.stringify(report.traces.traces.filter((t) => t.status !== 'ok'))).toBe(true);
}

describe.each([
  ['SQLite', sqliteTarget],
  ['another MLflow server', serverTarget],
  ['another mlruns folder', mlrunsTarget],
])('mlruns -> %s: a re-run follows copied traces that changed in the source', (_label, makeTarget) => {
  let target: Target;
  beforeAll(async () => {
    target = await makeTarget();
  }, 120_000);
  afterAll(async () => {
    await target?.close();
  });

  it('writes tag and assessment changes into the copies, reports them as updated, verify clean; an unchanged re-run writes nothing', async () => {
    const cwd = tempDir('traces-sync-mlruns');
    const source = await sourceStore();
    const first = await cli(cwd, 'copy', source, target.uri);
    expect(first.result.code, first.result.stderr).toBe(0);
    expect(first.report.traces.summary).toMatchObject({ traces: 6, copied: 6 });

    // Nothing changed: every copy is skipped and nothing is written.
    const before = await target.writes();
    const idle = await cli(cwd, 'copy', source, target.uri);
    expect(idle.result.code, idle.result.stderr).toBe(0);
    expect(idle.report.traces.summary).toMatchObject({ traces: 6, copied: 0, updated: 0, skipped: 6 });
    expect(await target.writes()).toBe(before);

    // Changed the way FileStore changes a trace, a while before the re-run.
    const expected = changeSource(source);
    await settle();

    const dry = await cli(cwd, 'copy', source, target.uri, ['--dry-run']);
    expect(dry.result.code, dry.result.stderr).toBe(0);
    expect(dry.result.stdout).toContain('3 to update');
    expect(await target.writes()).toBe(before);

    const synced = await cli(cwd, 'copy', source, target.uri);
    expect(synced.result.code, synced.result.stderr).toBe(0);
    expect(synced.report.traces.summary).toMatchObject({ traces: 6, copied: 0, updated: 3, skipped: 3, failed: 0 });
    const rows = new Map((synced.report.traces.traces as TraceRow[]).map((row) => [row.sourceTraceId, row]));
    for (const [traceId, changes] of expected) {
      expect(rows.get(traceId)!.outcome).toBe('updated');
      expect([...rows.get(traceId)!.changes!].sort()).toEqual([...changes].sort());
    }
    expect(synced.result.stdout).toContain('updated trace');
    expectClean((await cli(cwd, 'verify', source, target.uri)).report);

    // Up to date now: the next re-run writes nothing.
    const after = await target.writes();
    const settled = await cli(cwd, 'copy', source, target.uri);
    expect(settled.report.traces.summary).toMatchObject({ traces: 6, updated: 0, skipped: 6 });
    expect(await target.writes()).toBe(after);
  });
});

describe('mlruns -> SQLite: a change made just before the pass (within the file clock racy window)', () => {
  it('is followed at once, compared again by the next pass (no change to report), and then left alone', async () => {
    const cwd = tempDir('traces-sync-mlruns-racy');
    const target = await sqliteTarget();
    const source = await sourceStore();
    expect((await cli(cwd, 'copy', source, target.uri)).result.code).toBe(0);

    // Written right before the pass: a rewrite in the same tick of the file clock could still
    // come, leaving the file's stat as it is; the token of such a trace never matches.
    rewrite(assessmentFile(source, FACTS_TRACE, FACTS), (text) => text.replace('source_id: facts.py', 'source_id: fact2.py'));
    const synced = await cli(cwd, 'copy', source, target.uri);
    expect(synced.report.traces.summary).toMatchObject({ updated: 1, skipped: 5, failed: 0 });
    // A same-size rewrite right after the pass (here: at once, within the window) is still caught.
    rewrite(assessmentFile(source, FACTS_TRACE, FACTS), (text) => text.replace('source_id: fact2.py', 'source_id: fact3.py'));
    const caught = await cli(cwd, 'copy', source, target.uri);
    expect(caught.report.traces.summary).toMatchObject({ updated: 1, skipped: 5, failed: 0 });
    const row = (caught.report.traces.traces as TraceRow[]).find((r) => r.sourceTraceId === FACTS_TRACE)!;
    expect(row.changes).toEqual([`assessment expected_facts (${FACTS}) updated`]);

    // Once the file is older than the window: compared once more (nothing to report, only the
    // stable token recorded), then an unchanged re-run writes nothing.
    await settle();
    const recorded = await cli(cwd, 'copy', source, target.uri);
    expect(recorded.report.traces.summary).toMatchObject({ updated: 0, skipped: 6, failed: 0 });
    const after = await target.writes();
    const settled = await cli(cwd, 'copy', source, target.uri);
    expect(settled.report.traces.summary).toMatchObject({ updated: 0, skipped: 6 });
    expect(await target.writes()).toBe(after);
    expectClean((await cli(cwd, 'verify', source, target.uri)).report);
  });
});
