/**
 * The files below an object-store artifact URI, as the local backends (mlruns, MLflow's database)
 * see a run's artifact folder: every file with its size, and a stream per file. Unsafe keys are
 * reported (lost: the file exists but cannot be copied under a safe path), never followed.
 */
import type { Readable } from 'node:stream';
import type { FileEntry } from '../../model/run.js';
import type { ReadIssue } from '../contract.js';
import { unsafePathReason } from '../../engine/paths.js';
import { requireObjectStore } from './open.js';

export class ObjectStoreTree {
  constructor(
    readonly uri: string,
    private readonly report: (issue: ReadIssue) => void,
  ) {}

  async *files(): AsyncIterable<FileEntry> {
    const store = await requireObjectStore(this.uri);
    for await (const page of store.list()) {
      for (const object of page) {
        const unsafe = unsafePathReason(object.path);
        if (unsafe) {
          this.report({ field: `files/${object.path}`, reason: `unsafe object key below ${this.uri} (${unsafe}); not copied`, lost: true });
          continue;
        }
        yield { path: object.path, size: object.size };
      }
    }
  }

  async open(path: string): Promise<Readable> {
    return (await requireObjectStore(this.uri)).read(path);
  }

  async write(path: string, data: Readable, size: number): Promise<void> {
    await (await requireObjectStore(this.uri)).write(path, data, size);
  }
}
