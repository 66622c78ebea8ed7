/**
 * Where a project lives in an archive. Project ids come from the `project_id` column, never from
 * directory names (S() is not invertible): `S(WORKSPACE/PROJECT)` is tried first and confirmed by
 * its rows, then every other directory (not starting with `.`) is asked for its project id.
 *
 * Archives have no project metadata; what an MLflow experiment carries (tags, description) is kept
 * in `<project dir>/.runs-migrator-project.json` so that copies keep it (hidden: neptune-exporter's
 * reader only looks at `*_part_*.parquet`).
 */
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyValue, ProjectMeta } from '../../model/run.js';
import { listRunFiles } from './parts.js';
import { readIds } from './run-head.js';
import { sanitizePathPart } from './sanitise.js';

const META_FILE = '.runs-migrator-project.json';

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** The project id recorded in a project directory's first complete run, if it has one. */
export async function projectIdOf(dir: string): Promise<string | undefined> {
  for (const run of await listRunFiles(dir)) {
    const first = run.complete ? run.parts[0] : undefined;
    if (!first) continue;
    const { projectId } = await readIds(first.path);
    if (projectId !== undefined) return projectId;
  }
  return undefined;
}

/** The directory of `projectId`, or undefined when the archive does not hold it. */
export async function findProjectDir(dataPath: string, projectId: string): Promise<string | undefined> {
  const preferred = join(dataPath, sanitizePathPart(projectId));
  if (await isDirectory(preferred)) {
    const recorded = await projectIdOf(preferred);
    // A directory without complete runs (just created, or only partial copies) is taken by name.
    if (recorded === undefined || recorded === projectId) return preferred;
  }
  for (const name of await listProjectDirs(dataPath)) {
    const dir = join(dataPath, name);
    if (dir === preferred) continue;
    if ((await projectIdOf(dir)) === projectId) return dir;
  }
  return undefined;
}

/** Sub-directories that may be projects (neptune-exporter skips names starting with `.`). */
export async function listProjectDirs(dataPath: string): Promise<string[]> {
  const entries = await readdir(dataPath, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

export async function readProjectMeta(dir: string, projectId: string): Promise<ProjectMeta> {
  const meta: ProjectMeta = { id: projectId, tags: [] };
  try {
    const parsed = JSON.parse(await readFile(join(dir, META_FILE), 'utf8')) as Partial<ProjectMeta>;
    if (Array.isArray(parsed.tags)) meta.tags = parsed.tags.filter(isKeyValue);
    if (typeof parsed.description === 'string') meta.description = parsed.description;
    if (typeof parsed.artifactLocation === 'string') meta.artifactLocation = parsed.artifactLocation;
    if (typeof parsed.creationTime === 'number') meta.creationTime = parsed.creationTime;
  } catch {
    // no metadata kept: a plain neptune-exporter archive
  }
  return meta;
}

/** Records a new project's metadata, or adds the tags an existing project lacks. */
export async function mergeProjectMeta(dir: string, projectId: string, meta: ProjectMeta, created: boolean): Promise<void> {
  const current = await readProjectMeta(dir, projectId);
  const next: ProjectMeta = created ? { ...meta, id: projectId, tags: [...meta.tags] } : current;
  if (!created) {
    const have = new Set(current.tags.map((tag) => tag.key));
    const missing = meta.tags.filter((tag) => !have.has(tag.key));
    if (missing.length === 0) return;
    next.tags = [...current.tags, ...missing];
  }
  // The id is the directory's project_id; only what an archive cannot hold is stored.
  const stored = { tags: next.tags, description: next.description, artifactLocation: next.artifactLocation, creationTime: next.creationTime };
  const tmp = join(dir, `${META_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, join(dir, META_FILE));
}

function isKeyValue(value: unknown): value is KeyValue {
  const kv = value as KeyValue;
  return typeof kv === 'object' && kv !== null && typeof kv.key === 'string' && typeof kv.value === 'string';
}
