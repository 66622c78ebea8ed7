/**
 * Trace -> run links kept only as entity associations (MLflow's link-to-run), through the CLI.
 * The source is the database the real MLflow 3.11 wrote (test/golden/stores/genai-sqlite) with
 * link-to-run rows added as SqlAlchemyStore writes them (entity_associations, trace -> run):
 * - `with-prompt` linked to run prompt-dev (copied with the experiment);
 * - another trace linked to run agent-eval and to a run that is not in the experiment (not copied).
 * Into a SQLite database and into an MLflow server the copies are linked to the run copies, the
 * run not copied is reported and kept in old_sys/linked_runs, verify is clean, a re-run links
 * nothing; a lost link is named by verify and made again by the next copy. From the server copy
 * (server source: one run_id search per run) into an mlruns folder, which cannot hold the links:
 * each linked trace says so.
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
const OTHER = 'tr-f624f79bdd4abae14535ce3c243f8b56';
const PROMPT_DEV = 'c11306c8c18f49efbc0972076f6534d4';
const AGENT_EVAL = '259d497911424a34b4e22f65161197a2';
const ELSEWHERE = 'feedfacefeedfacefeedfacefeedface';

/** `copy` or `verify` with --registry through the CLI (cli-pair.ts), as exit code, JSON report and stderr. */
async function run(cwd: string, verb: 'copy' | 'verify', from: string, to: string, fromProject = 'default/genai-fixture', toProject = 'default/genai-copy') {
  const { result, report } = await cliReport(cwd, verb, { source: from, sourceProject: fromProject, target: to, targetProject: toProject }, ['--registry']);
  return { code: result.code ?? -1, report, stderr: result.stderr };
}

/** The golden genai-sqlite database with link-to-run rows, as SqlAlchemyStore writes them. */
function linkedSource(cwd: string): string {
  cpSync(join(GOLDEN_STORES_DIR, 'genai-sqlite'), join(cwd, 'source'), { recursive: true });
  const path = join(cwd, 'source', 'mlflow.db');
  const db = new Database(path);
  const insert = db.prepare(`INSERT INTO entity_associations (association_id, source_type, source_id, destination_type, destination_id, created_time) VALUES (?, 'trace', ?, 'run', ?, 1765000000000)`);
  insert.run('a1'.padEnd(32, '0'), WITH_PROMPT, PROMPT_DEV);
  insert.run('a2'.padEnd(32, '0'), OTHER, AGENT_EVAL);
  insert.run('a3'.padEnd(32, '0'), OTHER, ELSEWHERE);
  db.close();
  return `sqlite:///${path}`;
}

const row = (report: any, id: string) => report.traces.traces.find((t: any) => t.sourceTraceId === id);
const runCopy = (report: any, id: string) => report.runs.find((r: any) => r.sourceRunId === id).targetRunId as string;
const unclean = (report: any) => JSON.stringify(report.traces?.traces?.filter((t: any) => t.status !== 'ok'));

