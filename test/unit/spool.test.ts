/**
 * The spool (util/spool.ts): records kept on disk, read back by key, in a file nobody else can
 * open and nothing leaves behind.
 */
import { mkdtempSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool } from '../../src/util/spool.js';
import { ListingSpool } from '../../src/backends/mlflow/listing-spool.js';
import { parseJson } from '../../src/backends/mlflow/json.js';
import { parseRun } from '../../src/backends/mlflow/api.js';

describe('spool', () => {
  it('gives back each record by key, the latest one for a key put twice, across many write blocks', () => {
    const spool = new Spool(mkdtempSync(join(tmpdir(), 'spool-')));
    const text = (i: number) => `run ${i}: ${'ü€'.repeat(i % 50)}${'x'.repeat(i % 3000)}`;
    for (let i = 0; i < 3000; i++) spool.put(`k${i}`, text(i));
    spool.put('k7', 'again');
    expect(spool.size).toBe(3000);
    expect(spool.get('k0')).toBe(text(0));
    expect(spool.get('k2999')).toBe(text(2999));
    expect(spool.get('k7')).toBe('again');
    for (let i = 0; i < 3000; i += 97) if (i !== 7) expect(spool.get(`k${i}`)).toBe(text(i));
    expect(spool.get('missing')).toBeUndefined();
    spool.close();
    expect(spool.get('k0')).toBeUndefined();
  });

  it('takes records as UTF-8 bytes too (a view into a page), mixed with text, and reads them back as text', () => {
    const spool = new Spool(mkdtempSync(join(tmpdir(), 'spool-')));
    const page = Buffer.from('{"runs":[{"v":"ünïcødé 🎉"},{"v":"x"}]}', 'utf8');
    const first = page.subarray(9, page.indexOf('}') + 1);
    for (let i = 0; i < 2000; i++) {
      if (i % 2 === 0) spool.putBytes(`k${i}`, first);
      else spool.put(`k${i}`, `text ${i} €`);
    }
    expect(spool.get('k0')).toBe('{"v":"ünïcødé 🎉"}');
    expect(spool.get('k1998')).toBe('{"v":"ünïcødé 🎉"}');
    expect(spool.get('k1999')).toBe('text 1999 €');
    spool.close();
    const inMemory = new Spool(join(tmpdir(), 'no-such-folder-for-runs-migrator', 'x'));
    inMemory.putBytes('a', Buffer.from('ö', 'utf8'));
    expect(inMemory.get('a')).toBe('ö');
    inMemory.close();
  });

  it('keeps its file unlinked while open and private to the user, and leaves nothing behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const spool = new Spool(dir);
    spool.put('a', 'secret run data');
    expect(readdirSync(dir)).toEqual([]);
    const linkOf = (path: string) => {
      try {
        return readlinkSync(path);
      } catch {
        return ''; // the descriptor readdirSync itself used, closed by now
      }
    };
    const file = readdirSync('/proc/self/fd')
      .map((fd) => join('/proc/self/fd', fd))
      .find((path) => linkOf(path).startsWith(join(dir, '.runs-migrator-spool-')));
    expect(file, 'the spool file descriptor').toBeDefined();
    expect(readlinkSync(file!)).toMatch(/\(deleted\)$/);
    expect(statSync(file!).mode & 0o777).toBe(0o600);
    spool.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps records in memory where the temp folder cannot be written', () => {
    const spool = new Spool(join(tmpdir(), 'no-such-folder-for-runs-migrator', 'x'));
    spool.put('a', 'one');
    spool.put('b', 'two');
    spool.put('a', 'three');
    expect([spool.get('a'), spool.get('b'), spool.get('c'), spool.size]).toEqual(['three', 'two', undefined, 2]);
    spool.close();
  });
});

describe('listing spool', () => {
  it('reads a listed run back as runs/search gave it: NaN values, steps beyond 2^53, non-ASCII text', () => {
    const answer = `{"info":{"run_id":"r1","run_name":"Lauf ü","status":"FINISHED","lifecycle_stage":"active","start_time":1700000000000,"experiment_id":"1","artifact_uri":"mlflow-artifacts:/1/r1/artifacts"},"data":{"metrics":[{"key":"loss","value":"NaN","timestamp":1700000000001,"step":9007199254740993},{"key":"acc","value":0.5,"timestamp":1700000000002,"step":3}],"params":[{"key":"lr","value":"0.1"}],"tags":[{"key":"mlflow.runName","value":"Lauf ü"}]},"inputs":{"dataset_inputs":[]}}`;
    const item = parseJson(answer);
    const spool = new ListingSpool();
    spool.put('r1', item);
    const doc = spool.doc('r1')!;
    expect(doc).toEqual(parseRun(item));
    expect(doc.latestMetrics!.get('loss')!.step).toBe(9007199254740993n);
    expect(doc.latestMetrics!.get('loss')!.value).toBeNaN();
    expect(spool.doc('r2')).toBeUndefined();
    spool.close();
  });
});
