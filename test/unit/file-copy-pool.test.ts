/**
 * FileCopyPool: a few copies of one run's files at a time, bounded in count and bytes, and a
 * failure stops the rest without leaving any copy running.
 */
import { describe, expect, it } from 'vitest';
import { FileCopyPool } from '../../src/engine/runs/file-pool.js';
import { fileConcurrency } from '../../src/engine/runs/copy-run.js';
import type { SourceRun, TargetRun } from '../../src/backends/contract.js';

const tick = (ms = 2) => new Promise((resolve) => setTimeout(resolve, ms));

/** Copies that take a few ms each and record how many ran at once. */
function tracker() {
  let now = 0;
  let peak = 0;
  const done: number[] = [];
  return {
    copy: (id: number, ms = 3) => async () => {
      now++;
      peak = Math.max(peak, now);
      await tick(ms);
      now--;
      done.push(id);
    },
    get peak() {
      return peak;
    },
    get running() {
      return now;
    },
    done,
  };
}

describe('FileCopyPool', () => {
  it('runs at most `limit` copies at once and finishes every one', async () => {
    const pool = new FileCopyPool(4, 1_000_000);
    const t = tracker();
    for (let i = 0; i < 20; i++) await pool.add(10, t.copy(i));
    await pool.drain();
    expect(t.peak).toBe(4);
    expect([...t.done].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('with a limit of 1 copies one file after the other, in order', async () => {
    const pool = new FileCopyPool(1, 1_000_000);
    const t = tracker();
    for (let i = 0; i < 5; i++) await pool.add(10, t.copy(i, 5 - i));
    await pool.drain();
    expect(t.peak).toBe(1);
    expect(t.done).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps the bytes in flight within the budget; a file over the budget goes alone', async () => {
    const pool = new FileCopyPool(8, 100);
    const t = tracker();
    await pool.add(60, t.copy(0));
    await pool.add(60, t.copy(1)); // 120 > 100: waits for copy 0
    expect(t.running).toBe(1);
    await pool.add(500, t.copy(2)); // over the budget: waits until nothing else runs
    expect(t.running).toBe(1);
    expect(t.done).toEqual([0, 1]);
    await pool.drain();
    expect(t.done).toEqual([0, 1, 2]);
  });

  it('after a failure starts no new copy, waits for those in flight, and throws the first failure', async () => {
    const pool = new FileCopyPool(3, 1_000_000);
    const t = tracker();
    await pool.add(1, t.copy(0, 20));
    await pool.add(1, async () => {
      await tick(1);
      throw new Error('upload of b refused');
    });
    await pool.add(1, t.copy(2, 20));
    // The pool is full: this add waits for a slot, sees the failure and refuses to start copy 3.
    await expect(pool.add(1, t.copy(3))).rejects.toThrow('upload of b refused');
    await pool.settle();
    expect(t.running).toBe(0);
    expect([...t.done].sort()).toEqual([0, 2]);
    await expect(pool.drain()).rejects.toThrow('upload of b refused');
  });
});

describe('fileConcurrency', () => {
  const source = (n?: number) => ({ ...(n !== undefined ? { fileConcurrency: n } : {}) }) as unknown as SourceRun;
  const target = (n?: number) => ({ ...(n !== undefined ? { fileConcurrency: n } : {}) }) as unknown as TargetRun;

  it('is what both sides take, and 1 when either side says nothing', () => {
    expect(fileConcurrency(source(4), target(4))).toBe(4);
    expect(fileConcurrency(source(4), target(2))).toBe(2);
    expect(fileConcurrency(source(4), target())).toBe(1);
    expect(fileConcurrency(source(), target(4))).toBe(1);
    expect(fileConcurrency(source(0), target(0))).toBe(1);
  });
});
