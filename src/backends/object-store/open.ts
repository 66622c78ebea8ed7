/**
 * Opens the object store an artifact URI names, loading its client library only then. One
 * client per store location is reused for the whole process (connection pools are per client).
 */
import { parseObjectLocation } from './location.js';
import { ObjectStoreError, type ObjectStore } from './types.js';

const opened = new Map<string, Promise<ObjectStore>>();

/** The store at `uri`, or undefined when the URI does not name an object store. */
export function openObjectStore(uri: string): Promise<ObjectStore> | undefined {
  const location = parseObjectLocation(uri);
  if (!location) return undefined;
  const cacheKey = uri.replace(/\/+$/, '');
  let store = opened.get(cacheKey);
  if (!store) {
    store =
      location.kind === 's3'
        ? import('./s3.js').then((m) => m.openS3(uri, location.bucket, location.prefix))
        : import('./azure.js').then((m) => m.openAzure(uri, location));
    // A failed open (bad settings) is not remembered: the next run may be fixed by then.
    store.catch(() => opened.delete(cacheKey));
    opened.set(cacheKey, store);
  }
  return store;
}

export function requireObjectStore(uri: string): Promise<ObjectStore> {
  const store = openObjectStore(uri);
  if (!store) throw new ObjectStoreError(`not an object-store URI: ${uri}`);
  return store;
}
