/**
 * The `mlruns` backend: MLflow's local FileStore folder (`./mlruns`), read and written in
 * MLflow's own layout. URIs: a plain path (`./mlruns`, `/data/mlruns`) or a `file:` URI
 * (`file:///data/mlruns`, `file:./mlruns`).
 */
import { realpath, stat } from 'node:fs/promises';
import type { BackendFactory, OpenOptions, Store } from '../contract.js';
import { NotFoundError, UsageError } from '../../util/errors.js';
import { isErrorCode } from './fs-util.js';
import { MlrunsStore, type MlrunsOptions } from './store.js';
import { isMlrunsUri, mlrunsRootFromUri } from './uri.js';

export { MlrunsStore, type MlrunsOptions } from './store.js';

/**
 * Open the store at `root` (absolute or relative path). A missing root is fine for a target (it
 * is created, as MLflow creates it, on the first write) and an error for a source.
 */
export async function openMlrunsStore(
  root: string,
  role: OpenOptions['role'],
  options: MlrunsOptions = {},
): Promise<MlrunsStore> {
  const absolute = mlrunsRootFromUri(root);
  try {
    const info = await stat(absolute);
    if (!info.isDirectory()) throw new UsageError(`${absolute} is not a directory, so it cannot be an mlruns store`);
    return new MlrunsStore(absolute, `mlruns:${await realpath(absolute)}`, options);
  } catch (error) {
    if (!isErrorCode(error, 'ENOENT')) throw error;
    if (role === 'source') throw new NotFoundError(`no MLflow file store at ${absolute}`);
    return new MlrunsStore(absolute, `mlruns:${absolute}`, options);
  }
}

export const mlrunsFactory: BackendFactory = {
  kind: 'mlruns',
  handles: isMlrunsUri,
  open(uri: string, options: OpenOptions): Promise<Store> {
    return openMlrunsStore(uri, options.role);
  },
};
