/**
 * Experiments of an mlruns store: found by the `name` in each experiment's meta.yaml, created the
 * way FileStore creates them (`create_experiment`, `_create_experiment_with_id`).
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyValue, ProjectMeta } from '../../model/run.js';
import { UsageError } from '../../util/errors.js';
import { exists, listSubdirs, mkdirPrivate, PRIVATE_DIR_MODE, readTextIfExists, tempName, writeFileAtomic, writePrivateFile } from './fs-util.js';
import { readKeyValues } from './key-value-dir.js';
import {
  DEFAULT_EXPERIMENT_ID,
  DEFAULT_EXPERIMENT_NAME,
  isExperimentDirName,
  keyPath,
  META_FILE,
  MlrunsLayout,
  TAGS_DIR,
} from './layout.js';
import { withLock } from './lock.js';
import { formatExperimentMeta, MalformedMetaError, parseExperimentMeta, type ExperimentMeta } from './meta-files.js';
import { pathToFileUri } from './uri.js';

/** MLflow keeps an experiment's description as this tag. */
export const DESCRIPTION_TAG = 'mlflow.note.content';

export interface ExperimentRecord {
  meta: ExperimentMeta;
  dir: string;
}

/** The experiments under the root (`active`) or under `.trash` (`deleted`), unreadable ones skipped as MLflow skips them. */
export async function listExperiments(layout: MlrunsLayout, where: 'active' | 'deleted'): Promise<ExperimentRecord[]> {
  const parent = where === 'active' ? layout.root : layout.trash;
  const records: ExperimentRecord[] = [];
  for (const name of await listSubdirs(parent)) {
    if (where === 'active' && !isExperimentDirName(name)) continue;
    const dir = join(parent, name);
    const text = await readTextIfExists(join(dir, META_FILE));
    if (text === undefined) continue;
    try {
      const meta = parseExperimentMeta(text, join(dir, META_FILE));
      // FileStore ignores an experiment whose recorded id differs from its folder.
      if (meta.experimentId === name) records.push({ meta, dir });
    } catch (error) {
      if (!(error instanceof MalformedMetaError)) throw error;
    }
  }
  return records;
}

/** The experiment named `name`: newest first when several share it, as `get_experiment_by_name` sorts. */
export async function findExperiment(
  layout: MlrunsLayout,
  name: string,
): Promise<{ active?: ExperimentRecord; deleted?: ExperimentRecord }> {
  const newestFirst = (a: ExperimentRecord, b: ExperimentRecord): number =>
    (b.meta.creationTime ?? 0) - (a.meta.creationTime ?? 0) || (a.meta.experimentId < b.meta.experimentId ? -1 : 1);
  const active = (await listExperiments(layout, 'active')).filter((r) => r.meta.name === name).sort(newestFirst)[0];
  const deleted = (await listExperiments(layout, 'deleted')).filter((r) => r.meta.name === name).sort(newestFirst)[0];
  return { ...(active ? { active } : {}), ...(deleted ? { deleted } : {}) };
}

export async function readProjectMeta(record: ExperimentRecord): Promise<ProjectMeta> {
  const all = await readKeyValues(join(record.dir, TAGS_DIR));
  const description = all.find((tag) => tag.key === DESCRIPTION_TAG)?.value;
  return {
    id: record.meta.experimentId,
    tags: all.filter((tag) => tag.key !== DESCRIPTION_TAG),
    ...(description !== undefined ? { description } : {}),
    ...(record.meta.artifactLocation ? { artifactLocation: record.meta.artifactLocation } : {}),
    ...(record.meta.creationTime !== undefined ? { creationTime: record.meta.creationTime } : {}),
  };
}

/** The tags a project's meta asks for, the description as MLflow's note tag. */
function wantedTags(meta: ProjectMeta): KeyValue[] {
  const tags = meta.tags.filter((tag) => tag.key !== DESCRIPTION_TAG);
  if (meta.description !== undefined) tags.push({ key: DESCRIPTION_TAG, value: meta.description });
  return tags;
}

/** Give an existing experiment the tags it lacks (existing values are kept). */
export async function addMissingTags(record: ExperimentRecord, meta: ProjectMeta): Promise<void> {
  const tagsDir = join(record.dir, TAGS_DIR);
  const present = new Set((await readKeyValues(tagsDir)).map((tag) => tag.key));
  for (const tag of wantedTags(meta)) {
    if (!present.has(tag.key)) await writeFileAtomic(keyPath(tagsDir, tag.key), tag.value);
  }
}

/** Build an experiment folder in the scratch area and rename it into place in one step. */
async function placeExperiment(layout: MlrunsLayout, meta: ExperimentMeta, tags: KeyValue[]): Promise<ExperimentRecord> {
  const temp = join(layout.scratch, tempName(`experiment-${meta.experimentId}`));
  try {
    await writePrivateFile(join(temp, META_FILE), formatExperimentMeta(meta));
    for (const tag of tags) await writePrivateFile(keyPath(join(temp, TAGS_DIR), tag.key), tag.value);
    const dir = layout.experimentDir(meta.experimentId);
    await rename(temp, dir);
    return { meta, dir };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

export interface CreateOptions {
  now: () => number;
  newExperimentId: () => string;
  /** --target-artifact-location: this experiment's artifact_location instead of <root>/<id>. */
  artifactLocation?: string;
}

/**
 * Create the store root when it is missing, as FileStore's constructor does: the root (private
 * here), experiment 0 "Default", and `.trash`. An existing root only gets `.trash`.
 */
export async function ensureStoreRoot(layout: MlrunsLayout, options: CreateOptions): Promise<void> {
  // mkdir reports whether it created the root, so of two racing writers exactly one seeds it.
  const created = await mkdir(layout.root, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (created !== undefined) {
    const now = options.now();
    await placeExperiment(
      layout,
      {
        experimentId: DEFAULT_EXPERIMENT_ID,
        name: DEFAULT_EXPERIMENT_NAME,
        artifactLocation: `${pathToFileUri(layout.root)}/${DEFAULT_EXPERIMENT_ID}`,
        lifecycleStage: 'active',
        creationTime: now,
        lastUpdateTime: now,
      },
      [],
    );
  }
  await mkdirPrivate(layout.trash);
}

/**
 * The active experiment named `name`, created when missing. Writers in other processes take the
 * same per-name lock, so two copies starting together create one experiment, not two.
 */
export async function createExperiment(
  layout: MlrunsLayout,
  name: string,
  meta: ProjectMeta,
  options: CreateOptions,
): Promise<ExperimentRecord> {
  const lockName = `experiment-${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
  return withLock(join(layout.locks, lockName), async () => {
    const found = await findExperiment(layout, name);
    if (found.active) return found.active;
    if (found.deleted) throw deletedExperimentError(name, found.deleted);
    let id = options.newExperimentId();
    while ((await exists(layout.experimentDir(id))) || (await exists(join(layout.trash, id)))) {
      id = options.newExperimentId();
    }
    const now = options.now();
    return placeExperiment(
      layout,
      {
        experimentId: id,
        name,
        artifactLocation: options.artifactLocation ?? `${pathToFileUri(layout.root)}/${id}`,
        lifecycleStage: 'active',
        creationTime: now,
        lastUpdateTime: now,
      },
      wantedTags(meta),
    );
  });
}

export function deletedExperimentError(name: string, record: ExperimentRecord): UsageError {
  return new UsageError(
    `experiment "${name}" exists in deleted state (${record.dir}); restore it with ` +
      '`mlflow experiments restore` or remove it from .trash to use this name again',
  );
}