describe('trace -> run links (link-to-run)', () => {
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

  it('into PostgreSQL (MLflow 3.11 schema): one entity_associations row per link, verify clean, a re-run adds none', async () => {
    const cwd = tempDir('run-links-pg');
    const from = linkedSource(cwd);
    const database = await postgres.createDatabase('trace_run_links');
    const client = await postgres.client(database);
    try {
      await createMlflowGenaiPostgresSchema(client);
      const to = `${postgres.uri(database)}?artifacts=${join(cwd, 'pg-artifacts')}`;
      const links = async () =>
        (await client.query(`SELECT source_id, destination_id FROM entity_associations WHERE source_type = 'trace' AND destination_type = 'run' ORDER BY source_id, destination_id`)).rows;

      const first = await run(cwd, 'copy', from, to);
      expect(first.code, first.stderr).toBe(0);
      const expected = [
        { source_id: WITH_PROMPT, destination_id: runCopy(first.report, PROMPT_DEV) },
        { source_id: OTHER, destination_id: runCopy(first.report, AGENT_EVAL) },
      ].sort((x, y) => (x.source_id < y.source_id ? -1 : 1));
      expect(await links()).toEqual(expected);
      const checked = await run(cwd, 'verify', from, to);
      expect(checked.report.clean, unclean(checked.report)).toBe(true);
      const again = await run(cwd, 'copy', from, to);
      expect(again.code, again.stderr).toBe(0);
      expect(row(again.report, WITH_PROMPT)).toMatchObject({ outcome: 'skipped', notes: [] });
      expect(await links()).toEqual(expected);
    } finally {
      await client.end();
    }
  });

  it('into a SQLite database: entity_associations rows for the copies, the run not copied kept in old_sys/linked_runs, verify clean, a re-run adds none, a lost link is made again', async () => {
    const cwd = tempDir('run-links-sqlite');
    const from = linkedSource(cwd);
    // The target: the same schema and the same traces (so the copies get new trace ids), its registry and links emptied.
    cpSync(join(GOLDEN_STORES_DIR, 'genai-sqlite'), join(cwd, 'target'), { recursive: true });
    const targetPath = join(cwd, 'target', 'mlflow.db');
    const db = new Database(targetPath);
    for (const table of ['registered_model_aliases', 'model_version_tags', 'registered_model_tags', 'model_versions', 'registered_models', 'entity_associations']) db.prepare(`DELETE FROM ${table}`).run();
    db.close();
    const to = `sqlite:///${targetPath}`;
    const links = () =>
      new Database(targetPath, { readonly: true }).prepare(`SELECT source_id, destination_id FROM entity_associations WHERE source_type = 'trace' AND destination_type = 'run' ORDER BY source_id, destination_id`).all();

    const first = await run(cwd, 'copy', from, to);
    expect(first.code, first.stderr).toBe(0);
    const promptDev = runCopy(first.report, PROMPT_DEV);
    const agentEval = runCopy(first.report, AGENT_EVAL);
    const a = row(first.report, WITH_PROMPT);
    const b = row(first.report, OTHER);
    expect(a).toMatchObject({ outcome: 'copied', runLinks: [promptDev] });
    expect(b).toMatchObject({ outcome: 'copied', runLinks: [agentEval] });
    expect(b.notes).toContain(`run link(s) ${ELSEWHERE} (link-to-run): the run was not copied; kept in old_sys/linked_runs, not linked`);
    const tag = new Database(targetPath, { readonly: true }).prepare(`SELECT value FROM trace_tags WHERE request_id = ? AND key = 'old_sys/linked_runs'`).get(b.targetTraceId) as { value: string };
    expect(JSON.parse(tag.value)).toEqual([ELSEWHERE]);
    const expected = [
      { source_id: a.targetTraceId, destination_id: promptDev },
      { source_id: b.targetTraceId, destination_id: agentEval },
    ].sort((x, y) => (x.source_id < y.source_id ? -1 : 1));
    expect(links()).toEqual(expected);

    const checked = await run(cwd, 'verify', from, to);
    expect(checked.report.clean, unclean(checked.report)).toBe(true);

    const again = await run(cwd, 'copy', from, to);
    expect(again.code, again.stderr).toBe(0);
    expect(row(again.report, WITH_PROMPT)).toMatchObject({ outcome: 'skipped', runLinks: [promptDev], notes: [] });
    expect(links()).toEqual(expected);

    // A lost link (as after a crash between the trace and its link): verify names it, the next copy makes it.
    const writable = new Database(targetPath);
    writable.prepare(`DELETE FROM entity_associations WHERE source_type = 'trace' AND destination_type = 'run' AND source_id = ?`).run(a.targetTraceId);
    writable.close();
    const broken = await run(cwd, 'verify', from, to);
    expect(broken.code).not.toBe(0);
    expect(row(broken.report, WITH_PROMPT)).toMatchObject({
      status: 'different',
      differences: [`run link ${promptDev} (link-to-run): the source is linked to its run, the copy is not`],
    });
    const repaired = await run(cwd, 'copy', from, to);
    expect(row(repaired.report, WITH_PROMPT)).toMatchObject({ outcome: 'skipped', notes: [`linked to run ${promptDev}`] });
    expect(links()).toEqual(expected);
    expect((await run(cwd, 'verify', from, to)).report.clean).toBe(true);
  });

  it('into an MLflow server: link-to-run on the copies (found by run_id search), verify clean, a re-run links nothing; from there into mlruns: reported, not linked', async () => {
    const cwd = tempDir('run-links-server');
    const from = linkedSource(cwd);
    const first = await run(cwd, 'copy', from, server.url);
    expect(first.code, first.stderr).toBe(0);
    const promptDev = runCopy(first.report, PROMPT_DEV);
    expect(row(first.report, WITH_PROMPT)).toMatchObject({ outcome: 'copied', targetTraceId: WITH_PROMPT, runLinks: [promptDev] });
    expect(server.stats().byRoute['traces/link-to-run']).toBe(2);
    const experimentId = (await new MlflowApi(server.url).experimentId('genai-copy'))!;
    const found = await standinRequest(server.url, 'POST', '/api/3.0/mlflow/traces/search', {
      locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }],
      filter: `run_id = '${promptDev}'`,
    });
    expect(found.body.traces.map((t: any) => t.trace_id)).toEqual([WITH_PROMPT]);

    const checked = await run(cwd, 'verify', from, server.url);
    expect(checked.report.clean, unclean(checked.report)).toBe(true);

    const again = await run(cwd, 'copy', from, server.url);
    expect(again.code, again.stderr).toBe(0);
    expect(again.report.traces.summary).toMatchObject({ copied: 0, failed: 0 });
    expect(server.stats().byRoute['traces/link-to-run']).toBe(2);

    // Server source: the links are found by run_id searches; an mlruns folder cannot hold them.
    const mlruns = join(cwd, 'mlruns');
    const searches = () => server.stats().byRoute['traces/search'] ?? 0;
    const beforeFirst = searches();
    const out = await run(cwd, 'copy', server.url, mlruns, 'default/genai-copy', 'genai-mlruns');
    expect(out.code, out.stderr).toBe(0);
    const linked = row(out.report, WITH_PROMPT);
    expect(linked.outcome).toBe('copied');
    expect(linked.notes).toContain(`run links ${runCopy(out.report, promptDev)} (link-to-run): the target store cannot hold trace-to-run links; not linked`);
    const firstSearches = searches() - beforeFirst;

    // A pass that copies no trace does not search the server source run by run for links.
    const beforeAgain = searches();
    const unchanged = await run(cwd, 'copy', server.url, mlruns, 'default/genai-copy', 'genai-mlruns');
    expect(unchanged.code, unchanged.stderr).toBe(0);
    expect(unchanged.report.traces.summary).toMatchObject({ copied: 0, failed: 0 });
    const runs = out.report.runs.length;
    expect(runs).toBeGreaterThan(1);
    expect(searches() - beforeAgain).toBe(firstSearches - runs);
  });
});
