/**
 * Evaluation datasets between MLflow servers through the CLI (issue 17): datasets made over REST
 * (recorded routes datasets-crud / datasets-records) move from one server to another and from
 * workspace to workspace on one server, with every record, float inputs kept as floats, the
 * source untouched; a re-run copies nothing; a record added in the source since is added by the
 * next run; --dry-run counts; an mlruns target reports them as not copied.
 */
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../support/cli-process.js';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { cliReport, type Locations } from '../support/cli-pair.js';

vi.setConfig({ testTimeout: 240_000 });

const T0 = 1_700_000_000_000;

const cli = cliReport;

function datasetsApi(url: string, workspace?: string) {
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (workspace) headers['x-mlflow-workspace'] = workspace;
    const response = await request(`${url}/api/3.0/mlflow/datasets${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${method} ${path}: ${response.statusCode} ${text}`);
    return JSON.parse(text);
  };
  return {
    create: async (name: string, experimentId: string, tags: Record<string, string>) =>
      (await call('POST', '/create', { name, experiment_ids: [experimentId], tags: JSON.stringify(tags) })).dataset.dataset_id as string,
    /** Records as JSON text, so that the test decides how numbers are written (1.0 stays a float). */
    upsert: (datasetId: string, recordsJson: string) => call('POST', `/${datasetId}/records`, { records: recordsJson }),
    recordsText: async (datasetId: string) => (await call('GET', `/${datasetId}/records`)).records as string,
    search: async (experimentId: string) => (await call('POST', '/search', { experiment_ids: [experimentId] })).datasets ?? [],
    get: async (datasetId: string) => (await call('GET', `/${datasetId}`)).dataset,
  };
}

/** A source experiment with one run and two datasets: one with three records (a float input, a TRACE source), one empty. */
async function seedDatasets(url: string, workspace?: string): Promise<{ experimentId: string; qa: string; empty: string }> {
  const api = new MlflowApi(url, workspace ? { workspace } : {});
  await seedProject(api, 'chatbot', [{ name: 'eval-run', startTime: T0, endTime: T0 + 1000 }]);
  const experimentId = (await api.experimentId('chatbot'))!;
  const datasets = datasetsApi(url, workspace);
  const qa = await datasets.create('qa', experimentId, { stage: 'dev', 'mlflow.user': 'alice' });
  await datasets.upsert(qa, '[{"inputs": {"question": "2+2?"}, "expectations": {"answer": "4"}, "tags": {"topic": "math", "mlflow.user": "alice"}, "source": {"source_type": "HUMAN", "source_data": {"user": "alice"}}}]');
  await datasets.upsert(qa, '[{"inputs": {"question": "warm?", "celsius": 21.0}, "expectations": {"facts": ["over 20.0"]}, "outputs": {"answer": "yes"}}]');
  await datasets.upsert(qa, '[{"inputs": {"question": "empty?"}, "source": {"source_type": "TRACE", "source_data": {"trace_id": "tr-c0ffee0b000000000000000000000001"}}}]');
  const empty = await datasets.create('empty', experimentId, {});
  return { experimentId, qa, empty };
}

