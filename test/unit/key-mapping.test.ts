/**
 * The published rename rule (src/engine/key-mapping.ts, docs/neptune-mapping.md): names a target
 * refuses are renamed deterministically, collision-free and within the target's limits, judged by
 * the target's own rules (here a real mlruns store and a real Neptune archive store).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/backends/contract.js';
import { openStore } from '../../src/backends/registry.js';
import { mapKeys, mapPath } from '../../src/engine/key-mapping.js';
import { tempDir } from '../support/cli-process.js';

const hash8 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 8);
const renamed = (keys: string[], store: Store) => Object.fromEntries([...mapKeys(keys, store)].map(([from, rename]) => [from, rename.to]));

let mlruns: Store;
let archive: Store;
beforeAll(async () => {
  const dir = tempDir('key-mapping');
  mlruns = await openStore(join(dir, 'mlruns'), { credentials: {}, role: 'target' });
  archive = await openStore(`neptune-export:${join(dir, 'data')}`, { credentials: {}, role: 'target' });
});
afterAll(async () => {
  await mlruns.close();
  await archive.close();
});

describe('keys an MLflow store refuses', () => {
  it('keeps keys it takes, maps @ to _at_ and other refused characters to _', () => {
    expect(renamed(['metrics/acc@top-1', 'loss', 'a b!c?', 'Größe (m²)'], mlruns)).toEqual({
      'metrics/acc@top-1': 'metrics/acc_at_top-1',
      'a b!c?': 'a b_c_',
      'Größe (m²)': 'Größe _m²_',
    });
  });

  it('undoes path tricks: leading /, empty, . and .. segments', () => {
    expect(renamed(['/lead', 'a//b', 'a/../b', './x', 'end/', '/'], mlruns)).toEqual({
      '/lead': 'lead',
      'a//b': 'a/b',
      'a/../b': 'a/__/b',
      './x': '_/x',
      'end/': 'end',
      '/': '_',
    });
  });

  it('adds a hash of the original key when the readable name is taken, keeping every key apart', () => {
    const result = renamed(['x_', 'x!', 'x?'], mlruns);
    expect(result).toEqual({ 'x!': `x__${hash8('x!')}`, 'x?': `x__${hash8('x?')}` });
  });

  it('shortens keys over the 250-character limit to a prefix plus the hash, and is deterministic', () => {
    const long = 'k'.repeat(300);
    const result = renamed([long, `${'k'.repeat(260)}@`], mlruns);
    expect(result[long]).toBe(`${'k'.repeat(241)}_${hash8(long)}`);
    expect(result[long]!.length).toBe(250);
    expect(result[`${'k'.repeat(260)}@`]!.length).toBe(250);
    expect(renamed([`${'k'.repeat(260)}@`, long].reverse(), mlruns)).toEqual(result);
    for (const to of Object.values(result)) expect(mlruns.rejectKey(to!)).toBeUndefined();
  });

  it('an archive takes @ and //, so only its length limit renames', () => {
    expect(renamed(['metrics/acc@top-1', 'a//b'], archive)).toEqual({});
    const long = 'p/'.repeat(600);
    expect(renamed([long], archive)[long]!.length).toBe(1024);
  });
});

describe('artifact paths', () => {
  it('keeps paths the target takes', () => {
    expect(mapPath('plots/loss.png', mlruns)).toBe('plots/loss.png');
  });

  it('shortens a component over 255 UTF-8 bytes to a readable prefix, a hash and its extension', () => {
    const name = `${'é'.repeat(200)}.txt`;
    const mapped = mapPath(`deep/${name}/${name}`, mlruns);
    const [dir, component, file] = mapped.split('/');
    expect(dir).toBe('deep');
    expect(component).toBe(file);
    expect(Buffer.byteLength(component!, 'utf8')).toBeLessThanOrEqual(255);
    expect(component).toBe(`${'é'.repeat(121)}~${hash8(name)}.txt`);
    expect(mapPath(`deep/${name}/${name}`, mlruns)).toBe(mapped);
  });
});

describe('keys an mlruns store cannot hold as file names', () => {
  it('shortens a key whose path component is over 255 bytes until the store takes it', () => {
    const key = `metrics/${'ü'.repeat(200)}`;
    expect(mlruns.rejectKey(key)).toMatch(/over 255 bytes/);
    const to = renamed([key], mlruns)[key]!;
    expect(mlruns.rejectKey(to)).toBeUndefined();
    expect(to).toMatch(new RegExp(`^metrics/ü+_${hash8(key)}$`));
  });
});

describe('tags the engine writes itself', () => {
  it('a renamed source tag never lands on a provenance tag', () => {
    const reserved = (name: string) => name === 'old_sys/run_id';
    expect(mapKeys(['old_sys//run_id'], mlruns, reserved).get('old_sys//run_id')?.to).toBe(`old_sys/run_id_${hash8('old_sys//run_id')}`);
  });
});
