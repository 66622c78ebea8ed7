/**
 * The mapping's building blocks as specifications: value forms that parse back to the same atom,
 * exact step conversion with half-even rounding, the writer's inverse placements, the URI, and
 * the published table (docs/neptune-mapping.md) naming every row the code maps.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mapNeptuneRun, NEPTUNE_MAPPING, paramAtom, tagAtom } from '../../src/backends/neptune-export/mapping.js';
import { archiveStep, canonicalStep } from '../../src/backends/neptune-export/steps.js';
import { parseArchiveUri } from '../../src/backends/neptune-export/uri.js';
import { atomText, parseAtomText, type AtomValue } from '../../src/backends/neptune-export/values.js';
import { neptuneExportFactory } from '../../src/backends/neptune-export/index.js';
import { UsageError } from '../../src/util/errors.js';

describe('value forms', () => {
  const atoms: AtomValue[] = [
    { type: 'float', value: 0.1 },
    { type: 'float', value: 1e-7 },
    { type: 'float', value: -0 },
    { type: 'float', value: Number.NaN },
    { type: 'float', value: -Infinity },
    { type: 'int', value: -(2n ** 63n) },
    { type: 'int', value: 2n ** 63n - 1n },
    { type: 'bool', value: true },
    { type: 'datetime', value: 1_700_000_000_123 },
    { type: 'string_set', value: ['a', 'b'] },
    { type: 'string', value: ' spaced, "quoted" ' },
  ];

  it.each(atoms.map((atom) => [atomText(atom), atom] as const))('%s parses back to the same atom', (text, atom) => {
    const back = parseAtomText(atom.type, text)!;
    expect(back.type).toBe(atom.type);
    expect(Object.is(back.value, atom.value) || JSON.stringify(back.value, (_k, v) => (typeof v === 'bigint' ? String(v) : v)) === JSON.stringify(atom.value, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toBe(true);
  });

  it('uses Python-like bools, ISO datetimes and sorted JSON sets', () => {
    expect(atomText({ type: 'bool', value: false })).toBe('False');
    expect(atomText({ type: 'datetime', value: 0 })).toBe('1970-01-01T00:00:00.000Z');
    expect(atomText({ type: 'string_set', value: ['b', 'a', 'B'] })).toBe('["B","a","b"]');
  });

  it('refuses text that is not of the declared type', () => {
    expect(parseAtomText('int', '1.5')).toBeUndefined();
    expect(parseAtomText('int', String(2n ** 63n))).toBeUndefined();
    expect(parseAtomText('float', 'abc')).toBeUndefined();
    expect(parseAtomText('bool', 'yes')).toBeUndefined();
    expect(parseAtomText('string_set', '[1]')).toBeUndefined();
    expect(() => paramAtom({ key: 'x', value: 'abc', type: 'float' })).toThrow(/declared float/);
  });
});

describe('steps', () => {
  it('converts decimals exactly and rounds fractions half to even', () => {
    expect(canonicalStep(3_000_000n, 1n)).toEqual({ step: 3, exact: true });
    expect(canonicalStep(500_000n, 1n)).toEqual({ step: 0, exact: false });
    expect(canonicalStep(1_500_000n, 1n)).toEqual({ step: 2, exact: false });
    expect(canonicalStep(2_500_000n, 1n)).toEqual({ step: 2, exact: false });
    expect(canonicalStep(-2_500_000n, 1n)).toEqual({ step: -2, exact: false });
    expect(canonicalStep(-2_600_000n, 1n)).toEqual({ step: -3, exact: false });
    expect(canonicalStep(100_000n, 10n)).toEqual({ step: 1, exact: true });
    expect(canonicalStep(999_999_999_999_999_999n, 1_000_000n)).toEqual({ step: 999_999_999_999_999_999n, exact: true });
  });

  it('writes a step as a decimal when it fits, else leaves it to int_value', () => {
    expect(archiveStep(7, 1n)).toBe(7_000_000);
    expect(archiveStep(-3, 1n)).toBe(-3_000_000);
    expect(archiveStep(25, 10n)).toBe(2_500_000);
    expect(archiveStep(10_000_000_000n, 1n)).toBe(10_000_000_000_000_000n);
    expect(archiveStep(999_999_999_999, 1n)).toBe(999_999_999_999_000_000n);
    expect(archiveStep(1_000_000_000_000, 1n)).toBeUndefined();
    expect(archiveStep(1, 3n)).toBeUndefined(); // 1/3 has no 6-decimal form
    expect(archiveStep(9_007_199_254_740_993n, 1n)).toBeUndefined();
  });
});

describe('the writer places each canonical field where the reader looks', () => {
  it('escapes params that would read back as something else', () => {
    expect(paramAtom({ key: 'sys/x', value: 'v' }).path).toBe('runs_migrator/params/sys/x');
    expect(paramAtom({ key: 'old_sys/x', value: 'v' }).path).toBe('runs_migrator/params/old_sys/x');
    expect(paramAtom({ key: 'runs_migrator/x', value: 'v' }).path).toBe('runs_migrator/params/runs_migrator/x');
    expect(paramAtom({ key: 'lr', value: '0.1', type: 'float' })).toEqual({ path: 'lr', type: 'float', value: 0.1 });
  });

  it('puts Neptune-meaning tags into sys fields only when their type matches', () => {
    expect(tagAtom({ key: 'mlflow.note.content', value: 'd' }).path).toBe('sys/description');
    expect(tagAtom({ key: 'neptune.tags', value: '["a"]', type: 'string_set' })).toEqual({ path: 'sys/tags', type: 'string_set', value: ['a'] });
    expect(tagAtom({ key: 'neptune.tags', value: '["a"]' }).path).toBe('runs_migrator/tags/neptune.tags');
    expect(tagAtom({ key: 'old_sys/run_id', value: 'r' }).path).toBe('old_sys/run_id');
    expect(tagAtom({ key: 'mlflow.parentRunId', value: 'p' }).path).toBe('runs_migrator/tags/mlflow.parentRunId');
  });

  it('reads back every placement', () => {
    const atoms = [
      { path: 'sys/id', type: 'string', value: 'R' },
      paramAtom({ key: 'sys/x', value: 'v' }),
      tagAtom({ key: 'mlflow.note.content', value: 'd' }),
      tagAtom({ key: 'neptune.group_tags', value: '["g"]', type: 'string_set' }),
      tagAtom({ key: 'team', value: 'cv' }),
      { path: 'runs_migrator/status', type: 'string', value: 'KILLED' },
      { path: 'sys/failed', type: 'bool', value: false },
    ] as const;
    const mapped = mapNeptuneRun('R', atoms);
    expect(mapped.info).toEqual({ runId: 'R', status: 'KILLED', deleted: false });
    expect(mapped.params).toEqual([{ key: 'sys/x', value: 'v' }]);
    expect(mapped.tags).toEqual([
      { key: 'mlflow.note.content', value: 'd' },
      { key: 'neptune.group_tags', value: '["g"]', type: 'string_set' },
      { key: 'team', value: 'cv' },
    ]);
    expect(mapped.issues).toEqual([]);
  });
});

describe('the URI', () => {
  it('takes a data path, files and step_multiplier', () => {
    expect(parseArchiveUri('neptune-export:/a/exports/data')).toEqual({ dataPath: '/a/exports/data', filesPath: '/a/exports/files', stepMultiplier: 1n, filesGiven: false });
    expect(parseArchiveUri('neptune-export:///a/data?files=/b/files&step_multiplier=1000')).toEqual({ dataPath: '/a/data', filesPath: '/b/files', stepMultiplier: 1000n, filesGiven: true });
    expect(parseArchiveUri('neptune-export:/a/with%3Fmark').dataPath).toBe('/a/with?mark');
  });

  it('refuses what it does not understand', () => {
    expect(() => parseArchiveUri('neptune-export:')).toThrow(UsageError);
    expect(() => parseArchiveUri('neptune-export:/d?step_multiplier=0')).toThrow(/step_multiplier/);
    expect(() => parseArchiveUri('neptune-export:/d?step_multiplier=1.5')).toThrow(/step_multiplier/);
    expect(() => parseArchiveUri('neptune-export:/d?token=x')).toThrow(/unknown neptune-export: URI option "token"/);
  });

  it('is served by the neptune-export factory and shown without surprises', async () => {
    expect(neptuneExportFactory.handles('neptune-export:/x')).toBe(true);
    expect(neptuneExportFactory.handles('/x/mlruns')).toBe(false);
    const store = await neptuneExportFactory.open('neptune-export:/x/data?step_multiplier=10', { credentials: {}, role: 'source' });
    expect(store.kind).toBe('neptune-export');
    expect(store.displayUri).toBe('neptune-export:/x/data?step_multiplier=10');
    expect(store.rejectKey('a'.repeat(1024))).toBeUndefined();
    expect(store.rejectKey('a'.repeat(1025))).toMatch(/1024/);
    await store.close();
  });
});

describe('docs/neptune-mapping.md', () => {
  it('publishes every row of the mapping table in code', () => {
    const doc = readFileSync(new URL('../../docs/neptune-mapping.md', import.meta.url), 'utf8');
    for (const row of NEPTUNE_MAPPING) {
      expect(doc, row.neptune).toContain(`| \`${row.neptune}\` | ${row.canonical} |`);
    }
  });
});
