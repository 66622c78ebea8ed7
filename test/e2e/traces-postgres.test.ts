/**
 * The real genai-mlruns store into MLflow's PostgreSQL database (MLflow 3.11's trace tables)
 * through the CLI, and back out into an mlruns folder with the trace ids kept: every hop ends in
 * a clean verify and a second copy copies nothing.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 240_000 });
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { createMlflowPostgresSchema } from '../support/mlflow-postgres-schema.js';
import { POSTGRES_TRACE_DDL } from '../support/mlflow-trace-tables.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => server?.stop());

describe('traces in MLflow\'s PostgreSQL database, through the CLI', () => {
  it('go genai-mlruns -> PostgreSQL -> mlruns with ids kept, each hop verify clean, each second copy copying nothing', async () => {
    const cwd = tempDir('traces-postgres');
    cpSync(join(GOLDEN_STORES_DIR, 'genai-mlruns'), join(cwd, 'mlruns'), { recursive: true });
    const database = await server.createDatabase('traces_chain');
    const client = await server.client(database);
    try {
      await createMlflowPostgresSchema(client);
      await client.query(POSTGRES_TRACE_DDL);
    } finally {
      await client.end();
    }
    const stores = [join(cwd, 'mlruns'), `${server.uri(database)}?artifacts=${join(cwd, 'pg-artifacts')}`, join(cwd, 'mlruns-back')];
    const ids: string[][] = [];
    for (let hop = 0; hop + 1 < stores.length; hop++) {
      const locations = ['--source-uri', stores[hop]!, '--source-project', 'default/genai-fixture', '--target-uri', stores[hop + 1]!, '--target-project', 'default/genai-fixture'];
      const copy = await runCli(['copy', ...locations, '--no-progress', '--json'], { cwd });
      expect(copy.code, `hop ${hop}: ${copy.stderr}`).toBe(0);
      const report = JSON.parse(copy.stdout);
      expect(report.traces.summary, `hop ${hop}`).toMatchObject({ traces: 6, copied: 6, failed: 0, spans: 13, assessments: 7 });
      ids.push(report.traces.traces.map((t: { targetTraceId: string }) => t.targetTraceId).sort());
      const verify = await runCli(['verify', ...locations, '--json'], { cwd });
      const checked = JSON.parse(verify.stdout);
      expect(checked.traces.summary, `hop ${hop}: ${JSON.stringify(checked.traces.traces)}`).toMatchObject({ traces: 6, ok: 6 });
      expect(verify.code, `hop ${hop}`).toBe(0);
      const again = JSON.parse((await runCli(['copy', ...locations, '--no-progress', '--json'], { cwd })).stdout);
      expect(again.traces.summary, `hop ${hop}`).toMatchObject({ copied: 0, skipped: 6 });
    }
    // The ids of the real file store's traces survive both hops.
    expect(ids[1]).toEqual(ids[0]);
    expect(ids[0]).toContain('tr-bad471c1aa39c2df7831470ed0699f53');
  });
});