describe('evaluation datasets from one MLflow server to another', () => {
  let source: StandinServer;
  let target: StandinServer;
  let seeded: { experimentId: string; qa: string; empty: string };
  const cwd = tempDir('datasets-servers');
  const where = (): Locations => ({ source: source.url, sourceProject: 'chatbot', target: target.url, targetProject: 'chatbot' });

  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    seeded = await seedDatasets(source.url);
  }, 60_000);
  afterAll(async () => {
    await source?.close();
    await target?.close();
  });

  it('--dry-run counts the datasets and their records and writes nothing', async () => {
    const { result, report } = await cli(cwd, 'copy', where(), ['--dry-run']);
    expect(result.code, result.stderr).toBe(0);
    expect(report.datasets.summary).toMatchObject({ datasets: 2, planned: 2, records: 3, recordsWritten: 3 });
    expect(result.stderr).toContain('Evaluation datasets: 2');
  });

  it('copies both datasets with every record, associated with the target experiment, verify clean; the source is unchanged', async () => {
    const before = await datasetsApi(source.url).recordsText(seeded.qa);
    const { result, report } = await cli(cwd, 'copy', where());
    expect(result.code, result.stderr).toBe(0);
    expect(report.datasets.summary).toMatchObject({ datasets: 2, copied: 2, failed: 0, records: 3, recordsWritten: 3, recordsMerged: 0 });
    const targetExperiment = report.target.projectId;
    const copies = await datasetsApi(target.url).search(targetExperiment);
    expect(copies.map((d: any) => d.name).sort()).toEqual(['empty', 'qa']);
    const qa = copies.find((d: any) => d.name === 'qa');
    expect(JSON.parse(qa.tags)).toMatchObject({ stage: 'dev', 'mlflow.user': 'alice', 'old_sys/dataset_id': seeded.qa, 'old_sys/project': 'default/chatbot' });
    // Numbers are passed on as the source server wrote them (the client never re-formats them; the
    // stand-in, unlike Python, writes 21.0 back as 21, so the test compares with the source's text).
    const records = await datasetsApi(target.url).recordsText(qa.dataset_id);
    const warm = (text: string) => /"inputs": \{"question": "warm\?", "celsius": [^}]*\}/.exec(text)?.[0];
    expect(warm(records)).toBeDefined();
    expect(warm(records)).toBe(warm(before));
    expect(records).toContain('"over 20.0"');
    expect(records).toContain('"source_id": "tr-c0ffee0b000000000000000000000001"');
    expect(await datasetsApi(source.url).recordsText(seeded.qa)).toBe(before);

    const verify = await cli(cwd, 'verify', where());
    expect(verify.report.datasets.summary).toMatchObject({ datasets: 2, ok: 2, records: 3, extra: 0 });
    expect(verify.result.stderr + verify.result.stdout).toContain('2/2 dataset(s) ok');
    expect(verify.result.code).toBe(0);
  });

  it('a re-run copies nothing; a record added in the source is added by the next run, verify clean', async () => {
    const again = await cli(cwd, 'copy', where());
    expect(again.report.datasets.summary).toMatchObject({ datasets: 2, copied: 0, updated: 0, skipped: 2, recordsWritten: 0 });

    await datasetsApi(source.url).upsert(seeded.qa, '[{"inputs": {"question": "new?"}, "expectations": {"answer": "yes"}}]');
    const third = await cli(cwd, 'copy', where());
    expect(third.report.datasets.summary).toMatchObject({ datasets: 2, updated: 1, skipped: 1, records: 4, recordsWritten: 1 });
    expect(third.report.datasets.datasets.find((d: any) => d.name === 'qa').records).toEqual({ source: 4, written: 1, alreadyThere: 3, merged: 0, replaced: 0, deleted: 0 });

    const verify = await cli(cwd, 'verify', where());
    expect(verify.report.datasets.summary).toMatchObject({ ok: 2, records: 4 });
    expect(verify.result.code).toBe(0);
  });

  it('verify notices a record changed in the copy; the next copy puts the source record back', async () => {
    const copies = await datasetsApi(target.url).search((await new MlflowApi(target.url).experimentId('chatbot'))!);
    const qa = copies.find((d: any) => d.name === 'qa');
    // The server merges expectations of a record with known inputs: the copy now differs.
    await datasetsApi(target.url).upsert(qa.dataset_id, '[{"inputs": {"question": "2+2?"}, "expectations": {"explanation": "arithmetic"}}]');
    const verify = await cli(cwd, 'verify', where());
    expect(verify.result.code).not.toBe(0);
    const row = verify.report.datasets.datasets.find((d: any) => d.name === 'qa');
    expect(row.status).toBe('different');
    expect(row.differences.join('\n')).toContain('expectations differ');

    const repaired = await cli(cwd, 'copy', where());
    expect(repaired.report.datasets.datasets.find((d: any) => d.name === 'qa')).toMatchObject({ outcome: 'updated', records: { source: 4, written: 0, replaced: 1, deleted: 0 } });
    const after = await cli(cwd, 'verify', where());
    expect(after.report.datasets.summary, JSON.stringify(after.report.datasets.datasets)).toMatchObject({ ok: 2 });
    expect(after.result.code).toBe(0);
  });

  it('into an mlruns folder: reported as not copied with their record counts, no failure', async () => {
    const { result, report } = await cli(cwd, 'copy', { ...where(), target: join(cwd, 'mlruns') });
    expect(result.code, result.stderr).toBe(0);
    expect(report.datasets.summary).toMatchObject({ datasets: 2, 'not-copied': 2, failed: 0, records: 4 });
    expect(report.datasets.notCopied).toContain('cannot hold evaluation datasets');
    expect(result.stderr).toContain('Not copied: 2 evaluation datasets with 4 records');
  });
});

