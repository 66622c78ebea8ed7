/**
 * What the MLflow source keeps of each listed run (own-strings.ts): the same values, in strings of their own.
 */
import { describe, expect, it } from 'vitest';
import { ownRunInfo, ownString } from '../../src/backends/mlflow/own-strings.js';

describe('listed runs kept small', () => {
  it('keeps a listed run\'s info equal, non-ASCII text included', () => {
    const info = { runId: 'a'.repeat(32), status: 'FINISHED', deleted: false, name: 'Lauf – ü', startTime: 1_700_000_000_000, artifactUri: 'mlflow-artifacts:/1/x/artifacts', parentRunId: 'p'.repeat(32) } as const;
    const parsed = JSON.parse(JSON.stringify(info)) as typeof info;
    const own = ownRunInfo(parsed);
    expect(own).toEqual(info);
    expect(own.status).toBe('FINISHED');
  });

  it('copies strings into strings of their own with the same text', () => {
    const page = JSON.parse(JSON.stringify({ id: 'f'.repeat(32), short: 'abc' })) as { id: string; short: string };
    expect(ownString(page.id)).toBe(page.id);
    expect(ownString(page.short)).toBe('abc');
  });
});
