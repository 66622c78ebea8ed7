/**
 * A run's files go a few at a time between two MLflow servers (fileConcurrency of the MLflow
 * source and target): every file arrives whole and once, a re-run copies nothing again, and
 * injected faults on the target are retried per file without losing or doubling any.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';

const T0 = 1_700_000_000_000;
const MANY = 60;

/** Small files of distinct content and size, an empty one, and one over the 8 MiB buffer limit (streamed once). */
function files(withBig: boolean): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (let i = 0; i < MANY; i++) out[`shard/${String(i).padStart(2, '0')}.bin`] = Buffer.alloc(1000 + i * 97, i % 251);
  out['empty.txt'] = Buffer.alloc(0);
  if (withBig) out['model/weights.bin'] = Buffer.alloc(9 * 1024 * 1024, 5);
  return out;
}

function args(source: StandinServer, target: StandinServer, project: string, extra: string[] = []): string[] {
  return ['copy', '--source-uri', source.url, '--source-project', `default/${project}`, '--target-uri', target.url, '--target-project', `default/${project}-copy`, '--no-progress', ...extra];
}

function verifyArgs(source: StandinServer, target: StandinServer, project: string): string[] {
  return ['verify', '--source-uri', source.url, '--source-project', `default/${project}`, '--target-uri', target.url, '--target-project', `default/${project}-copy`];
}

describe('files of one run copied a few at a time between MLflow servers', () => {
  let source: StandinServer;
  let target: StandinServer;

  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    const api = new MlflowApi(source.url);
    await seedProject(api, 'many', [{ name: 'many-files', startTime: T0, endTime: T0 + 1_000, files: files(true) }]);
    await seedProject(api, 'faulty', [{ name: 'faulty-files', startTime: T0, endTime: T0 + 1_000, files: files(false) }]);
  }, 60_000);

  afterAll(async () => {
    await source?.close();
    await target?.close();
  });

  it('copies every file whole and once, and a re-run copies none again', async () => {
    const cwd = tempDir('parallel-files');
    const result = await runCli(args(source, target, 'many', ['--report', 'copy.json']), { cwd });
    expect(result.code).toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'copy.json'), 'utf8'));
    expect(report.summary).toMatchObject({ copied: 1, failed: 0 });
    const expected = files(true);
    const bytes = Object.values(expected).reduce((sum, file) => sum + file.length, 0);
    expect(report.runs[0].counts).toMatchObject({ files: MANY + 2, bytes });

    // verify compares every file's SHA-256 on both sides.
    const verify = await runCli(verifyArgs(source, target, 'many'), { cwd });
    expect(verify.stdout).toContain('Verify clean');
    expect(verify.code).toBe(0);

    const api = new MlflowApi(target.url);
    const experimentId = (await api.experimentId('many-copy'))!;
    expect(await api.searchRuns(experimentId)).toHaveLength(1);

    const again = await runCli(args(source, target, 'many'), { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Copied 0, skipped 1/);
  }, 120_000);

  it('retries uploads the target refuses or cuts off, file by file, and still copies each once', async () => {
    const cwd = tempDir('parallel-faults');
    const faulty = await startStandin({ faults: { rate: 0.1, seed: 7, kinds: ['503', '429', 'reset', 'truncate'], retryAfterSeconds: 0 } });
    try {
      const env = { MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.05', MLFLOW_HTTP_REQUEST_MAX_RETRIES: '10' };
      const result = await runCli(args(source, faulty, 'faulty', ['--report', 'copy.json']), { cwd, env });
      expect(result.code).toBe(0);
      const injected = Object.values(faulty.stats().faults).reduce((a, b) => a + b, 0);
      expect(injected).toBeGreaterThan(3);
      const report = JSON.parse(readFileSync(join(cwd, 'copy.json'), 'utf8'));
      expect(report.summary).toMatchObject({ copied: 1, failed: 0 });
      expect(report.summary.retries).toBeGreaterThan(0);
      expect(report.runs[0].counts).toMatchObject({ files: MANY + 1 });

      faulty.setFaults(undefined);
      const verify = await runCli(verifyArgs(source, faulty, 'faulty'), { cwd, env });
      expect(verify.stdout).toContain('Verify clean');
      expect(verify.code).toBe(0);
      const api = new MlflowApi(faulty.url);
      expect(await api.searchRuns((await api.experimentId('faulty-copy'))!)).toHaveLength(1);
    } finally {
      await faulty.close();
    }
  }, 120_000);
});
