/**
 * `neptune-export:<data-path>[?files=<files-path>][&step_multiplier=<N>]`
 *
 * - `<data-path>`: neptune-exporter's `--data-path` (default there `./exports/data`); a relative
 *   path is taken from the working directory; `neptune-export:///abs` and `neptune-export:/abs`
 *   both mean `/abs`. Percent-escapes are decoded (`%3F` for a `?` in a path).
 * - `files`: its `--files-path`; default `<data-path>/../files`, the exporter's layout.
 * - `step_multiplier`: integer 1..10^6 (default 1), canonical step = archive step * N.
 */
import { resolve } from 'node:path';
import { UsageError } from '../../util/errors.js';

export const SCHEME = 'neptune-export:';

export interface ArchiveLocation {
  dataPath: string;
  filesPath: string;
  stepMultiplier: bigint;
  /** Whether `files` was given (shown in displayUri). */
  filesGiven: boolean;
}

export function parseArchiveUri(uri: string): ArchiveLocation {
  if (!uri.startsWith(SCHEME)) throw new UsageError(`not a neptune-export: URI: "${uri}"`);
  const rest = uri.slice(SCHEME.length);
  const question = rest.indexOf('?');
  let rawPath = question < 0 ? rest : rest.slice(0, question);
  const query = new URLSearchParams(question < 0 ? '' : rest.slice(question + 1));
  if (rawPath.startsWith('//')) rawPath = rawPath.slice(2);
  if (rawPath === '') throw new UsageError('a neptune-export: URI needs a data path: neptune-export:<data-path>[?files=<files-path>]');
  let dataPath: string;
  try {
    dataPath = resolve(decodeURIComponent(rawPath));
  } catch {
    throw new UsageError(`neptune-export: URI has a malformed percent-escape: "${uri}"`);
  }
  for (const key of query.keys()) {
    if (key !== 'files' && key !== 'step_multiplier') {
      throw new UsageError(`unknown neptune-export: URI option "${key}" (known: files, step_multiplier)`);
    }
  }
  const files = query.get('files');
  if (files === '') throw new UsageError('neptune-export: URI option files= is empty');
  const filesPath = files !== null ? resolve(files) : resolve(dataPath, '..', 'files');
  const multiplierText = query.get('step_multiplier') ?? '1';
  if (!/^\d+$/.test(multiplierText) || BigInt(multiplierText) < 1n || BigInt(multiplierText) > 1_000_000n) {
    throw new UsageError(`neptune-export: step_multiplier must be an integer from 1 to 1000000; got "${multiplierText}"`);
  }
  return { dataPath, filesPath, stepMultiplier: BigInt(multiplierText), filesGiven: files !== null };
}

export function formatArchiveUri(location: ArchiveLocation): string {
  const options: string[] = [];
  if (location.filesGiven) options.push(`files=${encodeURIComponent(location.filesPath)}`);
  if (location.stepMultiplier !== 1n) options.push(`step_multiplier=${location.stepMultiplier}`);
  return `${SCHEME}${location.dataPath}${options.length > 0 ? '?' + options.join('&') : ''}`;
}
