/**
 * The published rename rule for names a target refuses (DESIGN rule 10; docs/neptune-mapping.md,
 * "Keys and paths the target refuses"). It is driven only by what the target declares - its
 * `rejectKey`, `rejectPath`, `limits.maxKeyLength` and `maxPathComponentBytes` - so it serves
 * every target the same way, and verify applies the very same function to pair a source name
 * with its copy.
 *
 * Keys (params, tags and metric keys; each kind is its own namespace):
 *  1. a key the target takes is kept as it is;
 *  2. else every character the target refuses becomes `_`, except `@`, which becomes `_at_`
 *     (as MLflow's autologging names such keys);
 *  3. if the target still refuses it as a path (leading `/`, `a//b`, `.` or `..` segments), empty
 *     segments are removed and `.` / `..` segments become `_` / `__`;
 *  4. if that is longer than the target's key limit, or another key of the run already has that
 *     name (or the engine writes a tag of that name: provenance), it is cut to fit and ends in
 *     `_` + the first 8 hex digits of the SHA-256 of the
 *     ORIGINAL key (16, then 64 digits in the unlikely case that is taken too); should the
 *     target still refuse it (a file store's 255-byte limit on one path component), the readable
 *     part is halved until it is taken;
 *  5. a key that still cannot be written is dropped and reported.
 * The keys kept as they are claim their names first; renamed keys follow in code-point order of
 * their original names, so the result depends only on the run's set of keys.
 *
 * Artifact paths, per `/`-separated component: a component with characters the target refuses
 * (`#` on an MLflow server) or longer than the target's component limit in UTF-8 bytes (255, the
 * limit of common file systems) becomes `<readable prefix>~<8 hex of SHA-256 of the original
 * component><extension>`: refused characters become `_`, the prefix is cut at a character
 * boundary so that the whole fits the limit, and a short extension (`.png`) is kept. The hash
 * keeps two different originals apart without having to list the whole run first.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../backends/contract.js';

/** Component limit when the target declares none: ext4, XFS, APFS, NTFS all stop at 255. */
export const DEFAULT_MAX_PATH_COMPONENT_BYTES = 255;

export interface KeyRename {
  from: string;
  /** Undefined when no name the target takes could be found (dropped). */
  to?: string;
  reason: string;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** One character of a key: kept, `_at_` for `@`, or `_`. */
function keyChar(char: string, target: Store, cache: Map<string, string>): string {
  const known = cache.get(char);
  if (known !== undefined) return known;
  // Probed between letters, so that only the character itself is judged (not its position).
  let out = char;
  if (target.rejectKey(`a${char}a`) !== undefined) out = char === '@' && target.rejectKey('a_at_a') === undefined ? '_at_' : '_';
  cache.set(char, out);
  return out;
}

function normalisedPath(key: string): string {
  const segments = key
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => (segment === '.' ? '_' : segment === '..' ? '__' : segment));
  return segments.length > 0 ? segments.join('/') : '_';
}

/** Steps 2 and 3: the readable form of a refused key. */
function readableKey(key: string, target: Store, cache: Map<string, string>): string {
  let out = '';
  for (const char of key) out += keyChar(char, target, cache);
  // A target that refuses `a//a` reads keys as paths (MLflow): clean up what normalisation would change.
  if (target.rejectKey('a//a') !== undefined) return normalisedPath(out);
  return out === '' ? '_' : out;
}

function withKeyHash(readable: string, original: string, maxLength: number, digits: number): string {
  const suffix = `_${sha256Hex(original).slice(0, digits)}`;
  let prefix = readable.slice(0, Math.max(0, maxLength - suffix.length));
  // Never cut a surrogate pair in half.
  if (/[\uD800-\uDBFF]$/.test(prefix)) prefix = prefix.slice(0, -1);
  return prefix + suffix;
}

/**
 * The target name of every key of one namespace of a run: only keys that change are in the
 * result (with `to` undefined when the key has to be dropped). A renamed key never takes a
 * `reserved` name (the tags the engine writes itself).
 */
export function mapKeys(keys: readonly string[], target: Store, reserved: (name: string) => boolean = () => false): Map<string, KeyRename> {
  const renames = new Map<string, KeyRename>();
  const taken = new Set<string>();
  const refused: Array<{ key: string; reason: string }> = [];
  for (const key of new Set(keys)) {
    const reason = target.rejectKey(key);
    if (reason === undefined) taken.add(key);
    else refused.push({ key, reason });
  }
  if (refused.length === 0) return renames;
  refused.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const maxLength = target.capabilities.limits.maxKeyLength;
  const cache = new Map<string, string>();
  for (const { key, reason } of refused) {
    const readable = readableKey(key, target, cache);
    let candidate: string | undefined;
    const fits = (name: string) => name.length <= maxLength && !taken.has(name) && !reserved(name) && target.rejectKey(name) === undefined;
    if (fits(readable)) candidate = readable;
    // A target may limit more than the length (bytes of a path component on a file store): the
    // prefix is halved until the target takes the name.
    for (let room = maxLength; candidate === undefined && room >= 1; room = Math.floor(room / 2)) {
      for (const digits of [8, 16, 64]) {
        const name = withKeyHash(readable, key, room, digits);
        if (fits(name)) {
          candidate = name;
          break;
        }
      }
    }
    if (candidate !== undefined) taken.add(candidate);
    renames.set(key, { from: key, to: candidate, reason: `${target.kind} refuses the key: ${reason}` });
  }
  return renames;
}

// ---------------------------------------------------------------------------------------------
// Artifact paths

const EXTENSION = /(\.[A-Za-z0-9]{1,10})$/;

function utf8Cut(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
}

function pathCharRefused(char: string, target: Store, cache: Map<string, boolean>): boolean {
  let refused = cache.get(char);
  if (refused === undefined) {
    refused = char === '/' ? false : target.rejectPath?.(`a${char}a`) !== undefined;
    cache.set(char, refused);
  }
  return refused;
}

function mapComponent(component: string, target: Store, maxBytes: number, cache: Map<string, boolean>): string {
  let readable = '';
  for (const char of component) readable += pathCharRefused(char, target, cache) ? '_' : char;
  if (readable === component && Buffer.byteLength(component, 'utf8') <= maxBytes) return component;
  const extension = EXTENSION.exec(readable)?.[1] ?? '';
  const stem = extension !== '' && readable.length > extension.length ? readable.slice(0, -extension.length) : readable;
  const tail = `~${sha256Hex(component).slice(0, 8)}${extension === readable ? '' : extension}`;
  return utf8Cut(stem, maxBytes - Buffer.byteLength(tail, 'utf8')) + tail;
}

/**
 * The path a file gets in the target, or the path itself when the target takes it. `path` is
 * already a safe relative path (paths.ts); the result is one too.
 */
export function mapPath(path: string, target: Store, cache: Map<string, boolean> = new Map()): string {
  const maxBytes = target.capabilities.maxPathComponentBytes ?? DEFAULT_MAX_PATH_COMPONENT_BYTES;
  const longComponent = path.split('/').some((component) => Buffer.byteLength(component, 'utf8') > maxBytes);
  if (!longComponent && target.rejectPath?.(path) === undefined) return path;
  return path
    .split('/')
    .map((component) => mapComponent(component, target, maxBytes, cache))
    .join('/');
}
