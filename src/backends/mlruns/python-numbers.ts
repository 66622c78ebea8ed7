/**
 * Numbers the way Python writes and reads them, because MLflow's FileStore writes metric lines
 * with an f-string (`f"{timestamp} {value} {step}"`, mlflow/store/tracking/file_store.py
 * `_log_run_metric`) and reads them back with `int()` and `float()` (`_get_metric_from_line`).
 *
 * Python prints a float with `repr`: the shortest digits that round-trip (the same digits as
 * JavaScript's shortest form), in positional notation when the decimal point falls between
 * 10^-4 and 10^16, else as `d.ddde+XX` with at least two exponent digits; a float always shows
 * a `.0` when it has no fractional digits; NaN and the infinities are `nan`, `inf`, `-inf`.
 */
import type { Int64 } from '../../model/run.js';

/** `repr(float(x))` in CPython 3. */
export function formatPythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest round-trip digits.
  const [mantissa = '', exponentText = '0'] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  // Position of the decimal point relative to the digit string, as CPython's `decpt`.
  const decpt = exponent + 1;
  if (decpt > 16 || decpt < -3) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${digits[0]}${fraction}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

// float() accepts an optional sign, digits with single underscores between them, an optional
// fraction and exponent, and the words nan / inf / infinity in any case.
const PY_DIGITS = String.raw`\d(?:_?\d)*`;
const PY_DECIMAL = new RegExp(
  String.raw`^[+-]?(?:${PY_DIGITS}(?:\.(?:${PY_DIGITS})?)?|\.${PY_DIGITS})(?:[eE][+-]?${PY_DIGITS})?$`,
);
const PY_NON_FINITE = /^([+-]?)(nan|inf|infinity)$/i;

/** `float(text)` in Python; throws on what Python would refuse. */
export function parsePythonFloat(text: string): number {
  const trimmed = text.trim();
  const special = PY_NON_FINITE.exec(trimmed);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (!PY_DECIMAL.test(trimmed)) throw new Error(`not a Python float: "${text}"`);
  return Number(trimmed.replaceAll('_', ''));
}

const PY_INT = /^[+-]?\d(?:_?\d)*$/;

/** `int(text)` in Python, kept exact: a number while safe, a bigint beyond +-2^53. */
export function parsePythonInt(text: string): Int64 {
  const trimmed = text.trim();
  if (!PY_INT.test(trimmed)) throw new Error(`not a Python int: "${text}"`);
  const big = BigInt(trimmed.replaceAll('_', ''));
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}
