/**
 * Key and value rules of MLflow's tracking stores (mlflow/utils/validation.py, 3.x), shared by
 * the MLflow server and the mlruns backends.
 */
import type { BatchLimits, ValueLimits } from './contract.js';

export const MLFLOW_BATCH_LIMITS: BatchLimits = {
  maxMetrics: 1000,
  maxParams: 100,
  maxTags: 100,
  maxEntities: 1000,
};

export const MLFLOW_VALUE_LIMITS: ValueLimits = {
  maxKeyLength: 250,
  maxParamValueLength: 6000,
  maxTagValueLength: 8000,
};

// Python's `\w` is Unicode-aware: letters, digits and underscore of any script.
const KEY_CHARSET = /^[\p{L}\p{N}\p{M}_\-./ :]*$/u;

/** Why MLflow would refuse `key` as a param, tag or metric name; undefined when it is valid. */
export function rejectMlflowKey(key: string): string | undefined {
  if (key.length === 0) return 'empty key';
  if (key.length > MLFLOW_VALUE_LIMITS.maxKeyLength) {
    return `key longer than ${MLFLOW_VALUE_LIMITS.maxKeyLength} characters`;
  }
  if (!KEY_CHARSET.test(key)) {
    return 'key has characters MLflow refuses (allowed: letters, digits, _ - . / space :)';
  }
  if (!isNormalisedPath(key)) return 'key changes under path normalisation (leading /, //, ./ or ..)';
  return undefined;
}

/** posixpath.normpath(key) == key and it does not start with '..' or '/'. */
function isNormalisedPath(key: string): boolean {
  if (key.startsWith('/')) return false;
  const parts = key.split('/');
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..') return false;
  }
  return true;
}
