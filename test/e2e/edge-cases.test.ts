/**
 * Through the CLI: workspace to workspace on one server, values the target cannot take, and a
 * target run deleted by someone while the migration runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openStore } from '../../src/backends/registry.js';
import { PROVENANCE } from '../../src/model/provenance.js';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { runCli, startCli, tempDir } from '../support/cli-process.js';

const T0 = 1_700_000_000_000;

describe('workspaces', () => {
  let server: StandinServer;
  beforeAll(async () => {
    server = await startStandin({ workspaces: true });
    for (const name of ['team-a', 'team-b']) {
      const response = await fetch(`${server.url}/api/3.0/mlflow/workspaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
      expect(response.status).toBe(201);
    }
    await seedProject(new MlflowApi(server.url, { workspace: 'team-a' }), 'churn', [
      { name: 'r1', startTime: T0, endTime: T0 + 5, params: { a: '1' }, metrics: { m: [{ value: 1, timestamp: T0, step: 0 }] }, files: { 'model/w.bin': Buffer.from([1, 2, 3]) } },
      { name: 'r2', startTime: T0 + 1, endTime: T0 + 6, params: { a: '2' } },
    ]);
  });
  afterAll(() => server.close());

  it('copies team-a/churn to team-b/churn on one server, and verify is clean', async () => {
    const cwd = tempDir('workspaces');
    const result = await runCli(['copy', '--source-uri', server.url, '--source-project', 'team-a/churn', '--target-project', 'team-b/churn', '--no-progress', '--verify'], { cwd });
    expect(result.stdout, result.stderr).toContain('Verify clean: 2 run(s)');
    expect(result.code).toBe(0);
    const inB = new MlflowApi(server.url, { workspace: 'team-b' });
    const runs = await inB.searchRuns((await inB.experimentId('churn'))!);
    expect(runs.map((run: any) => run.info.run_name).sort()).toEqual(['r1', 'r2']);
    expect(runs[0].info.artifact_uri).toContain('workspaces/team-b/');
  });
});

describe('values the target cannot take, and a target run deleted mid-migration', () => {
  let server: StandinServer;
  beforeAll(async () => {
    server = await startStandin();
  });
  afterAll(() => server.close());

  it('over-long values are cut to the limit and reported per run, refused paths renamed by the published rule, nothing changed silently', async () => {
    const cwd = tempDir('limits');
    // An mlruns source can hold what an MLflow server refuses.
    const store = await openStore(join(cwd, 'src'), { credentials: {}, role: 'target' });
    const project = (await store.openTarget({ workspace: 'default', project: 'big' }, { tags: [] }, { create: true }))!;
    const run = await project.createRun({ name: 'big-values', startTime: T0, tags: [], source: { project: 'x', runId: 'y' } });
    await run.logParams([{ key: 'config', value: 'c'.repeat(7000) }, { key: 'ok', value: '1' }]);
    await run.setTags([{ key: 'notes', value: 'n'.repeat(9000) }]);
    await run.logMetrics([{ key: 'm', points: [{ value: Number.POSITIVE_INFINITY, timestamp: T0, step: 0 }, { value: Number.NaN, timestamp: T0 + 1, step: 1 }] }]);
    await run.writeFile('plots/loss#1.png', Readable.from([Buffer.from('png')]), 3);
    await run.writeFile('plots/loss.png', Readable.from([Buffer.from('png')]), 3);
    await run.finish({ status: 'FINISHED', endTime: T0 + 10, deleted: false, marker: { key: 'mark', value: 'x' } });
    await store.close();

    const result = await runCli(['copy', '--source-uri', join(cwd, 'src'), '--source-project', 'big', '--target-uri', server.url, '--target-project', 'big', '--no-progress', '--report', 'r.json', '--verify'], { cwd });
    expect(result.stdout, result.stderr).toContain('Verify clean');
    expect(result.code).toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'r.json'), 'utf8'));
    const issues = report.runs[0].issues.map((issue: any) => [issue.field, issue.key, issue.action]);
    expect(issues).toEqual(
      expect.arrayContaining([
        ['param', 'config', 'truncated'],
        ['tag', 'notes', 'truncated'],
        ['metric', 'm', 'mapped'],
        ['file', 'plots/loss#1.png', 'mapped'],
      ]),
    );
    // '#' is refused by MLflow's artifact proxy: the file arrives under the published rename.
    const renamed = report.runs[0].issues.find((issue: any) => issue.key === 'plots/loss#1.png').targetKey;
    expect(renamed).toMatch(/^plots\/loss_1~[0-9a-f]{8}\.png$/);
    expect(report.runs[0].counts.files).toBe(2);
    const api = new MlflowApi(server.url);
    const [copy] = await api.searchRuns((await api.experimentId('big'))!);
    const params = Object.fromEntries(copy.data.params.map((p: any) => [p.key, p.value]));
    expect(params.config).toBe('c'.repeat(6000));
    const history = await api.call('GET', 'metrics/get-history', { run_id: copy.info.run_id, metric_key: 'm', max_results: '10' });
    expect(history.metrics.map((point: any) => point.value)).toEqual([1.7976931348623157e308, 'NaN']);
  });

  it('project-level things not copied are reported too: an unreadable run folder, an experiment tag over the limit', async () => {
    const cwd = tempDir('project-issues');
    const store = await openStore(join(cwd, 'src'), { credentials: {}, role: 'target' });
    const project = (await store.openTarget({ workspace: 'default', project: 'odd' }, { tags: [{ key: 'huge', value: 'h'.repeat(6000) }] }, { create: true }))!;
    const run = await project.createRun({ name: 'fine', startTime: T0, tags: [], source: { project: 'x', runId: 'y' } });
    await run.finish({ status: 'FINISHED', endTime: T0 + 1, deleted: false, marker: { key: 'mark', value: 'x' } });
    await store.close();
    const experimentDir = readdirSync(join(cwd, 'src')).find((name) => /^\d{6,}$/.test(name))!;
    mkdirSync(join(cwd, 'src', experimentDir, 'f'.repeat(32)));

    const result = await runCli(['copy', '--source-uri', join(cwd, 'src'), '--source-project', 'odd', '--target-uri', server.url, '--target-project', 'odd', '--no-progress', '--report', 'r.json', '--log-file', 'copy.log'], { cwd });
    expect(result.code).toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'r.json'), 'utf8'));
    expect(report.summary.copied).toBe(1);
    expect(report.projectIssues).toEqual([
      { side: 'source', field: `run folder ${'f'.repeat(32)}`, reason: expect.stringContaining('no readable meta.yaml') },
      { side: 'target', field: 'project tag huge', reason: expect.stringContaining('not written') },
    ]);
    const log = readFileSync(join(cwd, 'copy.log'), 'utf8');
    expect(log).toContain(`WARNING source project: run folder ${'f'.repeat(32)}`);
    expect(log).toContain('WARNING target project: project tag huge');
  });

  it('a target run deleted by someone mid-migration fails that run with the reason; the next run copies it again', async () => {
    const cwd = tempDir('deleted-mid-run');
    const source = await startStandin();
    try {
      const long = Array.from({ length: 60_000 }, (_, step) => ({ value: step, timestamp: T0 + step, step }));
      await seedProject(new MlflowApi(source.url), 'victim', [{ name: 'slow', startTime: T0, endTime: T0 + 1, metrics: { a: long, b: long } }]);
      const api = new MlflowApi(server.url);
      const args = ['copy', '--source-uri', source.url, '--source-project', 'victim', '--target-uri', server.url, '--target-project', 'victim', '--no-progress', '--report', 'r.json'];
      const running = startCli(args, { cwd });
      // As soon as the copy exists in the target, someone deletes it.
      let deleted = false;
      for (let tries = 0; tries < 400 && !deleted; tries++) {
        const experimentId = await api.experimentId('victim');
        const runs = experimentId ? await api.searchRuns(experimentId, 'ACTIVE_ONLY') : [];
        if (runs.length > 0) {
          await api.call('POST', 'runs/delete', { run_id: runs[0].info.run_id });
          deleted = true;
        } else {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      expect(deleted).toBe(true);
      const first = await running.done;
      expect(first.code).toBe(1);
      const report = JSON.parse(readFileSync(join(cwd, 'r.json'), 'utf8'));
      expect(report.runs[0].outcome).toBe('failed');
      expect(report.runs[0].reason).toMatch(/active|deleted/i);

      const second = await runCli([...args, '--verify'], { cwd });
      expect(second.stdout, second.stderr).toContain('Verify clean: 1 run(s)');
      expect(second.code).toBe(0);
      const all = await api.searchRuns((await api.experimentId('victim'))!, 'ALL');
      const complete = all.filter((run: any) => run.data.tags?.some((tag: any) => tag.key === PROVENANCE.completed));
      expect(complete).toHaveLength(1);
    } finally {
      await source.close();
    }
  });
});