describe('datasets into stores without them, and sharded copies', () => {
  let server: StandinServer;
  const cwd = tempDir('datasets-not-applicable');
  beforeAll(async () => {
    server = await startStandin();
    await seedDatasets(server.url);
  }, 60_000);
  afterAll(async () => server?.close());

  it('two shards copy each dataset once between them, and verify of each shard is clean', async () => {
    const target = await startStandin();
    try {
      const where = { source: server.url, sourceProject: 'chatbot', target: target.url, targetProject: 'chatbot' };
      const shares = [];
      for (const shard of ['0/2', '1/2']) {
        const { result, report } = await cli(cwd, 'copy', where, ['--shard', shard]);
        expect(result.code, result.stderr).toBe(0);
        shares.push(report.datasets.datasets.map((d: any) => d.name));
        const checked = await cli(cwd, 'verify', where, ['--shard', shard]);
        expect(checked.result.code).toBe(0);
        expect(checked.report.datasets.summary.ok).toBe(report.datasets.datasets.length);
      }
      expect(shares.flat().sort()).toEqual(['empty', 'qa']);
      const experimentId = (await new MlflowApi(target.url).experimentId('chatbot'))!;
      expect((await datasetsApi(target.url).search(experimentId)).map((d: any) => d.name).sort()).toEqual(['empty', 'qa']);
    } finally {
      await target.close();
    }
  });

  it('into a Neptune archive: each dataset reported as not copied with its records, no failure', async () => {
    const { result, report } = await cli(cwd, 'copy', { source: server.url, sourceProject: 'chatbot', target: `neptune-export:${join(cwd, 'archive')}`, targetProject: 'team/chatbot' });
    expect(result.code, result.stderr).toBe(0);
    expect(report.datasets.summary).toMatchObject({ datasets: 2, 'not-copied': 2, failed: 0, records: 3 });
    expect(report.datasets.datasets.map((d: any) => d.outcome)).toEqual(['not-copied', 'not-copied']);
  });

  it('from an mlruns folder (which holds none): the section says not applicable', async () => {
    const { result, report } = await cli(cwd, 'copy', { source: join(GOLDEN_STORES_DIR, 'genai-mlruns'), sourceProject: 'genai-fixture', target: server.url, targetProject: 'from-mlruns' });
    expect(result.code, result.stderr).toBe(0);
    expect(report.datasets).toMatchObject({ summary: { datasets: 0 }, datasets: [] });
    expect(report.datasets.notApplicable).toContain('not applicable');
  });
});

describe('evaluation datasets from workspace to workspace on one server', () => {
  let server: StandinServer;
  let seeded: { experimentId: string; qa: string; empty: string };
  const cwd = tempDir('datasets-workspaces');
  const where = (): Locations => ({ source: server.url, sourceProject: 'team-a/chatbot', target: server.url, targetProject: 'team-b/chatbot' });

  async function createWorkspace(name: string): Promise<void> {
    const response = await request(`${server.url}/api/3.0/mlflow/workspaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    expect(response.statusCode).toBe(201);
    await response.body.text();
  }

  beforeAll(async () => {
    server = await startStandin({ workspaces: true });
    await createWorkspace('team-a');
    await createWorkspace('team-b');
    seeded = await seedDatasets(server.url, 'team-a');
  }, 60_000);
  afterAll(async () => server?.close());

  it('copies into the target workspace only, leaves the source datasets as they were, verify clean, a re-run copies nothing', async () => {
    const before = await datasetsApi(server.url, 'team-a').get(seeded.qa);
    const { result, report } = await cli(cwd, 'copy', where());
    expect(result.code, result.stderr).toBe(0);
    expect(report.datasets.summary).toMatchObject({ datasets: 2, copied: 2, records: 3, recordsWritten: 3 });
    const inB = await datasetsApi(server.url, 'team-b').search(report.target.projectId);
    expect(inB.map((d: any) => d.name).sort()).toEqual(['empty', 'qa']);
    expect(inB.every((d: any) => d.dataset_id !== seeded.qa && d.dataset_id !== seeded.empty)).toBe(true);
    expect(await datasetsApi(server.url, 'team-a').get(seeded.qa)).toEqual(before);
    expect(await datasetsApi(server.url, 'team-a').search(seeded.experimentId)).toHaveLength(2);

    const verify = await cli(cwd, 'verify', where());
    expect(verify.report.datasets.summary).toMatchObject({ datasets: 2, ok: 2 });
    expect(verify.result.code).toBe(0);
    const again = await cli(cwd, 'copy', where());
    expect(again.report.datasets.summary).toMatchObject({ skipped: 2, recordsWritten: 0 });
  });
});
