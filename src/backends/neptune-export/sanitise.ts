/**
 * neptune-exporter's file-name rule `S(x)` (utils.py `sanitize_path_part`, format spec 1.1):
 * every code point that is not a letter, a number, `_` or `-` becomes one `_`, then
 * `-<BLAKE2b-8 hex of the original UTF-8 bytes>` is appended. The digest keeps distinct ids apart
 * after the lossy character mapping, so S is not invertible: ids are read from the Parquet columns,
 * never parsed out of names.
 */
import { blake2b } from '@noble/hashes/blake2.js';

const encoder = new TextEncoder();

// Python's str.isalnum() is true for categories L* and N*; `for...of` walks code points, so an
// astral character (an emoji) becomes one `_`, not two.
const KEPT = /^[\p{L}\p{N}_-]$/u;

/** The character mapping alone (no digest). */
export function mapPathChars(text: string): string {
  let out = '';
  for (const char of text) out += KEPT.test(char) ? char : '_';
  return out;
}

/**
 * BLAKE2b with an 8-byte output length (a parameter of the hash, so not a truncated 64-byte
 * digest), lower-case hex.
 */
export function blake2b8Hex(text: string): string {
  return Buffer.from(blake2b(encoder.encode(text), { dkLen: 8 })).toString('hex');
}

/** `S(x)`: the name of a project directory or the prefix of a run's part files. */
export function sanitizePathPart(text: string): string {
  return `${mapPathChars(text)}-${blake2b8Hex(text)}`;
}
