/**
 * Reading one run folder: its meta.yaml into the canonical RunInfo, and where its artifacts are.
 */
import { join } from 'node:path';
import type { ReadIssue } from '../contract.js';
import type { RunInfo } from '../../model/run.js';
import { exists, readTextIfExists } from './fs-util.js';
import { readKeyValue } from './key-value-dir.js';
import { ARTIFACTS_DIR, META_FILE, TAGS_DIR } from './layout.js';
import { MalformedMetaError, parseRunMeta, type RunMeta } from './meta-files.js';
import { fileUriToPath } from './uri.js';

export const RUN_NAME_TAG = 'mlflow.runName';
export const PARENT_RUN_TAG = 'mlflow.parentRunId';

export interface RunFolder {
  dir: string;
  meta: RunMeta;
  issues: ReadIssue[];
}

/** The run in `dir`, or undefined when it has no readable meta.yaml (FileStore skips such folders). */
export async function readRunFolder(dir: string): Promise<RunFolder | undefined> {
  const text = await readTextIfExists(join(dir, META_FILE));
  if (text === undefined) return undefined;
  try {
    return { dir, ...parseRunMeta(text, join(dir, META_FILE)) };
  } catch (error) {
    if (error instanceof MalformedMetaError) return undefined;
    throw error;
  }
}

export async function toRunInfo(run: RunFolder): Promise<RunInfo> {
  const { meta } = run;
  const tagsDir = join(run.dir, TAGS_DIR);
  // Like FileStore `_get_run_from_info`: a run without run_name takes its mlflow.runName tag.
  const name = meta.runName || (await readKeyValue(tagsDir, RUN_NAME_TAG)) || undefined;
  const parentRunId = await readKeyValue(tagsDir, PARENT_RUN_TAG);
  return {
    runId: meta.runId,
    status: meta.status,
    deleted: meta.lifecycleStage === 'deleted',
    experimentId: meta.experimentId,
    ...(name !== undefined ? { name } : {}),
    ...(meta.userId !== '' ? { user: meta.userId } : {}),
    // 0 is what MLflow stores for "no time given" (runs/create without start_time; end_time 0 = absent).
    ...(meta.startTime ? { startTime: meta.startTime } : {}),
    ...(meta.endTime ? { endTime: meta.endTime } : {}),
    ...(meta.artifactUri !== '' ? { artifactUri: meta.artifactUri } : {}),
    ...(parentRunId !== undefined ? { parentRunId } : {}),
  };
}

/**
 * The local folder holding a run's artifacts: the path of its `file:` artifact_uri, or the run's
 * own `artifacts/` when that path does not exist but the folder does (a store that was moved or
 * copied keeps the old absolute URIs). Undefined, with an issue, for a non-local artifact store.
 */
export async function localArtifactRoot(run: RunFolder): Promise<string | undefined> {
  const own = join(run.dir, ARTIFACTS_DIR);
  const uri = run.meta.artifactUri;
  if (uri === '') return own;
  const hasScheme = /^[A-Za-z][A-Za-z0-9+.-]+:/.test(uri);
  const path = hasScheme ? fileUriToPath(uri) : uri;
  if (path === undefined) {
    if (await exists(own)) return own;
    run.issues.push({ field: 'artifacts', reason: `artifacts live at ${uri}, which is not a local path; not copied`, lost: true });
    return undefined;
  }
  if (!(await exists(path)) && (await exists(own))) return own;
  return path;
}
