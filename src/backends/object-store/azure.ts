/**
 * Azure Blob (wasbs://, abfss://) through @azure/storage-blob, loaded only when such a URI is
 * opened. Credentials the way MLflow's client reads them: AZURE_STORAGE_CONNECTION_STRING, else
 * AZURE_STORAGE_ACCESS_KEY for the account the URI names. Large files go up in blocks
 * (uploadStream: BLOCK_SIZE x CONCURRENCY in memory; each block is retried by the SDK's policy).
 */
import { Readable } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import { hashing } from './hashing.js';
import { joinKey, type ObjectLocation } from './location.js';
import { ObjectStoreError, type ObjectStore, type StoredObject, type WriteResult } from './types.js';

const BLOCK_SIZE = 8 * 1024 * 1024;
const CONCURRENCY = 2;

type AzureLocation = Extract<ObjectLocation, { kind: 'azure' }>;

export async function openAzure(uri: string, location: AzureLocation, env: NodeJS.ProcessEnv = process.env): Promise<ObjectStore> {
  const sdk = await import('@azure/storage-blob');
  let service;
  if (env.AZURE_STORAGE_CONNECTION_STRING) {
    service = sdk.BlobServiceClient.fromConnectionString(env.AZURE_STORAGE_CONNECTION_STRING);
  } else if (env.AZURE_STORAGE_ACCESS_KEY) {
    const credential = new sdk.StorageSharedKeyCredential(location.account, env.AZURE_STORAGE_ACCESS_KEY);
    service = new sdk.BlobServiceClient(`https://${location.account}.blob.core.windows.net`, credential);
  } else {
    throw new ObjectStoreError(`no Azure credentials for ${uri}: set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY`, 'credentials');
  }
  return new AzureStore(uri, service.getContainerClient(location.container), location.prefix);
}

export class AzureStore implements ObjectStore {
  constructor(
    readonly uri: string,
    private readonly container: ContainerClient,
    private readonly prefix: string,
  ) {}

  async *list(dir = ''): AsyncIterable<StoredObject[]> {
    const base = joinKey(this.prefix, dir);
    const strip = this.prefix === '' ? '' : `${this.prefix}/`;
    const pages = this.container.listBlobsFlat({ prefix: base === '' ? '' : `${base}/` }).byPage({ maxPageSize: 1000 });
    while (true) {
      let next;
      try {
        next = await pages.next();
      } catch (error) {
        throw this.explain(`listing ${this.where(dir)}`, error);
      }
      if (next.done) return;
      const out: StoredObject[] = [];
      for (const blob of next.value.segment.blobItems) {
        if (blob.name.endsWith('/')) continue; // a directory marker, not a file
        out.push({ path: blob.name.slice(strip.length), size: Number(blob.properties.contentLength ?? 0) });
      }
      if (out.length > 0) yield out;
    }
  }

  async stat(path: string): Promise<number | undefined> {
    try {
      const props = await this.container.getBlobClient(joinKey(this.prefix, path)).getProperties();
      return Number(props.contentLength ?? 0);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw this.explain(`reading ${this.where(path)}`, error);
    }
  }

  async read(path: string): Promise<Readable> {
    try {
      const answer = await this.container.getBlobClient(joinKey(this.prefix, path)).download();
      const body = answer.readableStreamBody;
      if (!body) throw new ObjectStoreError(`reading ${this.where(path)}: the store sent no body`);
      return body as Readable;
    } catch (error) {
      throw this.explain(`reading ${this.where(path)}`, error);
    }
  }

  async write(path: string, data: Readable, size: number): Promise<WriteResult> {
    const hashed = hashing(data);
    try {
      await this.container.getBlockBlobClient(joinKey(this.prefix, path)).uploadStream(hashed.stream, BLOCK_SIZE, CONCURRENCY);
    } catch (error) {
      throw this.explain(`writing ${this.where(path)}`, error);
    }
    const digest = hashed.digest();
    if (digest.bytes !== size) throw new ObjectStoreError(`writing ${this.where(path)}: the source sent ${digest.bytes} of ${size} bytes`);
    return digest;
  }

  async remove(path: string): Promise<void> {
    try {
      await this.container.getBlobClient(joinKey(this.prefix, path)).deleteIfExists();
    } catch (error) {
      throw this.explain(`removing ${this.where(path)}`, error);
    }
  }

  async checkWritable(): Promise<void> {
    const probe = `.runs-migrator-probe-${process.pid}-${Date.now()}`;
    await this.write(probe, Readable.from([Buffer.from('probe')]), 5);
    await this.remove(probe);
  }

  private where(path: string): string {
    return `${this.uri.replace(/\/+$/, '')}/${path}`;
  }

  private explain(what: string, error: unknown): ObjectStoreError {
    if (error instanceof ObjectStoreError) return error;
    const status = (error as { statusCode?: number }).statusCode;
    const code = (error as { code?: string }).code ?? 'Error';
    let hint: string;
    let refusal: 'credentials' | 'unreachable' | undefined;
    if (status === 403) {
      hint = 'the store refused the credentials (check AZURE_STORAGE_CONNECTION_STRING / AZURE_STORAGE_ACCESS_KEY)';
      refusal = 'credentials';
    } else if (status === 404) hint = code === 'ContainerNotFound' ? 'the container does not exist' : 'no such object';
    else if (status === undefined) {
      hint = `the store could not be reached (${code})`;
      refusal = 'unreachable';
    } else hint = `${code} (HTTP ${status})`;
    return new ObjectStoreError(`${what}: ${hint}`, refusal);
  }
}
