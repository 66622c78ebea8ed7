/**
 * The Azure Blob object store against Microsoft's Azurite emulator: listing (directory markers
 * left out), streamed block uploads with sha256, reads, and a wrong key refused without the key
 * in the message.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAzure } from '../../src/backends/object-store/azure.js';
import { parseObjectLocation } from '../../src/backends/object-store/location.js';
import { ObjectStoreError } from '../../src/backends/object-store/types.js';
import { AZURITE_ACCOUNT, azuriteUnavailable, startAzurite, type AzuriteServer } from '../support/azurite-server.js';

const skip = azuriteUnavailable();

async function digest(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe.skipIf(skip)(`Azure Blob object store against Azurite${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let azurite: AzuriteServer;
  const uri = `wasbs://runs@${AZURITE_ACCOUNT}.blob.core.windows.net/exp/1`;
  const location = parseObjectLocation(uri) as Extract<ReturnType<typeof parseObjectLocation>, { kind: 'azure' }>;

  beforeAll(async () => {
    azurite = await startAzurite();
    await azurite.createContainer('runs');
  }, 60_000);
  afterAll(async () => azurite?.stop());

  it('parses wasbs:// and abfss:// URIs into account, container and prefix', () => {
    expect(location).toEqual({ kind: 'azure', scheme: 'wasbs', account: AZURITE_ACCOUNT, container: 'runs', prefix: 'exp/1' });
    expect(parseObjectLocation('abfss://fs@acct.dfs.core.windows.net/a/b/')).toEqual({ kind: 'azure', scheme: 'abfss', account: 'acct', container: 'fs', prefix: 'a/b' });
  });

  it('writes (in blocks past 8 MiB), lists and reads back the same bytes', async () => {
    const store = await openAzure(uri, location, { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString });
    const big = randomBytes(9 * 1024 * 1024 + 7);
    const written = await store.write('run/artifacts/big.bin', Readable.from([big.subarray(0, 5_000_000), big.subarray(5_000_000)]), big.length);
    expect(written).toEqual({ bytes: big.length, sha256: createHash('sha256').update(big).digest('hex') });
    await store.write('run/artifacts/a.txt', Readable.from([Buffer.from('a')]), 1);
    await azurite.put('runs', 'exp/1/run/artifacts/folder/', Buffer.alloc(0));
    const listed: string[] = [];
    for await (const page of store.list('run')) listed.push(...page.map((o) => `${o.path}:${o.size}`));
    expect(listed.sort()).toEqual(['run/artifacts/a.txt:1', `run/artifacts/big.bin:${big.length}`]);
    expect(await digest(await store.read('run/artifacts/big.bin'))).toBe(written.sha256);
    expect(await store.stat('run/artifacts/none')).toBeUndefined();
  }, 60_000);

  it('refuses a wrong account key clearly, without the key', async () => {
    const wrongKey = Buffer.from('not the key at all, not at all!!').toString('base64');
    const wrong = azurite.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${wrongKey}`);
    const store = await openAzure(uri, location, { AZURE_STORAGE_CONNECTION_STRING: wrong });
    const failure = await store.checkWritable().then(() => undefined, (e: unknown) => e);
    expect(failure).toBeInstanceOf(ObjectStoreError);
    expect((failure as Error).message).toMatch(/refused the credentials/);
    expect((failure as Error).message).not.toContain(wrongKey);
  });

  it('says which variables to set when none is', async () => {
    await expect(openAzure(uri, location, {})).rejects.toThrow(/AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY/);
  });
});
