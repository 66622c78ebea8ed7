/**
 * When reading object-store files directly falls back to the tracking server (read-fallback.ts):
 * only when the store cannot be used at all (credentials refused, unreachable) and nothing was read
 * yet; once per store kind, said once; never for a missing object or a listing broken mid-way.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DirectReadFallback } from '../../src/backends/mlflow/read-fallback.js';
import { ObjectStoreError } from '../../src/backends/object-store/types.js';

const S3_ENV = { AWS_ACCESS_KEY_ID: 'id' };
const URI = 's3://bucket/root/1/run/artifacts';
const refused = () => new ObjectStoreError('listing s3://bucket/root: the store refused the credentials', 'credentials');
const missing = () => new ObjectStoreError('reading s3://bucket/root/a: no such object');

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
async function* entries(list: string[], thenThrow?: Error): AsyncGenerator<string> {
  for (const e of list) yield e;
  if (thenThrow) throw thenThrow;
}
const text = async (r: Readable) => (await collect(r)).map(String).join('');

describe('reading object-store files falls back to the server', () => {
  it('lists through the server when the direct listing is refused before its first entry, and says so once', async () => {
    const notices: string[] = [];
    const fallback = new DirectReadFallback((m) => notices.push(m), S3_ENV);
    expect(fallback.direct(URI)).toBe(true);
    expect(await collect(fallback.listing(URI, () => entries([], refused()), () => entries(['a', 'b'])))).toEqual(['a', 'b']);
    expect(fallback.direct(URI)).toBe(false);
    // The next run of the same store kind goes to the server at once, without a second notice.
    let directCalls = 0;
    const direct = () => {
      directCalls++;
      return entries(['x']);
    };
    expect(await collect(fallback.listing('s3://other/prefix', direct, () => entries(['c'])))).toEqual(['c']);
    expect(directCalls).toBe(0);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/Files in s3:\/\/ stores are now read through the tracking server: the direct path failed \(.*refused the credentials/);
    expect(fallback.reasonFor(URI)).toMatch(/refused the credentials/);
    // Azure is another kind of store: its own choice stands.
    expect(new DirectReadFallback(undefined, { ...S3_ENV, AZURE_STORAGE_ACCESS_KEY: 'k' }).direct('wasbs://c@a.blob.core.windows.net/p')).toBe(true);
  });

  it('opens a file through the server when the store cannot be reached', async () => {
    const fallback = new DirectReadFallback(undefined, S3_ENV);
    const unreachable = new ObjectStoreError('reading s3://bucket/root/a: the store could not be reached (ECONNREFUSED)', 'unreachable');
    const file = await fallback.open(URI, () => Promise.reject(unreachable), async () => Readable.from([Buffer.from('from the server')]));
    expect(await text(file)).toBe('from the server');
    expect(fallback.direct(URI)).toBe(false);
  });

  it('does not fall back for a missing object, a listing broken after its first entry, or other errors', async () => {
    const fallback = new DirectReadFallback(undefined, S3_ENV);
    const server = () => entries(['from-server']);
    await expect(fallback.open(URI, () => Promise.reject(missing()), async () => Readable.from(['x']))).rejects.toThrow(/no such object/);
    await expect(collect(fallback.listing(URI, () => entries(['a'], refused()), server))).rejects.toThrow(/refused the credentials/);
    await expect(collect(fallback.listing(URI, () => entries([], new Error('boom')), server))).rejects.toThrow('boom');
    expect(fallback.direct(URI)).toBe(true);
  });

  it('reads through the server from the start when the environment names no credentials', async () => {
    const fallback = new DirectReadFallback(undefined, {});
    expect(fallback.direct(URI)).toBe(false);
    expect(await collect(fallback.listing(URI, () => entries(['direct']), () => entries(['server'])))).toEqual(['server']);
  });
});
