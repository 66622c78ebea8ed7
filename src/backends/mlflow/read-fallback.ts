/**
 * Reading files of runs and logged models in an object store: the direct path (the user's
 * credentials) is chosen when the environment names credentials (accessFor), but those may be
 * refused (403, InvalidAccessKeyId, SignatureDoesNotMatch) or the endpoint may be unreachable from
 * here while the tracking server still reads the store with its own credentials. Then reading
 * falls back to the server's path for that kind of store, for the rest of the copy, and says so
 * once (through the store's notice channel: the log). Writing never falls back: a target store
 * that refuses is bad input, checked before the first run (checkTargetArtifactStore).
 *
 * Only a failure before anything was read falls back: a listing that broke after its first page,
 * or a missing object, fails the run as before (the server could not do better, and a half-read
 * listing merged with another would not be one listing).
 */
import type { Readable } from 'node:stream';
import { parseObjectLocation } from '../object-store/location.js';
import { ObjectStoreError } from '../object-store/types.js';
import type { MlflowHttpClient } from './http-client.js';
import { accessFor } from './store-artifacts.js';

type StoreKind = 's3' | 'azure';

export class DirectReadFallback {
  /** Store kinds read through the server from now on, with the reason the direct path failed. */
  private readonly fellBack = new Map<StoreKind, string>();

  constructor(
    private notify: ((message: string) => void) | undefined,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  setNotice(notify: ((message: string) => void) | undefined): void {
    this.notify = notify;
  }

  /** True while files at `uri` are read directly (credentials in the environment, not refused yet). */
  direct(uri: string | undefined): boolean {
    const kind = kindOf(uri);
    return kind !== undefined && accessFor(uri, this.env) === 'direct' && !this.fellBack.has(kind);
  }

  /** The reason reading fell back for `uri`'s kind of store, if it did. */
  reasonFor(uri: string | undefined): string | undefined {
    const kind = kindOf(uri);
    return kind === undefined ? undefined : this.fellBack.get(kind);
  }

  /** Entries of `direct()`, or of `server()` when the direct listing is refused before its first entry. */
  async *listing<T>(uri: string, direct: () => AsyncIterable<T>, server: () => AsyncIterable<T>): AsyncGenerator<T> {
    if (this.direct(uri)) {
      let yielded = false;
      try {
        for await (const entry of direct()) {
          yielded = true;
          yield entry;
        }
        return;
      } catch (error) {
        if (yielded || !this.fallBack(uri, error)) throw error;
      }
    }
    yield* server();
  }

  /** The file from the store directly, or through the server when the direct read is refused. */
  async open(uri: string, direct: () => Promise<Readable>, server: () => Promise<Readable>): Promise<Readable> {
    if (this.direct(uri)) {
      try {
        return await direct();
      } catch (error) {
        if (!this.fallBack(uri, error)) throw error;
      }
    }
    return server();
  }

  /** Records the fall-back when `error` says the store cannot be used at all; false otherwise. */
  private fallBack(uri: string, error: unknown): boolean {
    const kind = kindOf(uri);
    if (kind === undefined || !(error instanceof ObjectStoreError) || error.refusal === undefined) return false;
    if (!this.fellBack.has(kind)) {
      this.fellBack.set(kind, error.message);
      const name = kind === 's3' ? 's3://' : 'Azure Blob (wasbs://, abfss://)';
      this.notify?.(
        `Files in ${name} stores are now read through the tracking server: the direct path failed (${error.message}); ` +
          'the server reads them with its own credentials.',
      );
    }
    return true;
  }
}

function kindOf(uri: string | undefined): StoreKind | undefined {
  return uri === undefined ? undefined : parseObjectLocation(uri)?.kind;
}

/** One fall-back state per tracking-server client (one per opened store), shared by its runs and models. */
const perClient = new WeakMap<MlflowHttpClient, DirectReadFallback>();

export function readFallbackOf(client: MlflowHttpClient): DirectReadFallback {
  let state = perClient.get(client);
  if (!state) {
    state = new DirectReadFallback(undefined);
    perClient.set(client, state);
  }
  return state;
}
