import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultLogName, fileSafeName, formatLine, lineTimestamp, openLogFile } from '../../src/cli/log-file.js';
import { defaultReportPath, reportJson, reportJsonChunks, writeReportFile } from '../../src/cli/report-file.js';
import type { CopyReport } from '../../src/engine/types.js';
import { createRedactor } from '../../src/util/redact.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-files-'));
const when = new Date(2024, 4, 7, 9, 3, 2, 45); // local time, like the seed's strftime

describe('log file', () => {
  it('is named <source>_to_<target>_%Y%m%d%H%M%S.log with file-safe project names', () => {
    expect(defaultLogName({ workspace: 'team-a', project: 'churn' }, { workspace: 'team-b', project: 'churn' }, when)).toBe(
      'team-a_churn_to_team-b_churn_20240507090302.log',
    );
    expect(fileSafeName({ workspace: 'default', project: 'nested/exp name:v2' })).toBe('default_nested_exp_name_v2');
    expect(fileSafeName({ workspace: '..', project: '..' })).toBe('__..');
  });

  it('formats lines like Python logging: asctime name LEVEL message', () => {
    expect(lineTimestamp(when)).toBe('2024-05-07 09:03:02,045');
    expect(formatLine(when, 'WARNING', 'Retrying x')).toBe('2024-05-07 09:03:02,045 runs-migrator WARNING Retrying x\n');
  });

  it('is created with mode 0600, appended to, and redacted', () => {
    const path = join(dir, 'a_to_b.log');
    const log = openLogFile(path, createRedactor(['s3cret']), () => when);
    log.info('Copied team-a/churn/abc to team-b/churn/def');
    log.warning('token s3cret leaked?');
    log.error('Failed to copy team-a/churn/x: boom');
    log.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe(
      '2024-05-07 09:03:02,045 runs-migrator INFO Copied team-a/churn/abc to team-b/churn/def\n' +
        '2024-05-07 09:03:02,045 runs-migrator WARNING token *** leaked?\n' +
        '2024-05-07 09:03:02,045 runs-migrator ERROR Failed to copy team-a/churn/x: boom\n',
    );
  });

  it('names the flag when it cannot be opened', () => {
    expect(() => openLogFile(join(dir, 'no/such/dir/x.log'), (t) => t)).toThrow(/--log-file .*cannot open the log file \(ENOENT\)/);
  });
});

const report: CopyReport = {
  tool: 'runs-migrator',
  version: '0.1.0',
  startedAt: '2024-05-07T07:03:02.000Z',
  finishedAt: '2024-05-07T07:04:02.000Z',
  dryRun: false,
  source: { uri: 'http://a:5000', project: 'team-a/churn', kind: 'mlflow' },
  target: { uri: 'http://b:5000', project: 'team-b/churn', kind: 'mlflow' },
  summary: {
    listed: 1, filteredOut: 0, outOfShard: 0, copied: 0, updated: 0, skipped: 0, failed: 1, planned: 0, retries: 0,
    totals: { params: 0, tags: 0, metricKeys: 0, points: 0, inputs: 0, files: 0, bytes: 0 },
  },
  projectIssues: [],
  runs: [{ sourceRunId: 'abc', outcome: 'failed', reason: 'server said token=tok-XYZ is bad', counts: { params: 0, tags: 0, metricKeys: 0, points: 0, inputs: 0, files: 0, bytes: 0 }, issues: [] }],
};

describe('report file', () => {
  it('sits beside the log with the same stem', () => {
    expect(defaultReportPath('/w/a_to_b_20240507090302.log')).toBe('/w/a_to_b_20240507090302.report.json');
  });

  it('is written atomically with mode 0600, redacted, replacing an older report', () => {
    const path = join(dir, 'r.report.json');
    writeFileSync(path, 'old');
    chmodSync(path, 0o644);
    writeReportFile(path, report, createRedactor(['tok-XYZ']));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('tok-XYZ');
    expect(JSON.parse(text).runs[0].reason).toBe('server said token=*** is bad');
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('is written run by run as the same text as the whole report at once: no runs, many runs, models after them', () => {
    const redact = createRedactor(['tok-XYZ']);
    const run = report.runs[0]!;
    const many: CopyReport = {
      ...report,
      runs: Array.from({ length: 3 }, (_, i) => ({ ...run, sourceRunId: `r${i}`, issues: [{ field: 'tag', key: `k\n${i}`, action: 'dropped' as const, reason: 'multi\nline' }] })),
      models: { copied: 0 } as unknown as NonNullable<CopyReport['models']>,
    };
    const trace = (i: number) => ({ sourceTraceId: `tr-${i}`, outcome: 'failed' as const, reason: 'token=tok-XYZ\nrefused', spans: 2, assessments: 1, notes: [`note\n${i}`] });
    const traces = (list: ReturnType<typeof trace>[]): NonNullable<CopyReport['traces']> => ({
      summary: { traces: list.length, copied: 0, skipped: 0, failed: list.length, planned: 0, unsupported: 0, spans: 0, assessments: 0 },
      traces: list,
      notCopied: [{ kind: 'scorers', count: 1, reason: 'not copied' }],
    });
    const cases: Array<[string, CopyReport]> = [
      ['none', { ...report, runs: [] }],
      ['one', report],
      ['many', many],
      // The traces, nested one level deeper, go one at a time too: with runs, without, none.
      ['traces', { ...many, traces: traces([trace(1), trace(2), trace(3)]) }],
      ['traces only', { ...report, runs: [], traces: traces([trace(1)]) }],
      ['no traces', { ...report, traces: traces([]) }],
    ];
    for (const [name, each] of cases) {
      const path = join(dir, `${name}.report.json`);
      writeReportFile(path, each, redact);
      expect(readFileSync(path, 'utf8'), name).toBe(reportJson(each, redact));
    }
    expect(readFileSync(join(dir, 'many.report.json'), 'utf8')).toContain('"models": {');
    expect(readFileSync(join(dir, 'traces.report.json'), 'utf8')).not.toContain('tok-XYZ');
    expect(JSON.parse(readFileSync(join(dir, 'traces.report.json'), 'utf8')).traces.traces).toHaveLength(3);
    // No piece holds two traces: the list is never one string.
    const pieces = [...reportJsonChunks(cases[3]![1], redact)].filter((piece) => piece.includes('"sourceTraceId"'));
    expect(pieces.map((piece) => piece.match(/"sourceTraceId"/g)!.length)).toEqual([1, 1, 1]);
  });

  it('names the flag and leaves no temporary file when it cannot write', () => {
    expect(() => writeReportFile(join(dir, 'missing', 'r.json'), report, (t) => t)).toThrow(/--report .*cannot write the report/);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });
});
