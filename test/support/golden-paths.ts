/**
 * Where the real-MLflow material lives for the tests: the repository's own copy under
 * test/golden (refreshed from ../shared/mlflow-golden by `npm run golden:refresh`), so a clone
 * without ../shared tests the same things.
 */
import { fileURLToPath } from 'node:url';

export const GOLDEN_ROOT = fileURLToPath(new URL('../golden', import.meta.url));
/** Recorded request/response exchanges with a real MLflow 3.11 server. */
export const GOLDEN_CASES_DIR = `${GOLDEN_ROOT}/cases`;
/** Stores written by real MLflow 3.11: `mlruns/` and `sqlite/mlflow.db` (+ `sqlite/mlartifacts/`). */
export const GOLDEN_STORES_DIR = `${GOLDEN_ROOT}/stores`;
/** ../shared/mlflow-golden beside the repository, when there is one (CI and developers' machines). */
export const SHARED_GOLDEN_DIR = fileURLToPath(new URL('../../../shared/mlflow-golden', import.meta.url));
