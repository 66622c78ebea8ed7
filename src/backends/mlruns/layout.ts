/**
 * Where things live in an MLflow FileStore (mlflow/store/tracking/file_store.py):
 *
 *   <root>/<experiment_id>/meta.yaml            experiment
 *   <root>/<experiment_id>/tags/<key>           experiment tags (keys with '/' are sub-directories)
 *   <root>/<experiment_id>/datasets/<id>/meta.yaml   datasets, id = md5(name + digest)
 *   <root>/<experiment_id>/<run_id>/meta.yaml   run
 *   <root>/<experiment_id>/<run_id>/{metrics,params,tags}/<key>
 *   <root>/<experiment_id>/<run_id>/inputs/<id>/meta.yaml     run inputs, id = md5(dataset id + run id)
 *   <root>/<experiment_id>/<run_id>/artifacts/...
 *   <root>/.trash/<experiment_id>/...           deleted experiments
 *
 * Partial copies are built in a staging folder and renamed into place when complete. FileStore
 * lists every sub-directory of the root as an experiment except names ending in ".trash"
 * (`_get_active_experiments`: `not exp.endswith(".trash")`, in every version since 1.x) and
 * "models". A staging dir inside an experiment would not do: `_search_datasets` reads every
 * non-reserved sub-directory as a run and fails on one without meta.yaml; inside .trash it would
 * be taken for a deleted experiment with an invalid id. So the staging folder is a root-level
 * dir named "*.trash", which every FileStore version skips.
 */
import { join } from 'node:path';

export const META_FILE = 'meta.yaml';
export const TRASH_DIR = '.trash';
export const STAGING_DIR = '.runs-migrator-staging.trash';
export const METRICS_DIR = 'metrics';
export const PARAMS_DIR = 'params';
export const TAGS_DIR = 'tags';
export const ARTIFACTS_DIR = 'artifacts';
export const INPUTS_DIR = 'inputs';
export const DATASETS_DIR = 'datasets';
export const DEFAULT_EXPERIMENT_ID = '0';
export const DEFAULT_EXPERIMENT_NAME = 'Default';

/** Root-level dirs that are not experiments: the model registry's `models`. */
const RESERVED_ROOT_DIRS = new Set(['models']);
/** Experiment-level dirs that are not runs (FileStore.RESERVED_EXPERIMENT_FOLDERS, plus 3.x logged models). */
const RESERVED_EXPERIMENT_DIRS = new Set([TAGS_DIR, DATASETS_DIR, 'traces', 'models']);

export function isExperimentDirName(name: string): boolean {
  return !name.endsWith('.trash') && !RESERVED_ROOT_DIRS.has(name);
}

export function isRunDirName(name: string): boolean {
  return !RESERVED_EXPERIMENT_DIRS.has(name);
}

export class MlrunsLayout {
  constructor(readonly root: string) {}

  get trash(): string {
    return join(this.root, TRASH_DIR);
  }

  get staging(): string {
    return join(this.root, STAGING_DIR);
  }

  get locks(): string {
    return join(this.staging, 'locks');
  }

  /** Where shared things (a new experiment, a dataset) are assembled before one rename. */
  get scratch(): string {
    return join(this.staging, 'tmp');
  }

  experimentDir(experimentId: string): string {
    return join(this.root, experimentId);
  }

  runDir(experimentId: string, runId: string): string {
    return join(this.root, experimentId, runId);
  }

  /** Runs being written into an experiment: invisible to MLflow until renamed into place. */
  stagingExperimentDir(experimentId: string): string {
    return join(this.staging, 'runs', experimentId);
  }

  stagingRunDir(experimentId: string, runId: string): string {
    return join(this.stagingExperimentDir(experimentId), runId);
  }
}

/**
 * The file of `key` under `dir`: MLflow keys may contain '/', stored as sub-directories. Keys
 * are checked (rejectMlflowKey) before they get here; this refuses anything that could still
 * leave `dir`, whatever the caller did.
 */
export function keyPath(dir: string, key: string): string {
  return join(dir, ...safeSegments(key, 'key'));
}

/** The segments of a relative POSIX path that stays below its root; throws otherwise. */
export function safeSegments(path: string, what: string): string[] {
  const segments = path.split('/');
  const bad = path === '' || path.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw new Error(`refusing ${what} "${path}": not a relative path below its folder`);
  return segments;
}
