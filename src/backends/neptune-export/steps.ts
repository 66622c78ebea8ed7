/**
 * Neptune steps are decimals (6 places); canonical (MLflow) steps are int64. The conversion is
 * `step * multiplier` (URI option `step_multiplier`, default 1), as neptune-exporter's loaders do,
 * but exact: done on the unscaled integer, never through a float.
 *
 * A step that is not an integer after multiplying is rounded to the nearest integer (half to
 * even) and reported: rounding keeps the point (skipping would lose data) and the report says which
 * multiplier would keep every step exact. neptune-exporter's loaders truncate silently instead.
 */
import { MAX_UNSCALED_STEP, STEP_FACTOR, formatUnscaledStep } from './schema.js';

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export interface CanonicalStep {
  step: number | bigint;
  /** False when the decimal step had to be rounded. */
  exact: boolean;
}

/** An int64 as a number while it is safe, else a bigint (the model's Int64). */
export function toInt64(value: bigint): number | bigint {
  return value >= -SAFE && value <= SAFE ? Number(value) : value;
}

/** Decimal archive step (unscaled, i.e. step * 10^6) -> canonical integer step. */
export function canonicalStep(unscaled: bigint, multiplier: bigint): CanonicalStep {
  const scaled = unscaled * multiplier;
  const quotient = scaled / STEP_FACTOR;
  const remainder = scaled % STEP_FACTOR;
  if (remainder === 0n) return { step: toInt64(quotient), exact: true };
  return { step: toInt64(roundHalfEven(quotient, remainder)), exact: false };
}

function roundHalfEven(quotient: bigint, remainder: bigint): bigint {
  // quotient truncated towards zero; remainder has the sign of the dividend.
  const twice = (remainder < 0n ? -remainder : remainder) * 2n;
  const away = remainder < 0n ? quotient - 1n : quotient + 1n;
  if (twice > STEP_FACTOR) return away;
  if (twice < STEP_FACTOR) return quotient;
  return quotient % 2n === 0n ? quotient : away;
}

/** The exact decimal text of `step * multiplier`, for names such as `step_2.5`. */
export function stepText(unscaled: bigint, multiplier: bigint): string {
  return formatUnscaledStep(unscaled * multiplier);
}

/**
 * Canonical integer step -> unscaled archive decimal (`step / multiplier * 10^6`): a number while
 * that is a safe integer (no BigInt on the hot path), else a bigint; undefined when it is not an
 * integer or does not fit decimal(18, 6) (|step| >= 10^12): such steps are written exactly in
 * `int_value` instead (see part-writer.ts).
 */
export function archiveStep(step: number | bigint, multiplier: bigint): number | bigint | undefined {
  if (typeof step === 'number') {
    const scaled = step * 1_000_000;
    const divisor = Number(multiplier);
    if (Number.isSafeInteger(scaled) && scaled % divisor === 0) return scaled / divisor;
  }
  const value = typeof step === 'bigint' ? step : BigInt(step);
  const scaled = value * STEP_FACTOR;
  if (scaled % multiplier !== 0n) return undefined;
  const unscaled = scaled / multiplier;
  if (unscaled > MAX_UNSCALED_STEP || unscaled < -MAX_UNSCALED_STEP) return undefined;
  return toInt64(unscaled);
}
