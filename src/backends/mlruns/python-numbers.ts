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
  // Fast paths (the metric hot path): JavaScript's shortest digits are Python's, and both print
  // positionally between 1e-4 and 1e16 - Python only adds `.0` to whole numbers.
  const magnitude = x < 0 ? -x : x;
  if (magnitude >= 1e-4 && magnitude < 1e16) return Number.isInteger(x) ? `${x}.0` : String(x);
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

/** Only digits, '.', '-', and an exponent: what Number() and float() read alike (no hex, no words). */
function isPlainDecimal(text: string): boolean {
  const n = text.length;
  if (n === 0) return false;
  let digits = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c !== 46 && c !== 45 && c !== 43 && c !== 101 && c !== 69) return false;
  }
  return digits > 0;
}

/** `float(text)` in Python; throws on what Python would refuse. */
export function parsePythonFloat(text: string): number {
  if (isPlainDecimal(text)) {
    const fast = Number(text);
    if (!Number.isNaN(fast)) return fast;
  }
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
  if (text.length > 0 && text.length <= 15) {
    // Fast path: up to 15 plain digits (an optional '-') is always a safe integer.
    let plain = true;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (!((c >= 48 && c <= 57) || (i === 0 && c === 45 && text.length > 1))) {
        plain = false;
        break;
      }
    }
    if (plain) return Number(text) + 0; // + 0 turns int("-0") into 0, not -0
  }
  const trimmed = text.trim();
  if (!PY_INT.test(trimmed)) throw new Error(`not a Python int: "${text}"`);
  const big = BigInt(trimmed.replaceAll('_', ''));
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}
