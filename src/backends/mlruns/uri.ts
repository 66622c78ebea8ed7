/**
 * Which URIs name an mlruns store, and local paths <-> `file:` URIs the way MLflow converts them
 * (mlflow/utils/file_utils.py `path_to_local_file_uri` = pathlib `as_uri()`, and
 * `local_file_uri_to_path` = urlparse(...).path + url2pathname).
 */
import { resolve } from 'node:path';
import { UsageError } from '../../util/errors.js';

// A scheme is two or more characters: a single letter before ':' is a Windows drive.
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]+):/;

/** A plain path (absolute or relative) or a `file:` URI; never http(s):, sqlite:, neptune-export: ... */
export function isMlrunsUri(uri: string): boolean {
  const trimmed = uri.trim();
  if (trimmed === '') return false;
  const scheme = SCHEME.exec(trimmed)?.[1];
  return scheme === undefined || scheme.toLowerCase() === 'file';
}

/**
 * The local path a `file:` URI names, or undefined when the URI is not a local `file:` URI.
 * `file:///abs`, `file:/abs`, `file://localhost/abs` and `file:rel` (relative to the working
 * directory, as MLflow reads it) are accepted; percent-escapes are decoded.
 */
export function fileUriToPath(uri: string): string | undefined {
  if (!/^file:/i.test(uri)) return undefined;
  let rest = uri.slice('file:'.length).replace(/[?#].*$/, '');
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    if (host !== '' && host.toLowerCase() !== 'localhost') return undefined;
    rest = slash < 0 ? '/' : rest.slice(slash);
  }
  return unquote(rest);
}

/** urllib's `unquote`: %XX escapes become bytes, the result is read as UTF-8, bad escapes stay. */
function unquote(text: string): string {
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const escape = /^%[0-9A-Fa-f]{2}/.exec(text.slice(i, i + 3));
    if (escape) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The absolute root directory an mlruns URI names. */
export function mlrunsRootFromUri(uri: string): string {
  const trimmed = uri.trim();
  if (/^file:/i.test(trimmed)) {
    const path = fileUriToPath(trimmed);
    if (path === undefined || path === '') {
      throw new UsageError(`"${trimmed}" is not a local file: URI (use file:///absolute/path or a plain path)`);
    }
    return resolve(path);
  }
  return resolve(trimmed);
}

// pathlib quotes every byte except ASCII letters, digits, '_.-~' and '/'.
const URI_SAFE = /[A-Za-z0-9_.\-~/]/;

/** `pathlib.Path(abs_path).as_uri()`: `file://` plus the percent-encoded UTF-8 path. */
export function pathToFileUri(absolutePath: string): string {
  let out = 'file://';
  for (const byte of Buffer.from(absolutePath, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && URI_SAFE.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
