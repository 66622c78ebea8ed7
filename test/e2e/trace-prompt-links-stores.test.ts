/**
 * Trace -> prompt links from the database the real MLflow 3.11 wrote (test/golden/stores/
 * genai-sqlite: trace `with-prompt` links fixture-qa v1 by its mlflow.linkedPrompts tag and by a
 * row of entity_associations), through the CLI with --registry:
 * - into a SQLite database and into PostgreSQL: the copy gets its own entity_associations row,
 *   exactly once;
 * - into an MLflow server: the copy is found by the search filter prompt = 'fixture-qa/1'.
 * Each ends in a clean verify; a re-run makes no link again; a lost link is named by verify and
 * made again by the next copy.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { MlflowApi } from '../support/mlflow-seed.js';
import { standinRequest } from '../support/standin-request.js';
import { tempDir } from '../support/cli-process.js';
import { cliReport } from '../support/cli-pair.js';
import { createMlflowGenaiPostgresSchema } from '../support/mlflow-genai-postgres.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';

vi.setConfig({ testTimeout: 300_000 });

const WITH_PROMPT = 'tr-6723053ab9e7e159f53e47fc9f1eb426';
/** `copy` or `verify` with --registry through the CLI (cli-pair.ts), as exit code, JSON report and stderr. */
async function run(cwd: string, verb: 'copy' | 'verify', from: string, to: string) {
  const where = { source: from, sourceProject: 'default/genai-fixture', target: to, targetProject: 'default/genai-copy' };
  const { result, report } = await cliReport(cwd, verb, where, ['--registry']);
  return { code: result.code ?? -1, report, stderr: result.stderr };
}

const linkRow = (report: any) => report.traces.traces.find((t: any) => t.sourceTraceId === WITH_PROMPT);

