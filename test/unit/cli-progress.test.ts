import { describe, expect, it } from 'vitest';
import { createProgress, progressMode, runLine } from '../../src/cli/progress.js';
import { formatBytes, formatDuration } from '../../src/cli/format.js';
import type { RunResult } from '../../src/engine/types.js';
import { createRedactor } from '../../src/util/redact.js';
import { counts, TextSink } from './cli-fakes.js';

const copied: RunResult = {
  sourceRunId: 'abc123', targetRunId: 'def456', outcome: 'copied', issues: [],
  counts: counts({ params: 10, tags: 5, points: 100000, files: 3, bytes: 2_100_000 }),
};
const failed: RunResult = { sourceRunId: 'bad', outcome: 'failed', reason: 'boom with tok-1', counts: counts(), issues: [] };
const done = (result: RunResult) => ({ type: 'run-done' as const, result, sourceProject: 'team-a/churn', targetProject: 'team-b/churn' });
const plan = { type: 'plan' as const, toCopy: 2, alreadyDone: 0, filteredOut: 0, outOfShard: 0 };

describe('progress', () => {
  it('picks a bar only on a terminal without --no-progress or --quiet', () => {
    expect(progressMode({ quiet: false, noProgress: false, isTTY: true })).toBe('bar');
    expect(progressMode({ quiet: false, noProgress: true, isTTY: true })).toBe('lines');
    expect(progressMode({ quiet: false, noProgress: false, isTTY: false })).toBe('lines');
    expect(progressMode({ quiet: true, noProgress: false, isTTY: true })).toBe('quiet');
  });

  it('formats one line per run as in the issue', () => {
    expect(runLine(copied, 12, 200, 'churn')).toBe('[12/200] copied churn/abc123 -> def456 (10 params, 5 tags, 100000 points, 3 files, 2.1 MB)');
    expect(runLine(failed, 1, 0, 'churn')).toBe('[1/?] FAILED churn/bad: boom with tok-1');
  });

  it('prints plain lines, retries included, redacted', () => {
    const stream = new TextSink();
    const progress = createProgress({ mode: 'lines', stream, redact: createRedactor(['tok-1']), sourceName: 'churn', dryRun: false });
    progress.onEvent(plan);
    progress.onEvent({ type: 'progress', points: 5, bytes: 0 });
    progress.onEvent(done(copied));
    progress.onEvent({ type: 'retry', what: 'POST runs/log-batch', attempt: 2, reason: 'HTTP 503 (token tok-1)' });
    progress.onEvent(done(failed));
    progress.stop();
    expect(stream.text).toBe(
      '[1/2] copied churn/abc123 -> def456 (10 params, 5 tags, 100000 points, 3 files, 2.1 MB)\n' +
        'retrying POST runs/log-batch (attempt 2): HTTP 503 (token ***)\n' +
        '[2/2] FAILED churn/bad: boom with ***\n',
    );
  });

  it('prints nothing when quiet, and no run lines in a dry run', () => {
    for (const [mode, dryRun] of [['quiet', false], ['lines', true]] as const) {
      const stream = new TextSink();
      const progress = createProgress({ mode, stream, redact: (t) => t, sourceName: 'churn', dryRun });
      progress.onEvent(plan);
      progress.onEvent(done(copied));
      progress.stop();
      expect(stream.text).toBe('');
    }
  });

  it('draws a bar on a terminal once the plan is known, failures above it', () => {
    const stream = Object.assign(new TextSink(true), { columns: 120 });
    let clock = 0;
    const progress = createProgress({ mode: 'bar', stream, redact: createRedactor(['tok-1']), sourceName: 'churn', dryRun: false, now: () => (clock += 1000) });
    progress.onEvent({ type: 'progress', points: 1, bytes: 0 });
    expect(stream.text).toBe('');
    progress.onEvent(plan);
    progress.onEvent({ type: 'progress', points: 100000, bytes: 2_100_000 });
    progress.onEvent(done(copied));
    progress.onEvent(done(failed));
    progress.stop();
    expect(stream.text).toContain('2/2 runs | 100001 pts | 2.1 MB |');
    expect(stream.text).toContain('[2/2] FAILED churn/bad: boom with ***');
    expect(stream.text).not.toContain('tok-1');
  });
});

describe('format', () => {
  it('bytes and durations', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(2_100_000)).toBe('2.1 MB');
    expect(formatBytes(3.2e12)).toBe('3.2 TB');
    expect(formatDuration(12_345)).toBe('12.3s');
    expect(formatDuration(83_500)).toBe('1m24s');
    expect(formatDuration(3_725_000)).toBe('1h02m');
  });
});
