/**
 * Writing runs into an experiment of an mlruns store, crash-safe: a run is built in the staging
 * folder (see layout.ts) and renamed into the experiment in one step by finish() (target-run.ts),
 * after the completion marker. A killed copy therefore never leaves a run MLflow can see
 * half-written; its staging folder is what listCopies reports as a partial copy and discardRun
 * removes.
 */
import { rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CopyEditor, CopyRecord, RunInit, TargetProject, TargetRun } from '../contract.js';
import { MlrunsCopyEditor } from './copy-editor.js';
import type { ProjectRef } from '../../model/project-ref.js';
import { PROVENANCE } from '../../model/provenance.js';
import { NotFoundError } from '../../util/errors.js';
import type { ExperimentRecord } from './experiments.js';
import { exists, listSubdirs, mkdirPrivate, tempName, writeFileAtomic, writePrivateFile } from './fs-util.js';
import { readKeyValue, writeKeyValue } from './key-value-dir.js';
import {
  ARTIFACTS_DIR,
  isRunDirName,
  META_FILE,
  METRICS_DIR,
  MlrunsLayout,
  PARAMS_DIR,
  safeSegments,
  TAGS_DIR,
} from './layout.js';
import { formatRunMeta, type RunMeta } from './meta-files.js';
import { readRunFolder, RUN_NAME_TAG } from './run-files.js';
import { MlrunsTargetRun, type ArtifactDestination } from './target-run.js';
import { fileUriToPath } from './uri.js';
import type { KeyValue } from '../../model/run.js';
import type { ModelCopyEditor, ModelCopyRecord, ModelInit, ModelLinks, TargetModel } from '../model-contract.js';
import { openMlrunsModelCopy } from './model-copy-editor.js';
import { createModelFolder, modelCopyRecord, MODELS_DIR, newModelId, writeRunModelLinks } from './models.js';
import type { TraceCopyRecord, TraceUpdate } from '../../engine/traces/contract.js';
import { TRACE_PROVENANCE } from '../../model/trace-provenance.js';
import type { Assessment, Trace } from '../../model/trace.js';
import { readTraceCopyFolder, traceCopyRecord, traceFolderExists, traceFolderName, TRACES_DIR, updateTraceFolder, writeTraceFolder } from './traces.js';
import { isExperimentDirName } from './layout.js';

export interface WriteOptions {
  now: () => number;
  newRunId: () => string;
}

export class MlrunsTargetProject implements TargetProject {
  constructor(
    readonly ref: ProjectRef,
    private readonly layout: MlrunsLayout,
    private readonly experiment: ExperimentRecord,
    private readonly options: WriteOptions,
  ) {}

  get id(): string {
    return this.experimentId;
  }

  private get experimentId(): string {
    return this.experiment.meta.experimentId;
  }

  async *listCopies(): AsyncIterable<CopyRecord> {
    for (const name of await listSubdirs(this.experiment.dir)) {
      if (!isRunDirName(name)) continue;
      const run = await readRunFolder(join(this.experiment.dir, name));
      if (!run || run.meta.experimentId !== this.experimentId) continue;
      const record = await copyRecord(run.dir, run.meta.runId, run.meta.lifecycleStage === 'deleted');
      if (record) yield record;
    }
    // Runs still in staging were never finished: partial by construction, whatever they hold.
    const staging = this.layout.stagingExperimentDir(this.experimentId);
    for (const name of await listSubdirs(staging)) {
      if (name.startsWith('.')) continue;
      const record = await copyRecord(join(staging, name), name, false);
      if (record) yield { ...record, complete: false };
    }
  }

