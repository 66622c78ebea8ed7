import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start real HTTP servers and child processes: give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The default output for people, and a JSON summary .ci/run turns into one plain closing line.
    reporters: ['default', ['json', { outputFile: 'out/test-results.json' }]],
  },
});
