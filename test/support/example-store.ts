/**
 * The example mlruns store (scripts/make-example-store.ts) for tests, written once per test file
 * into a temp folder: like `npm run example`, it is generated where it is used, never committed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeExampleStore } from '../../scripts/make-example-store.js';

let written: Promise<string> | undefined;

/** Absolute path of a freshly generated example store (experiments `churn` and `vision`). */
export function exampleStore(): Promise<string> {
  written ??= writeExampleStore(join(mkdtempSync(join(tmpdir(), 'runs-migrator-example-')), 'mlruns'));
  return written;
}
