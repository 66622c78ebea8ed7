/**
 * MLflow's PostgreSQL database through the CLI, on a real PostgreSQL server started here:
 * - both real-MLflow stores (the 3.11 mlflow.db and the mlruns folder) copied in, verified clean;
 * - the round trip mlruns -> SQLite -> PostgreSQL -> mlruns, every hop verified, a second pass
 *   of every hop copying nothing;
 * - credentials: the password from PGPASSWORD or ~/.pgpass works and never shows; a wrong one is
 *   an authentication error; an empty database is refused with how MLflow creates its schema.
 */
import { chmodSync, cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { createMlflowPostgresSchema } from '../support/mlflow-postgres-schema.js';
import { POSTGRES_PASSWORD, startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { runCli, tempDir } from '../support/cli-process.js';

let server: PostgresServer;
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => server?.stop());

async function mlflowDatabase(): Promise<string> {
  const name = await server.createDatabase(`e2e_${++databases}`);
  const client = await server.client(name);
  await createMlflowPostgresSchema(client);
  await client.end();
  return name;
}

async function hop(cwd: string, from: [string, string], to: [string, string], runs: number, env: Record<string, string> = {}): Promise<string> {
  const locations = ['--source-uri', from[0], '--source-project', from[1], '--target-uri', to[0], '--target-project', to[1], '--include-deleted', '--no-progress'];
  const copy = await runCli(['copy', ...locations, '--verify'], { cwd, env });
  expect(copy.stdout, copy.stderr).toContain('Verify clean');
  expect(copy.code).toBe(0);
  const again = await runCli(['copy', ...locations], { cwd, env });
  expect(again.stdout, again.stderr).toMatch(new RegExp(`Copied 0, skipped ${runs}\\b`));
  return copy.stdout + copy.stderr + again.stdout + again.stderr;
}

describe('MLflow PostgreSQL database through the CLI', () => {
  it('takes both real-MLflow stores, every experiment verified clean', async () => {
    const cwd = tempDir('pg-golden');
    cpSync(join(GOLDEN_STORES_DIR, 'sqlite'), join(cwd, 'sqlite'), { recursive: true });
    cpSync(join(GOLDEN_STORES_DIR, 'mlruns'), join(cwd, 'mlruns'), { recursive: true });
    const fromDb = `${server.uri(await mlflowDatabase())}?artifacts=${join(cwd, 'pg-artifacts-1')}`;
    const fromFiles = `${server.uri(await mlflowDatabase())}?artifacts=${join(cwd, 'pg-artifacts-2')}`;
    for (const [project, runs] of [['fixture', 4], ['second', 1]] as const) {
      await hop(cwd, [`sqlite:///${join(cwd, 'sqlite', 'mlflow.db')}`, `default/${project}`], [fromDb, `default/${project}`], runs);
      await hop(cwd, [join(cwd, 'mlruns'), `default/${project}`], [fromFiles, `default/${project}`], runs);
    }
    const client = await server.client(`e2e_${databases - 1}`);
    const parent = await client.query("SELECT m.key, COUNT(*)::int AS n FROM metrics m JOIN runs r ON r.run_uuid = m.run_uuid WHERE r.name = 'parent' GROUP BY m.key ORDER BY m.key");
    const nan = await client.query("SELECT value, is_nan FROM metrics WHERE key = 'odd' AND step = 0");
    const step = await client.query("SELECT step::text FROM metrics WHERE key = 'odd' ORDER BY step DESC LIMIT 1");
    await client.end();
    expect(parent.rows).toEqual([{ key: 'loss', n: 200 }, { key: 'model_acc', n: 1 }, { key: 'odd', n: 7 }, { key: 'same_ts', n: 2 }]);
    expect(nan.rows).toEqual([{ value: 0, is_nan: true }]);
    expect(step.rows).toEqual([{ step: '9007199254740993' }]);
  });

  it('round trip mlruns -> SQLite -> PostgreSQL -> mlruns: every hop verified, every second pass copies nothing', async () => {
    const cwd = tempDir('pg-round-trip');
    cpSync(join(GOLDEN_STORES_DIR, 'mlruns'), join(cwd, 'mlruns'), { recursive: true });
    mkdirSync(join(cwd, 'db'));
    createMlflowDatabase(join(cwd, 'db', 'mlflow.db'));
    const sqlite = `sqlite:///${join(cwd, 'db', 'mlflow.db')}`;
    const postgres = `${server.uri(await mlflowDatabase(), { password: false })}?artifacts=${join(cwd, 'pg-artifacts')}`;
    const env = { PGPASSWORD: POSTGRES_PASSWORD };
    const log = await hop(cwd, [join(cwd, 'mlruns'), 'default/fixture'], [sqlite, 'default/fixture'], 4);
    await hop(cwd, [sqlite, 'default/fixture'], [postgres, 'default/fixture-pg'], 4, env);
    await hop(cwd, [postgres, 'default/fixture-pg'], [join(cwd, 'back'), 'default/fixture'], 4, env);
    expect(log).not.toContain(POSTGRES_PASSWORD);
    const reports = readdirSync(cwd).filter((name) => name.endsWith('.json') || name.endsWith('.log'));
    for (const name of reports) expect(readFileSync(join(cwd, name), 'utf8')).not.toContain(POSTGRES_PASSWORD);
  });

  it('takes the password from ~/.pgpass, refuses a wrong one as an authentication error, and shows neither', async () => {
    const cwd = tempDir('pg-credentials');
    const name = await mlflowDatabase();
    const home = join(cwd, 'home');
    mkdirSync(home);
    writeFileSync(join(home, '.pgpass'), `127.0.0.1:${server.port}:${name}:postgres:${POSTGRES_PASSWORD}\n`);
    chmodSync(join(home, '.pgpass'), 0o600);
    const uri = server.uri(name, { password: false });
    const args = ['copy', '--source-uri', join(GOLDEN_STORES_DIR, 'mlruns'), '--source-project', 'default/second', '--target-uri', uri, '--target-project', 'default/second', '--no-progress'];
    const ok = await runCli(args, { cwd, env: { HOME: home } });
    expect(ok.stdout, ok.stderr).toMatch(/Copied 1\b/);

    const wrong = await runCli(args.map((arg) => (arg === uri ? uri.replace('postgres@', 'postgres:not-the-password@') : arg)), { cwd, env: { HOME: cwd } });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/authentication failed/);
    expect(wrong.stdout + wrong.stderr).not.toContain('not-the-password');
  });

  it('refuses an empty database, saying to let `mlflow server` create the schema', async () => {
    const cwd = tempDir('pg-empty');
    const name = await server.createDatabase(`empty_${++databases}`);
    const copy = await runCli(
      ['copy', '--source-uri', join(GOLDEN_STORES_DIR, 'mlruns'), '--source-project', 'default/second', '--target-uri', server.uri(name), '--target-project', 'default/second', '--no-progress'],
      { cwd },
    );
    expect(copy.code).not.toBe(0);
    expect(copy.stderr).toMatch(/holds no MLflow schema \(it is empty\)\. Let MLflow create it: start `mlflow server --backend-store-uri <this URI>`/);
    expect(copy.stderr).not.toContain(POSTGRES_PASSWORD);
  });
});
