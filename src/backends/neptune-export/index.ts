/**
 * The `neptune-export` backend: neptune-exporter archives (Parquet + files,
 * reference/neptune-export-format.md) as a source and as a target.
 * URI: `neptune-export:<data-path>[?files=<files-path>][&step_multiplier=<N>]` (see uri.ts).
 * Mapping: docs/neptune-mapping.md (mapping.ts in code).
 */
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BackendFactory, Capabilities, OpenOptions, SourceProject, Store, StoreSummary, TargetProject } from '../contract.js';
import type { ProjectMeta } from '../../model/run.js';
import { formatProjectRef, type ProjectRef } from '../../model/project-ref.js';
import { NotFoundError, UsageError } from '../../util/errors.js';
import { DEFAULT_PART_OPTIONS, type PartWriterOptions } from './part-writer.js';
import { findProjectDir, listProjectDirs, mergeProjectMeta, projectIdOf, readProjectMeta } from './project-dir.js';
import { inspectArchive } from './inspect.js';
import { formatArchiveSummary } from './inspect-text.js';
import { sanitizePathPart } from './sanitise.js';
import { ArchiveSourceProject } from './source.js';
import { ArchiveTargetProject } from './target.js';
import { TempSpace } from './temp-space.js';
import { formatArchiveUri, parseArchiveUri, SCHEME, type ArchiveLocation } from './uri.js';

export { inspectArchive } from './inspect.js';
export type { ArchiveSummary, ProjectSummary } from './inspect.js';

/** Neptune's attribute path limit (3.x client). */
const MAX_PATH_LENGTH = 1024;

export const NEPTUNE_EXPORT_CAPABILITIES: Capabilities = {
  read: true,
  write: true,
  // sys/creation_time, runs_migrator/end_time, runs_migrator/status, sys/owner
  setsStartTime: true,
  setsEndTime: true,
  setsStatus: true,
  setsUser: true,
  // sys/trashed
  keepsDeletedRuns: true,
  nativeFilter: false,
  typedValues: true,
  // NaN is stored as null (the exporter's convention) and read back as NaN; +-Infinity are kept.
  nonFinite: 'nan-as-null',
  batch: { maxMetrics: 10_000, maxParams: 1_000, maxTags: 1_000, maxEntities: 10_000 },
  limits: { maxKeyLength: MAX_PATH_LENGTH, maxParamValueLength: 64 * 1024 * 1024, maxTagValueLength: 64 * 1024 * 1024 },
  writeConcurrency: 1,
};

export interface ArchiveOptions extends Partial<PartWriterOptions> {
  dataPath: string;
  /** Default `<dataPath>/../files`. */
  filesPath?: string;
  stepMultiplier?: number | bigint;
}

export class NeptuneArchiveStore implements Store {
  readonly kind = 'neptune-export';
  readonly displayUri: string;
  readonly identity: string;
  readonly capabilities = NEPTUNE_EXPORT_CAPABILITIES;
  private readonly temp = new TempSpace();
  private readonly partOptions: PartWriterOptions;

  constructor(
    private readonly location: ArchiveLocation,
    partOptions: Partial<PartWriterOptions> = {},
  ) {
    this.displayUri = formatArchiveUri(location);
    this.identity = `${SCHEME}${location.dataPath}`;
    this.partOptions = { ...DEFAULT_PART_OPTIONS, ...partOptions };
  }

  rejectKey(key: string): string | undefined {
    if (key.length === 0) return 'empty key';
    if (key.length > MAX_PATH_LENGTH) return `key longer than ${MAX_PATH_LENGTH} characters (Neptune's attribute path limit)`;
    return undefined;
  }

  async openSource(ref: ProjectRef): Promise<SourceProject> {
    const projectId = formatProjectRef(ref);
    const dataPath = this.location.dataPath;
    if (!(await stat(dataPath).catch(() => undefined))?.isDirectory()) {
      throw new NotFoundError(`the Neptune archive data path ${dataPath} does not exist or is not a directory`);
    }
    const dir = await findProjectDir(dataPath, projectId);
    if (!dir) {
      const known: string[] = [];
      for (const name of await listProjectDirs(dataPath)) {
        const id = await projectIdOf(join(dataPath, name));
        if (id !== undefined) known.push(id);
      }
      const hint = known.length > 0 ? `; it holds ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''}` : '';
      throw new NotFoundError(`project ${projectId} is not in the Neptune archive ${dataPath}${hint}`);
    }
    const meta = await readProjectMeta(dir, projectId);
    return new ArchiveSourceProject(ref, meta, dir, {
      filesRoot: this.filesRoot(projectId),
      multiplier: this.location.stepMultiplier,
      temp: this.temp,
    });
  }

  async openTarget(ref: ProjectRef, meta: ProjectMeta, options: { create: boolean; artifactLocation?: string }): Promise<TargetProject | undefined> {
    if (options.artifactLocation !== undefined) {
      throw new UsageError('--target-artifact-location: a Neptune export archive keeps files in its own files folder (?files= in its URI), not at an artifact location');
    }
    const projectId = formatProjectRef(ref);
    const dataPath = this.location.dataPath;
    const existing = await findProjectDir(dataPath, projectId);
    if (!existing && !options.create) return undefined;
    const dir = existing ?? join(dataPath, sanitizePathPart(projectId));
    if (options.create) {
      if (!existing) await mkdir(dir, { recursive: true, mode: 0o700 });
      await mergeProjectMeta(dir, projectId, meta, !existing);
    }
    return new ArchiveTargetProject(ref, dir, {
      projectId,
      filesRoot: this.filesRoot(projectId),
      multiplier: this.location.stepMultiplier,
      partOptions: this.partOptions,
    });
  }

  async inspect(): Promise<StoreSummary> {
    const summary = await inspectArchive(this.location.dataPath, this.location.filesPath);
    return { summary, text: formatArchiveSummary(summary) };
  }

  async close(): Promise<void> {
    this.temp.close();
  }

  private filesRoot(projectId: string): string {
    return join(this.location.filesPath, sanitizePathPart(projectId));
  }
}

/** Opens an archive from options (the library form of the URI; tests set small part sizes). */
export function openNeptuneArchive(options: ArchiveOptions): NeptuneArchiveStore {
  const { dataPath, filesPath, stepMultiplier, ...partOptions } = options;
  const multiplier = BigInt(stepMultiplier ?? 1);
  if (multiplier < 1n || multiplier > 1_000_000n) throw new UsageError('step multiplier must be from 1 to 1000000');
  const location: ArchiveLocation = {
    dataPath: resolve(dataPath),
    filesPath: resolve(filesPath ?? join(dataPath, '..', 'files')),
    stepMultiplier: multiplier,
    filesGiven: filesPath !== undefined,
  };
  return new NeptuneArchiveStore(location, partOptions);
}

export const neptuneExportFactory: BackendFactory = {
  kind: 'neptune-export',
  handles(uri: string): boolean {
    return uri.startsWith(SCHEME);
  },
  async open(uri: string, _options: OpenOptions): Promise<Store> {
    // Archives are local files: there are no credentials to use.
    return new NeptuneArchiveStore(parseArchiveUri(uri));
  },
};
