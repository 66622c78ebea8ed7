/**
 * Narrowing of SQLite cell values read with safeIntegers on: INTEGER cells arrive as bigint,
 * REAL as number, TEXT as string, NULL as null.
 */
import type { Int64 } from '../../model/run.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** An int64 as the model wants it: a number while safe, a bigint beyond +-2^53. */
export function int64(value: unknown): Int64 | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'bigint') return value > MAX_SAFE || value < MIN_SAFE ? value : Number(value);
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return int64(BigInt(value));
  return undefined;
}

/** A millisecond time or other plain number (never large enough to need a bigint). */
export function num(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'bigint' || typeof value === 'number') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

export function text(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

/** SQLite booleans are 0/1 integers (MLflow declares BOOLEAN with a CHECK (x IN (0, 1))); PostgreSQL's are booleans. */
export function bool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value === '1' || value.toLowerCase() === 'true';
  return false;
}
