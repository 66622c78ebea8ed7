/**
 * Exactly once into MLflow's PostgreSQL database: a copy killed with SIGKILL while it writes,
 * then run again until it finishes, leaves every run once, complete, and every metric row once
 * (counted: a metric row has no key of its own beyond all its columns).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMlflowPostgresSchema } from '../support/mlflow-postgres-schema.js';
import { writeHistoryStore } from '../support/mlruns-history-store.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { runCli, startCli, tempDir } from '../support/cli-process.js';

const RUNS = 6;
const POINTS = 40_000;

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => server?.stop());

describe('crash and resume into PostgreSQL', () => {
  it('converges after SIGKILLs during writes: every run once, every point once, verify clean', async () => {
    const cwd = tempDir('pg-crash');
    const total = await writeHistoryStore(join(cwd, 'mlruns'), { runs: RUNS, pointsPerRun: POINTS, keys: 2 });
    const name = await server.createDatabase('crash');
    const setup = await server.client(name);
    await createMlflowPostgresSchema(setup);
    await setup.end();
    const uri = `${server.uri(name)}?artifacts=${join(cwd, 'artifacts')}`;
    const args = (extra: string[] = []) => ['copy', '--source-uri', join(cwd, 'mlruns'), '--source-project', 'default/histories', '--target-uri', uri, '--target-project', 'default/histories', '--workers', '3', '--no-progress', ...extra];

    const client = await server.client(name);
    const count = async (sql: string) => Number((await client.query(sql)).rows[0].n);
    try {
      // Killed as soon as the database holds a run this attempt created and has not finished: the
      // poller sees the committed row, so every kill lands mid-copy whatever the machine's speed.
      const partial = "SELECT r.run_uuid AS id FROM runs r WHERE experiment_id <> 0 AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.run_uuid = r.run_uuid AND t.key = 'runs_migrator.completed')";
      const partialIds = async () => new Set((await client.query(partial)).rows.map((row: { id: string }) => row.id));
      let kills = 0;
      let partialRuns = 0;
      for (let attempt = 0; attempt < 2; attempt++) {
        const before = await partialIds();
        const { child, done } = startCli(args(), { cwd });
        let exited = false;
        const poller = (async () => {
          while (!exited) {
            if ([...(await partialIds())].some((id) => !before.has(id))) {
              child.kill('SIGKILL');
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        })();
        const result = await done;
        exited = true;
        await poller;
        if (result.signal === 'SIGKILL') kills++;
        partialRuns += (await partialIds()).size;
      }
      expect(kills).toBeGreaterThan(0);
      expect(partialRuns).toBeGreaterThan(0);

      const final = await runCli(args(['--verify']), { cwd });
      expect(final.stdout, final.stderr).toContain('Verify clean');
      expect(final.code).toBe(0);
      expect(await count('SELECT COUNT(*) AS n FROM runs WHERE experiment_id <> 0')).toBe(RUNS);
      expect(await count("SELECT COUNT(*) AS n FROM tags WHERE key = 'runs_migrator.completed'")).toBe(RUNS);
      expect(await count('SELECT COUNT(*) AS n FROM metrics')).toBe(total);
      expect(await count('SELECT COUNT(*) AS n FROM (SELECT DISTINCT key, run_uuid, step FROM metrics) d')).toBe(total);
      expect(await count('SELECT COUNT(*) AS n FROM latest_metrics')).toBe(RUNS * 2);
    } finally {
      await client.end();
    }
    const again = await runCli(args(), { cwd });
    expect(again.stdout).toMatch(new RegExp(`Copied 0, skipped ${RUNS}\\b`));
  });
});
