/**
 * page-scan.ts: a runs/search page is read without parsing it whole. What the scan finds must be
 * exactly what JSON.parse of the page says (each run's text, info and tags, the next page token),
 * and a page of any other shape must make it give up (the listing then parses the page whole).
 */
import { describe, expect, it } from 'vitest';
import { readTags, scanSearchPage, TagKeys, type Span } from '../../src/backends/mlflow/page-scan.js';
import { parseJson } from '../../src/backends/mlflow/json.js';

const run = (id: string, extra: Record<string, unknown> = {}) => ({
  info: { run_id: id, run_name: `name-${id}`, status: 'FINISHED', start_time: 1_700_000_000_000, lifecycle_stage: 'active' },
  data: {
    params: [{ key: 'lr', value: '0.1' }],
    metrics: [{ key: 'loss', value: 0.5, timestamp: 1_700_000_000_001, step: 3 }],
    tags: [{ key: 'mlflow.runName', value: `name-${id}` }, { key: 'team', value: 'a' }],
  },
  inputs: {},
  ...extra,
});

function scanText(text: string) {
  const bytes = Buffer.from(text, 'utf8');
  const page = scanSearchPage(bytes);
  if (!page) return undefined;
  const piece = (span: Span | undefined) => (span === undefined ? undefined : bytes.toString('utf8', span[0], span[1]));
  return {
    runs: page.runs.map((found) => ({ text: piece(found.text), info: piece(found.info), tags: piece(found.tags) })),
    next: piece(page.nextPageToken),
  };
}

describe('scanSearchPage: the runs of a runs/search page without parsing it whole', () => {
  it('finds each run as the server wrote it, with its info and tags, and the next page token', () => {
    const doc = { runs: [run('a'), run('b')], next_page_token: 'tok' };
    for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 2)]) {
      const scanned = scanText(text)!;
      expect(scanned.runs.map((r) => JSON.parse(r.text!))).toEqual(doc.runs);
      expect(scanned.runs.map((r) => JSON.parse(r.info!))).toEqual(doc.runs.map((r) => r.info));
      expect(scanned.runs.map((r) => JSON.parse(r.tags!))).toEqual(doc.runs.map((r) => r.data.tags));
      expect(JSON.parse(scanned.next!)).toBe('tok');
    }
  });

  it('is not fooled by braces, brackets, quotes, escapes or the key names inside strings and non-ASCII text', () => {
    const tricky = run('c', {
      data: {
        params: [{ key: 'p', value: '{"tags": [1], "info": {}} \\" ] }' }],
        tags: [{ key: 'note', value: 'ünïcødé 🎉 "data": {"tags": []}\\' }],
      },
    });
    const doc = { next_page_token: 'runs": [{', runs: [tricky, run('d')] };
    const scanned = scanText(JSON.stringify(doc))!;
    expect(scanned.runs.map((r) => JSON.parse(r.text!))).toEqual(doc.runs);
    expect(JSON.parse(scanned.runs[0]!.tags!)).toEqual(tricky.data.tags);
    expect(JSON.parse(scanned.next!)).toBe('runs": [{');
  });

  it('a run without data or tags (proto3 JSON leaves them out) has no tags span; a duplicate key keeps the last, like JSON.parse', () => {
    const scanned = scanText('{"runs":[{"info":{"run_id":"x"}},{"info":{"run_id":"y"},"data":{"params":[]}},{"info":{"run_id":"old"},"info":{"run_id":"z"}}]}')!;
    expect(scanned.runs.map((r) => r.tags)).toEqual([undefined, undefined, undefined]);
    expect(scanned.runs.map((r) => JSON.parse(r.info!).run_id)).toEqual(['x', 'y', 'z']);
    expect(scanned.next).toBeUndefined();
  });

  it('an empty answer, an answer without runs and an empty runs list have no runs', () => {
    expect(scanText('')).toEqual({ runs: [], next: undefined });
    expect(scanText(' \n')).toEqual({ runs: [], next: undefined });
    expect(scanText('{}')).toEqual({ runs: [], next: undefined });
    expect(scanText('{"runs": [], "next_page_token": ""}')).toEqual({ runs: [], next: '""' });
  });

  it('gives up on any other shape, so the listing parses the page whole', () => {
    expect(scanText('{"runs": [1, 2]}')).toBeUndefined();
    expect(scanText('{"runs": {"info": {}}}')).toBeUndefined();
    expect(scanText('{"runs": [{"info": "unterminated}]}')).toBeUndefined();
    expect(scanText('{"runs": [{"\\u0069nfo": {}}]}')).toBeUndefined(); // a key spelled with escapes
    expect(scanText('{"runs": [{"data": null}]}')).toBeUndefined();
    expect(scanText('{"runs": []} trailing')).toBeUndefined();
    expect(scanText('<html>not json</html>')).toBeUndefined();
    expect(scanText('[]')).toBeUndefined();
  });
});

describe('readTags: the tags a listing reads of a run, straight from the bytes', () => {
  const whole = (text: string): Span => [0, Buffer.byteLength(text)];

  it('reads only the tags asked for, in order, whatever the member order, and decodes escaped keys and values', () => {
    const tags = [
      { key: 'team', value: 'a' },
      { value: 'p1', key: 'mlflow.parentRunId' },
      { key: 'old_sys/run_id', value: 'r"1 \\' },
      { key: 'old_sys/run_id', value: 'again' },
      { key: 'no-value-wanted' },
      { key: 'ünï', value: 'non-ASCII key' },
      { key: 'ünïx', value: 'longer' },
      { key: 'old_sys/completed' },
    ];
    // The second old_sys/run_id key written with an escaped slash, as JSON allows.
    const text = JSON.stringify(tags).replace('"old_sys/run_id","value":"again"', String.raw`"old_sys\/run_id","value":"again"`);
    expect(text).toContain(String.raw`old_sys\/run_id`);
    const wanted = new TagKeys(new Set(['mlflow.parentRunId', 'old_sys/run_id', 'old_sys/completed', 'ünï']));
    expect(readTags(Buffer.from(text), whole(text), wanted, parseJson)).toEqual([
      { key: 'mlflow.parentRunId', value: 'p1' },
      { key: 'old_sys/run_id', value: 'r"1 \\' },
      { key: 'old_sys/run_id', value: 'again' },
      { key: 'ünï', value: 'non-ASCII key' },
      { key: 'old_sys/completed', value: undefined },
    ]);
  });

  it('an empty tags list is empty; a list of another shape is not read', () => {
    expect(readTags(Buffer.from('[ ]'), [0, 3], new TagKeys(new Set(['a'])), parseJson)).toEqual([]);
    expect(readTags(Buffer.from('{"key": "a"}'), [0, 12], new TagKeys(new Set(['a'])), parseJson)).toBeUndefined();
    expect(readTags(Buffer.from('[1]'), [0, 3], new TagKeys(new Set(['a'])), parseJson)).toBeUndefined();
  });
});
