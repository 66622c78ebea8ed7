/**
 * Before the first run is created (DESIGN rule 7): a target whose files go to an object store
 * proves the store takes a write (a probe object, removed at once). A refusal or an unreachable
 * endpoint is a clear error, and nothing is half-written.
 */
import { AuthError, UnreachableError } from '../../util/errors.js';
import { isObjectStoreUri } from './location.js';
import { requireObjectStore } from './open.js';

export async function checkArtifactStoreWritable(location: string | undefined, project: string): Promise<void> {
  if (location === undefined || !isObjectStoreUri(location)) return;
  try {
    await (await requireObjectStore(location)).checkWritable();
  } catch (error) {
    const message = `the artifact store of target project ${project} cannot be written, so no run was copied: ${(error as Error).message}`;
    throw /credential/i.test(message) ? new AuthError(message) : new UnreachableError(message);
  }
}
