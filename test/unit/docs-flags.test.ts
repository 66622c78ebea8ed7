/**
 * docs/usage.md promises "every flag": each option the copy command parses must be in its table,
 * so a flag added to src/cli/args.ts without documentation fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COPY_OPTIONS } from '../../src/cli/args.js';

const usage = readFileSync(new URL('../../docs/usage.md', import.meta.url), 'utf8');
const table = usage.slice(usage.indexOf('## Every flag'), usage.indexOf('## Environment variables'));

describe('docs/usage.md lists every flag of copy', () => {
  for (const flag of Object.keys(COPY_OPTIONS)) {
    it(`--${flag}`, () => {
      expect(table).toMatch(new RegExp('`--' + flag + '[ `,]'));
    });
  }
});
