#!/usr/bin/env node
// Refreshes test/golden/ (the repository's copy of the real-MLflow recordings and stores) from
// ../shared/mlflow-golden, so that `npm test` works in a clone without ../shared.
// test/contract/golden-copy.test.ts fails when ../shared is present and differs from the copy.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../../shared/mlflow-golden', import.meta.url));
const to = fileURLToPath(new URL('../test/golden', import.meta.url));
if (!existsSync(from)) {
  console.error(`no ${from}: nothing to refresh from`);
  process.exit(2);
}
rmSync(to, { recursive: true, force: true });
for (const part of ['README.md', 'cases', 'stores']) cpSync(`${from}/${part}`, `${to}/${part}`, { recursive: true });
console.log(`test/golden refreshed from ${from}`);
