/**
 * End to end through the CLI: an MLflow server whose experiment keeps its files in Azure Blob
 * (wasbs://, Microsoft's Azurite emulator) copied to a proxied server with
 * AZURE_STORAGE_CONNECTION_STRING, verified clean.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi } from '../support/mlflow-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { AZURITE_ACCOUNT, azuriteUnavailable, startAzurite, type AzuriteServer } from '../support/azurite-server.js';

const skip = azuriteUnavailable();
const FILES: Record<string, Buffer> = {
  'model/weights.bin': Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256)),
  'report.html': Buffer.from('<h1>run</h1>'),
  'empty.txt': Buffer.alloc(0),
};
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(skip)(`Azure Blob -> proxied server${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let azurite: AzuriteServer;
  let source: StandinServer;
  let target: StandinServer;
  const cwd = tempDir('e2e-azure');

  beforeAll(async () => {
    azurite = await startAzurite();
    await azurite.createContainer('mlflow');
    source = await startStandin();
    target = await startStandin();
    const api = new MlflowApi(source.url);
    const location = `wasbs://mlflow@${AZURITE_ACCOUNT}.blob.core.windows.net/experiments/churn`;
    const { experiment_id } = await api.call('POST', 'experiments/create', { name: 'churn', artifact_location: location });
    const run = await api.call('POST', 'runs/create', { experiment_id, run_name: 'in-azure', start_time: 1_700_000_000_000 });
    const runId = run.run.info.run_id as string;
    expect(run.run.info.artifact_uri).toBe(`${location}/${runId}/artifacts`);
    await api.call('POST', 'runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: '0.3' }] });
    for (const [path, body] of Object.entries(FILES)) await azurite.put('mlflow', `experiments/churn/${runId}/artifacts/${path}`, body);
    await api.call('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: 1_700_000_001_000 });
  }, 60_000);
  afterAll(async () => {
    await source?.close();
    await target?.close();
    await azurite?.stop();
  });

  it('copies the run with every file read from the blob container, and verify is clean', async () => {
    const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString };
    const args = ['--source-uri', source.url, '--source-project', 'default/churn', '--target-uri', target.url, '--target-project', 'default/churn-copy'];
    const copy = await runCli(['copy', ...args, '--no-progress'], { cwd, env });
    expect(copy.code, copy.stderr).toBe(0);
    expect(copy.stderr + copy.stdout).not.toContain('AccountKey');
    const api = new MlflowApi(target.url);
    const [run] = await api.searchRuns((await api.experimentId('churn-copy'))!);
    expect(run.info.artifact_uri).toMatch(/^mlflow-artifacts:/);
    for (const [path, body] of Object.entries(FILES)) {
      const res = await fetch(`${target.url}/get-artifact?path=${encodeURIComponent(path)}&run_uuid=${run.info.run_id}`);
      expect(res.status, path).toBe(200);
      expect(sha(Buffer.from(await res.arrayBuffer())), path).toBe(sha(body));
    }
    const verify = await runCli(['verify', ...args], { cwd, env });
    expect(verify.stdout).toContain('Verify clean');
    expect(verify.code).toBe(0);
  }, 120_000);
});
