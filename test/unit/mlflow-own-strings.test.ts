/**
 * What the MLflow source keeps of each listed run (own-strings.ts): the same values, packed.
 */
import { describe, expect, it } from 'vitest';
import type { RunDoc } from '../../src/backends/mlflow/api.js';
import { ownRunInfo, ownString, packRunData, unpackRunData } from '../../src/backends/mlflow/own-strings.js';

describe('listed runs kept small', () => {
  it('gives back the same run data after packing, inputs and non-ASCII values included', () => {
    const doc: RunDoc = {
      info: { runId: 'a'.repeat(32), status: 'FINISHED', deleted: false, name: 'Lauf – ü', startTime: 1_700_000_000_000, artifactUri: 'mlflow-artifacts:/1/x/artifacts' },
      params: [{ key: 'lr', value: '0.1' }, { key: 'π', value: '3.14159…' }],
      tags: [{ key: 'mlflow.runName', value: 'Lauf – ü' }],
      metricKeys: ['loss', 'acc'],
      inputs: [{ dataset: { name: 'd', digest: 'x', sourceType: 'local', source: '{}' }, tags: [{ key: 'mlflow.data.context', value: 'train' }] }],
    };
    const info = ownRunInfo(doc.info);
    expect(info).toEqual(doc.info);
    expect(unpackRunData(info, packRunData(doc))).toEqual(doc);
    const { inputs: _inputs, ...withoutInputs } = doc;
    expect(unpackRunData(info, packRunData(withoutInputs))).toEqual(withoutInputs);
  });

  it('shares the names of runs with the same params, tags and metrics, and keeps typed values whole', () => {
    const info = { runId: 'b'.repeat(32), status: 'FINISHED', deleted: false } as const;
    const run = (lr: string): RunDoc => ({ info, params: [{ key: 'lr', value: lr }], tags: [{ key: 't', value: '' }], metricKeys: ['loss'] });
    const lists = new Map();
    const [one, two] = [packRunData(run('0.1'), lists), packRunData(run('0.2'), lists)];
    expect(one.names).toBe(two.names);
    expect(lists.size).toBe(1);
    expect(unpackRunData(info, two)).toEqual(run('0.2'));
    const typed: RunDoc = { ...run('x'), tags: [{ key: 'when', value: '2024-01-01T00:00:00Z', type: 'datetime' }] };
    expect(packRunData(typed, lists).names).toBeUndefined();
    expect(unpackRunData(info, packRunData(typed, lists))).toEqual(typed);
  });

  it('copies strings into strings of their own with the same text', () => {
    const page = JSON.parse(JSON.stringify({ id: 'f'.repeat(32), short: 'abc' })) as { id: string; short: string };
    expect(ownString(page.id)).toBe(page.id);
    expect(ownString(page.short)).toBe('abc');
  });
});