  async createRun(init: RunInit): Promise<TargetRun> {
    const runId = this.options.newRunId();
    const tags = [...init.tags];
    // FileStore `create_run` records the run name as the mlflow.runName tag too.
    if (init.name && !tags.some((tag) => tag.key === RUN_NAME_TAG)) tags.push({ key: RUN_NAME_TAG, value: init.name });
    const meta: RunMeta = {
      runId,
      runName: init.name ?? '',
      experimentId: this.experimentId,
      userId: init.user ?? '',
      status: 'RUNNING',
      // MLflow cannot read a run without start_time; 0 is what it stores when none is given.
      startTime: init.startTime ?? 0,
      endTime: null,
      artifactUri: `${this.experiment.meta.artifactLocation.replace(/\/+$/, '')}/${runId}/${ARTIFACTS_DIR}`,
      lifecycleStage: 'active',
      deletedTime: null,
    };
    // Assemble the first files under a temp name, so a staging run always carries its provenance.
    const stagingDir = this.layout.stagingRunDir(this.experimentId, runId);
    const temp = join(this.layout.stagingExperimentDir(this.experimentId), tempName(runId));
    try {
      await writePrivateFile(join(temp, META_FILE), formatRunMeta(meta));
      for (const tag of tags) await writeKeyValue(join(temp, TAGS_DIR), tag.key, tag.value);
      for (const dir of [METRICS_DIR, PARAMS_DIR, ARTIFACTS_DIR]) await mkdirPrivate(join(temp, dir));
      await rename(temp, stagingDir);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
    const places = {
      stagingDir,
      finalDir: this.runDir(runId),
      experimentDir: this.experiment.dir,
      scratchDir: this.layout.scratch,
      artifacts: this.artifactDestination(runId, stagingDir),
    };
    return new MlrunsTargetRun(meta, places, this.options.now);
  }

  async discardRun(targetRunId: string): Promise<void> {
    const runId = checkedRunId(targetRunId);
    await rm(this.layout.stagingRunDir(this.experimentId, runId), { recursive: true, force: true });
    const finalDir = this.runDir(runId);
    if (await exists(finalDir)) {
      if ((await readKeyValue(join(finalDir, TAGS_DIR), PROVENANCE.completed)) !== undefined) {
        throw new Error(`refusing to discard run ${runId}: it carries the completion marker`);
      }
      await rm(finalDir, { recursive: true, force: true });
    }
    const placement = this.artifactPlacement(runId);
    if (placement.kind === 'external') {
      await rm(placement.dir, { recursive: true, force: true });
      await rmdir(join(placement.dir, '..')).catch(() => undefined);
    }
  }

  async deleteRun(targetRunId: string): Promise<void> {
    const runId = checkedRunId(targetRunId);
    const run = await readRunFolder(this.runDir(runId));
    if (!run) throw new NotFoundError(`run ${runId} not found in experiment "${this.experiment.meta.name}"`);
    // As FileStore `delete_run`: lifecycle_stage and deleted_time, the file replaced atomically.
    const meta: RunMeta = { ...run.meta, lifecycleStage: 'deleted', deletedTime: this.options.now() };
    await writeFileAtomic(join(run.dir, META_FILE), formatRunMeta(meta));
  }

  /** A complete copy, edited in place (copy-editor.ts). */
  async openCopy(targetRunId: string): Promise<CopyEditor> {
    const runId = checkedRunId(targetRunId);
    const runDir = this.runDir(runId);
    if (!(await readRunFolder(runDir))) throw new NotFoundError(`run ${runId} not found in experiment "${this.experiment.meta.name}"`);
    const placement = this.artifactPlacement(runId);
    const artifacts: ArtifactDestination =
      placement.kind === 'remote' ? placement : { kind: 'local', dir: placement.kind === 'in-run' ? join(runDir, ARTIFACTS_DIR) : placement.dir };
    return new MlrunsCopyEditor(runId, { runDir, experimentDir: this.experiment.dir, scratchDir: this.layout.scratch, artifacts });
  }

  // Logged models (models.ts): staged like runs, renamed into <exp>/models after the marker.
  private modelStaging(modelId?: string): string {
    const dir = join(this.layout.staging, MODELS_DIR, this.experimentId);
    return modelId === undefined ? dir : join(dir, ...safeSegments(modelId, 'model id'));
  }

  private modelDir(modelId?: string): string {
    const dir = join(this.experiment.dir, MODELS_DIR);
    return modelId === undefined ? dir : join(dir, ...safeSegments(modelId, 'model id'));
  }

  async *listModelCopies(): AsyncIterable<ModelCopyRecord> {
    for (const name of await listSubdirs(this.modelDir())) {
      const record = await modelCopyRecord(this.modelDir(name), name, false);
      if (record) yield record;
    }
    for (const name of await listSubdirs(this.modelStaging())) {
      if (name.startsWith('.')) continue;
      const record = await modelCopyRecord(this.modelStaging(name), name, true);
      if (record) yield record;
    }
  }

  createModel(init: ModelInit): Promise<TargetModel> {
    const modelId = newModelId();
    return createModelFolder(init, modelId, {
      experimentId: this.experimentId,
      experimentArtifactLocation: this.experiment.meta.artifactLocation,
      stagingDir: this.modelStaging(modelId),
      finalDir: this.modelDir(modelId),
      now: this.options.now,
    }, this.layout.scratch);
  }

  async discardModel(targetModelId: string): Promise<void> {
    await rm(this.modelStaging(targetModelId), { recursive: true, force: true });
    const finalDir = this.modelDir(targetModelId);
    if ((await readKeyValue(join(finalDir, TAGS_DIR), PROVENANCE.completed)) !== undefined) {
      throw new Error(`refusing to discard logged model ${targetModelId}: it carries the completion marker`);
    }
    await rm(finalDir, { recursive: true, force: true });
  }

  openModelCopy(targetModelId: string): Promise<ModelCopyEditor> {
    return openMlrunsModelCopy(this.modelDir(targetModelId), this.options.now);
  }

  async linkRun(targetRunId: string, links: ModelLinks, tags: KeyValue[]): Promise<void> {
    const runDir = this.runDir(checkedRunId(targetRunId));
    await writeRunModelLinks(runDir, targetRunId, links);
    for (const tag of tags) await writeKeyValue(join(runDir, TAGS_DIR), tag.key, tag.value);
  }

  // Traces (traces.ts): staged like models, renamed into <exp>/traces after the marker.
  private traceStaging(traceId?: string): string {
    const dir = join(this.layout.staging, TRACES_DIR, this.experimentId);
    return traceId === undefined ? dir : join(dir, traceFolderName(traceId));
  }

  private traceDir(traceId?: string): string {
    const dir = join(this.experiment.dir, TRACES_DIR);
    return traceId === undefined ? dir : join(dir, traceFolderName(traceId));
  }

  async *listTraceCopies(): AsyncIterable<TraceCopyRecord> {
    for (const name of await listSubdirs(this.traceDir())) {
      const record = await traceCopyRecord(this.traceDir(name), name, false);
      if (record) yield record;
    }
    for (const name of await listSubdirs(this.traceStaging())) {
      if (name.startsWith('.')) continue;
      const record = await traceCopyRecord(this.traceStaging(name), name, true);
      if (record) yield record;
    }
  }

  /** Trace ids are unique in a whole store: every experiment folder and every staged trace. */
  async traceIdTaken(traceId: string): Promise<boolean> {
    const experiments = (await listSubdirs(this.layout.root)).filter(isExperimentDirName).map((name) => join(this.layout.root, name, TRACES_DIR));
    const staged = (await listSubdirs(join(this.layout.staging, TRACES_DIR))).map((name) => join(this.layout.staging, TRACES_DIR, name));
    return traceFolderExists([...experiments, ...staged], traceId);
  }

  writeTrace(trace: Trace, marker: KeyValue): Promise<void> {
    return writeTraceFolder({ ...trace, info: { ...trace.info, experimentId: this.experimentId } }, marker, {
      stagingDir: this.traceStaging(trace.info.traceId),
      finalDir: this.traceDir(trace.info.traceId),
      artifactLocation: this.experiment.meta.artifactLocation,
    });
  }

  readTraceCopy(targetTraceId: string): Promise<{ tags: Record<string, string>; assessments: Assessment[] }> {
    return readTraceCopyFolder(this.traceDir(targetTraceId), targetTraceId);
  }

  updateTrace(targetTraceId: string, update: TraceUpdate, token: KeyValue): Promise<void> {
    return updateTraceFolder(this.traceDir(targetTraceId), update, token);
  }

  async discardTrace(targetTraceId: string): Promise<void> {
    await rm(this.traceStaging(targetTraceId), { recursive: true, force: true });
    const finalDir = this.traceDir(targetTraceId);
    if ((await readKeyValue(join(finalDir, TAGS_DIR), TRACE_PROVENANCE.completed)) !== undefined) {
      throw new Error(`refusing to discard trace ${targetTraceId}: it carries the completion marker`);
    }
    await rm(finalDir, { recursive: true, force: true });
  }

  private runDir(runId: string): string {
    return this.layout.runDir(this.experimentId, runId);
  }

  /**
   * Where a run's artifacts go: in the run folder (the default artifact_location), in another
   * local folder (a custom artifact_location: written there directly, removed by discardRun), or
   * on a remote store mlruns cannot write.
   */
  private artifactPlacement(runId: string): ArtifactPlacement {
    const location = this.experiment.meta.artifactLocation.replace(/\/+$/, '');
    const base = /^[A-Za-z][A-Za-z0-9+.-]+:/.test(location) ? fileUriToPath(location) : location;
    if (base === undefined || base === '') return { kind: 'remote', uri: location };
    const dir = join(base, runId, ARTIFACTS_DIR);
    return dir === join(this.runDir(runId), ARTIFACTS_DIR) ? { kind: 'in-run' } : { kind: 'external', dir };
  }

  /** Files of a run in the default place are written into its staging copy and move with it. */
  private artifactDestination(runId: string, stagingDir: string): ArtifactDestination {
    const placement = this.artifactPlacement(runId);
    if (placement.kind === 'remote') return placement;
    return { kind: 'local', dir: placement.kind === 'in-run' ? join(stagingDir, ARTIFACTS_DIR) : placement.dir };
  }
}

type ArtifactPlacement = { kind: 'in-run' } | { kind: 'external'; dir: string } | { kind: 'remote'; uri: string };

function checkedRunId(runId: string): string {
  const segments = safeSegments(runId, 'run id');
  if (segments.length !== 1) throw new Error(`"${runId}" is not a run id`);
  return runId;
}

async function copyRecord(dir: string, runId: string, deleted: boolean): Promise<CopyRecord | undefined> {
  const tagsDir = join(dir, TAGS_DIR);
  const [sourceProject, sourceRunId, marker, sourceState] = await Promise.all([
    readKeyValue(tagsDir, PROVENANCE.project),
    readKeyValue(tagsDir, PROVENANCE.runId),
    readKeyValue(tagsDir, PROVENANCE.completed),
    readKeyValue(tagsDir, PROVENANCE.sourceState),
  ]);
  if (sourceProject === undefined || sourceRunId === undefined) return undefined;
  return {
    sourceProject, sourceRunId, targetRunId: runId, complete: marker !== undefined, deleted,
    ...(sourceState !== undefined ? { sourceState } : {}),
  };
}
