/**
 * The repository's copy of the real-MLflow recordings and stores (test/golden) must be the one
 * in ../shared/mlflow-golden when that is present: a stale copy would test yesterday's MLflow.
 * Without ../shared (a plain clone) there is nothing to compare with, and the copy is what the
 * other tests read.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN_ROOT, SHARED_GOLDEN_DIR } from '../support/golden-paths.js';

const PARTS = ['README.md', 'cases', 'stores'];

function digests(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (path: string): void => {
    if (!existsSync(path)) return;
    const entries = readdirSync(path, { withFileTypes: true });
    for (const entry of entries) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.set(relative(root, full), createHash('sha256').update(readFileSync(full)).digest('hex'));
    }
  };
  for (const part of PARTS) {
    const full = join(root, part);
    if (part.endsWith('.md')) {
      if (existsSync(full)) out.set(part, createHash('sha256').update(readFileSync(full)).digest('hex'));
    } else walk(full);
  }
  return out;
}

describe('the repository copy of the MLflow recordings (test/golden)', () => {
  it('holds recordings and both real-MLflow stores', () => {
    const files = [...digests(GOLDEN_ROOT).keys()];
    expect(files.filter((file) => file.startsWith('cases/')).length).toBeGreaterThan(50);
    expect(files).toContain('stores/sqlite/mlflow.db');
    expect(files.some((file) => file.startsWith('stores/mlruns/'))).toBe(true);
  });

  it.runIf(existsSync(SHARED_GOLDEN_DIR))('equals ../shared/mlflow-golden (else: npm run golden:refresh)', () => {
    const shared = digests(SHARED_GOLDEN_DIR);
    const copy = digests(GOLDEN_ROOT);
    const differing = [...new Set([...shared.keys(), ...copy.keys()])].filter((file) => shared.get(file) !== copy.get(file));
    expect(differing).toEqual([]);
  });
});
