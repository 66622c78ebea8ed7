/**
 * Exactly once into MLflow's database: a copy killed with SIGKILL while it writes metric rows,
 * then run again until it finishes, leaves every run once, complete, and every point once. A
 * metric row has no key of its own beyond all its columns, so "once" is proven by counting rows.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { writeHistoryStore } from '../support/mlruns-history-store.js';
import { runCli, startCli, tempDir } from '../support/cli-process.js';

const RUNS = 6;
const POINTS = 60_000;

describe('crash and resume into mlflow.db', () => {
  it('converges after SIGKILLs during writes: every run once, every point once, verify clean', async () => {
    const cwd = tempDir('sqlite-crash');
    const total = await writeHistoryStore(join(cwd, 'mlruns'), { runs: RUNS, pointsPerRun: POINTS, keys: 2 });
    const dbPath = join(cwd, 'mlflow.db');
    createMlflowDatabase(dbPath);
    const args = (extra: string[] = []) => ['copy', '--source-uri', join(cwd, 'mlruns'), '--source-project', 'default/histories', '--target-uri', `sqlite:///${dbPath}`, '--target-project', 'default/histories', '--workers', '3', '--no-progress', ...extra];

    // Killed as soon as the database holds a run this attempt created and has not finished: the
    // poller sees the committed row, so every kill lands mid-copy whatever the machine's speed.
    const reader = new Database(dbPath, { readonly: true, timeout: 5_000 });
    const partial = reader.prepare("SELECT r.run_uuid AS id FROM runs r WHERE experiment_id <> 0 AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.run_uuid = r.run_uuid AND t.key = 'runs_migrator.completed')");
    const partialIds = () => new Set((partial.all() as Array<{ id: string }>).map((row) => row.id));
    let kills = 0;
    let partialRuns = 0;
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const before = partialIds();
        const { child, done } = startCli(args(), { cwd });
        let exited = false;
        const poller = (async () => {
          while (!exited) {
            if ([...partialIds()].some((id) => !before.has(id))) {
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
        partialRuns += partialIds().size;
      }
    } finally {
      reader.close();
    }
    expect(kills).toBeGreaterThan(0);
    expect(partialRuns).toBeGreaterThan(0);

    const final = await runCli(args(['--verify']), { cwd });
    expect(final.stdout, final.stderr).toContain('Verify clean');
    expect(final.code).toBe(0);

    const db = new Database(dbPath, { readonly: true });
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(count("SELECT COUNT(*) AS n FROM runs WHERE experiment_id <> 0")).toBe(RUNS);
    expect(count("SELECT COUNT(*) AS n FROM tags WHERE key = 'runs_migrator.completed'")).toBe(RUNS);
    expect(count('SELECT COUNT(*) AS n FROM metrics')).toBe(total);
    expect(count('SELECT COUNT(*) AS n FROM (SELECT DISTINCT key, run_uuid, step FROM metrics)')).toBe(total);
    expect(count('SELECT COUNT(*) AS n FROM latest_metrics')).toBe(RUNS * 2);
    db.close();
    // The kills left partial copies behind (runs in flight), which the re-runs discarded.
    expect(partialRuns).toBeGreaterThan(0);

    const again = await runCli(args(), { cwd });
    expect(again.stdout).toMatch(new RegExp(`Copied 0, skipped ${RUNS}\\b`));
  });
});