describe('trace -> prompt links from the real genai-sqlite store', () => {
  let server: StandinServer;
  let postgres: PostgresServer;
  beforeAll(async () => {
    server = await startStandin();
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await server.close();
    await postgres?.stop();
  });

  it('into PostgreSQL (MLflow 3.11 schema with entity_associations): one row for the copy, verify clean, a re-run adds none', async () => {
    const cwd = tempDir('links-pg');
    cpSync(join(GOLDEN_STORES_DIR, 'genai-sqlite'), join(cwd, 'source'), { recursive: true });
    const from = `sqlite:///${join(cwd, 'source', 'mlflow.db')}`;
    const database = await postgres.createDatabase('trace_prompt_links');
    const client = await postgres.client(database);
    try {
      await createMlflowGenaiPostgresSchema(client);
      const to = `${postgres.uri(database)}?artifacts=${join(cwd, 'pg-artifacts')}`;
      const links = async () =>
        (await client.query(`SELECT source_id, destination_id FROM entity_associations WHERE source_type = 'trace' AND destination_type = 'prompt_version'`)).rows;

      const first = await run(cwd, 'copy', from, to);
      expect(first.code, first.stderr).toBe(0);
      expect(linkRow(first.report)).toMatchObject({ outcome: 'copied', targetTraceId: WITH_PROMPT, promptLinks: ['fixture-qa/1'] });
      expect(await links()).toEqual([{ source_id: WITH_PROMPT, destination_id: 'fixture-qa/1' }]);
      const checked = await run(cwd, 'verify', from, to);
      expect(checked.report.clean, JSON.stringify(checked.report.traces?.traces?.filter((t: any) => t.status !== 'ok'))).toBe(true);
      const again = await run(cwd, 'copy', from, to);
      expect(again.code, again.stderr).toBe(0);
      expect(linkRow(again.report)).toMatchObject({ outcome: 'skipped', notes: [] });
      expect(await links()).toHaveLength(1);
    } finally {
      await client.end();
    }
  });

  it('into a SQLite database: one entity_associations row for the copy, verify clean, a re-run adds none; a lost link is found by verify and made again', async () => {
    const cwd = tempDir('links-sqlite');
    cpSync(join(GOLDEN_STORES_DIR, 'genai-sqlite'), join(cwd, 'source'), { recursive: true });
    // The target: the same schema and the same traces (so the copy gets a new trace id), its registry and links emptied.
    cpSync(join(GOLDEN_STORES_DIR, 'genai-sqlite'), join(cwd, 'target'), { recursive: true });
    const targetPath = join(cwd, 'target', 'mlflow.db');
    const db = new Database(targetPath);
    for (const table of ['registered_model_aliases', 'model_version_tags', 'registered_model_tags', 'model_versions', 'registered_models', 'entity_associations']) db.prepare(`DELETE FROM ${table}`).run();
    db.close();
    const from = `sqlite:///${join(cwd, 'source', 'mlflow.db')}`;
    const to = `sqlite:///${targetPath}`;

    const first = await run(cwd, 'copy', from, to);
    expect(first.code, first.stderr).toBe(0);
    const row = linkRow(first.report);
    expect(row).toMatchObject({ outcome: 'copied', promptLinks: ['fixture-qa/1'] });
    const links = () =>
      new Database(targetPath, { readonly: true }).prepare(`SELECT source_id, destination_id FROM entity_associations WHERE source_type = 'trace' AND destination_type = 'prompt_version'`).all();
    expect(links()).toEqual([{ source_id: row.targetTraceId, destination_id: 'fixture-qa/1' }]);

    const checked = await run(cwd, 'verify', from, to);
    expect(checked.report.clean, JSON.stringify(checked.report.traces?.traces?.filter((t: any) => t.status !== 'ok'))).toBe(true);
    expect(checked.code).toBe(0);

    const again = await run(cwd, 'copy', from, to);
    expect(again.code, again.stderr).toBe(0);
    expect(linkRow(again.report)).toMatchObject({ outcome: 'skipped', promptLinks: ['fixture-qa/1'] });
    expect(linkRow(again.report).notes).toEqual([]);
    expect(links()).toHaveLength(1);

    // A lost link (as after a crash between the trace and its link): verify names it, the next copy makes it.
    const writable = new Database(targetPath);
    writable.prepare(`DELETE FROM entity_associations WHERE source_type = 'trace'`).run();
    writable.close();
    const broken = await run(cwd, 'verify', from, to);
    expect(broken.code).not.toBe(0);
    expect(broken.report.traces.traces.find((t: any) => t.sourceTraceId === WITH_PROMPT)).toMatchObject({
      status: 'different',
      differences: ['prompt link fixture-qa/1 (traces/link-prompts): linked in the source, not in the copy'],
    });
    const repaired = await run(cwd, 'copy', from, to);
    expect(linkRow(repaired.report)).toMatchObject({ outcome: 'skipped', notes: ['linked to prompt version(s) fixture-qa/1'] });
    expect(links()).toEqual([{ source_id: row.targetTraceId, destination_id: 'fixture-qa/1' }]);
    expect((await run(cwd, 'verify', from, to)).report.clean).toBe(true);
  });

  it('into an MLflow server: the copy is linked (search prompt = fixture-qa/1), verify clean, a re-run links nothing', async () => {
    const cwd = tempDir('links-server');
    cpSync(join(GOLDEN_STORES_DIR, 'genai-sqlite'), join(cwd, 'source'), { recursive: true });
    const from = `sqlite:///${join(cwd, 'source', 'mlflow.db')}`;
    const first = await run(cwd, 'copy', from, server.url);
    expect(first.code, first.stderr).toBe(0);
    expect(linkRow(first.report)).toMatchObject({ outcome: 'copied', targetTraceId: WITH_PROMPT, promptLinks: ['fixture-qa/1'] });
    const experimentId = (await new MlflowApi(server.url).experimentId('genai-copy'))!;
    const found = await standinRequest(server.url, 'POST', '/api/3.0/mlflow/traces/search', {
      locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }],
      filter: "prompt = 'fixture-qa/1'",
    });
    expect(found.body.traces.map((t: any) => t.trace_id)).toEqual([WITH_PROMPT]);

    const checked = await run(cwd, 'verify', from, server.url);
    expect(checked.report.clean, JSON.stringify(checked.report.traces?.traces?.filter((t: any) => t.status !== 'ok'))).toBe(true);

    const before = server.stats().byRoute['traces/link-prompts'];
    expect(before).toBe(1);
    const again = await run(cwd, 'copy', from, server.url);
    expect(again.code, again.stderr).toBe(0);
    expect(again.report.traces.summary).toMatchObject({ copied: 0, failed: 0 });
    expect(server.stats().byRoute['traces/link-prompts']).toBe(before);
  });
});
