/**
 * A real Azure Blob endpoint for the tests: Microsoft's Azurite emulator (npm devDependency),
 * blob service only, in memory, on 127.0.0.1 with a free port; `stop()` ends the process it
 * started. Azurite's well-known development account and key are its documented defaults.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './cli-process.js';
import { freePort } from './moto-server.js';

export const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const BIN = join(REPO, 'node_modules/.bin/azurite-blob');

export interface AzuriteServer {
  connectionString: string;
  createContainer(name: string): Promise<void>;
  put(container: string, name: string, body: Buffer): Promise<void>;
  stop(): Promise<void>;
}

export function azuriteUnavailable(): string | undefined {
  return existsSync(BIN) ? undefined : 'azurite is not installed (npm ci installs it as a devDependency)';
}

export async function startAzurite(): Promise<AzuriteServer> {
  const port = await freePort();
  const child = spawn(BIN, ['--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence', '--silent', '--skipApiVersionCheck', '--disableTelemetry'], {
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`azurite exited with ${child.exitCode}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      break;
    } catch {
      if (i > 150) throw new Error('azurite did not start within 15 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const { BlobServiceClient } = await import('@azure/storage-blob');
  const service = BlobServiceClient.fromConnectionString(connectionString);
  return {
    connectionString,
    async createContainer(name) {
      await service.getContainerClient(name).createIfNotExists();
    },
    async put(container, name, body) {
      await service.getContainerClient(container).getBlockBlobClient(name).uploadData(body);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
