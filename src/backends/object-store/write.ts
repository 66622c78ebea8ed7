/** One file into an object-store location (the local backends' write path for s3://, wasbs://, abfss://). */
import type { Readable } from 'node:stream';
import { requireObjectStore } from './open.js';

export async function writeToObjectStore(uri: string, path: string, data: Readable, size: number): Promise<void> {
  let store;
  try {
    store = await requireObjectStore(uri);
  } catch (error) {
    data.destroy();
    throw error;
  }
  await store.write(path, data, size);
}

/** Removes every object below `uri` (a discarded partial copy's files). */
export async function removeObjects(uri: string): Promise<void> {
  const store = await requireObjectStore(uri);
  for await (const page of store.list()) {
    for (const object of page) await store.remove(object.path);
  }
}
