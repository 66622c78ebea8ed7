import { describe, expect, it } from 'vitest';
import { arrayItemSpans } from '../../src/backends/mlflow/raw-items.js';

const texts = (text: string, key = 'runs') => arrayItemSpans(text, key)?.map(([start, end]) => text.slice(start, end));

describe('arrayItemSpans: the text of each item of a top-level array', () => {
  it('finds each run as the server wrote it, whitespace and all, and parses back to the same objects', () => {
    const page = '{"runs": [{"info": {"run_id": "a"}, "data": {"tags": [{"key": "k", "value": "v"}]}}, {"info": {"run_id": "b"}}], "next_page_token": "t"}';
    const items = texts(page)!;
    expect(items).toEqual(['{"info": {"run_id": "a"}, "data": {"tags": [{"key": "k", "value": "v"}]}}', '{"info": {"run_id": "b"}}']);
    expect(items.map((item) => JSON.parse(item))).toEqual(JSON.parse(page).runs);
  });

  it('is not fooled by brackets, quotes and backslashes inside strings, nor by the key elsewhere', () => {
    const page = JSON.stringify({
      next_page_token: 'runs": [{',
      other: { runs: [{ x: 1 }] },
      runs: [{ v: 'a "quoted" [x] {y} \\' }, { v: '\\"', w: ['}', ']'] }, { v: 'runs' }],
    });
    const items = texts(page)!;
    expect(items.map((item) => JSON.parse(item))).toEqual(JSON.parse(page).runs);
  });

  it('an answer without runs has no items; text of another shape gives no usable spans (the caller falls back)', () => {
    expect(texts('{}')).toEqual([]);
    expect(texts('{"next_page_token": "x"}')).toEqual([]);
    // Items that are not objects are not counted: the caller sees fewer spans than runs.
    expect(texts('{"runs": [1, 2]}')).toEqual([]);
    expect(texts('{"runs": [{"a": "unterminated}]}')).toBeUndefined();
  });
});
