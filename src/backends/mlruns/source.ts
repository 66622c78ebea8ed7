/**
 * Reading an experiment of an mlruns store: runs are the sub-folders of the experiment folder
 * that hold a meta.yaml recording this experiment (file_store.py `_list_run_infos`).
 */
import { createReadStream, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ReadIssue, RunQuery, SourceProject, SourceRun } from '../contract.js';
import type { DatasetInput, FileEntry, KeyValue, MetricPoint, ProjectMeta, RunInfo } from '../../model/run.js';
import type { ProjectRef } from '../../model/project-ref.js';
import { NotFoundError } from '../../util/errors.js';
import { openArtifact, listArtifacts } from './artifacts.js';
import type { ExperimentRecord } from './experiments.js';
import { listSubdirs, walkFiles } from './fs-util.js';
import { readRunInputs } from './inputs.js';
import { readKeyValues } from './key-value-dir.js';
import { ARTIFACTS_DIR, isRunDirName, keyPath, METRICS_DIR, PARAMS_DIR, safeSegments, TAGS_DIR } from './layout.js';
import { METRIC_FILE_FORMAT, readMetricFile } from './metric-file.js';
import { isObjectStoreUri } from '../object-store/location.js';
import { ObjectStoreTree } from '../object-store/tree.js';
import { runStateToken } from './state-token.js';
import { localArtifactRoot, readRunFolder, toRunInfo, type RunFolder } from './run-files.js';
import type { LoggedModelInfo, ModelLinks, SourceModel } from '../model-contract.js';
import { listModelFolders, modelFolderStateToken, MlrunsSourceModel, readModelFolder, readRunModelLinks, MODELS_DIR } from './models.js';
import type { Assessment, Trace, TraceInfo } from '../../model/trace.js';
import type { GenaiInventory } from '../../engine/traces/contract.js';
import { mlrunsGenaiInventory } from './genai-inventory.js';
import { MlrunsTraceReader } from './trace-reader.js';
import { readListedAssessments, traceFolderName, TRACES_DIR } from './traces.js';

export class MlrunsSourceProject implements SourceProject {
  readonly issues: ReadIssue[] = [];
  /** Traces are read on a second thread while the engine writes the ones read before (trace-reader.ts). */
  private readonly traceReader = new MlrunsTraceReader();

  constructor(
    readonly ref: ProjectRef,
    readonly meta: ProjectMeta,
    private readonly experiment: ExperimentRecord,
  ) {
    // The thread starts now, while the runs are copied, when the experiment has traces to read.
    if (existsSync(join(experiment.dir, TRACES_DIR))) this.traceReader.prestart();
  }

  async *listRuns(query: RunQuery): AsyncIterable<RunInfo> {
    this.issues.length = 0;
    for (const name of await listSubdirs(this.experiment.dir)) {
      if (!isRunDirName(name)) continue;
      const run = await readRunFolder(join(this.experiment.dir, name));
      // FileStore ignores such run folders too; we say so.
      if (!run) {
        this.issues.push({ field: `run folder ${name}`, reason: 'no readable meta.yaml; not a run MLflow can read, not copied' });
        continue;
      }
      if (run.meta.experimentId !== this.experiment.meta.experimentId) {
        this.issues.push({ field: `run folder ${name}`, reason: `its meta.yaml names experiment ${run.meta.experimentId}; MLflow ignores it here, not copied` });
        continue;
      }
      if (run.meta.lifecycleStage === 'deleted' && !query.includeDeleted) continue;
      yield { ...(await toRunInfo(run)), stateToken: await runStateToken(run.dir) };
    }
  }

  async openRun(info: RunInfo): Promise<SourceRun> {
    const [name] = safeSegments(info.runId, 'run id');
    const run = await readRunFolder(join(this.experiment.dir, name!));
    if (!run) {
      throw new NotFoundError(`run ${info.runId} not found in experiment "${this.experiment.meta.name}"`);
    }
    return new MlrunsSourceRun(await toRunInfo(run), run, this.experiment.dir);
  }

  /** Logged models under <exp>/models (models.ts). */
  async *listModels(): AsyncIterable<LoggedModelInfo> {
    for await (const folder of listModelFolders(this.experiment.dir, this.experiment.meta.experimentId, this.issues)) {
      yield { ...folder.info, stateToken: await modelFolderStateToken(folder) };
    }
  }

  async openModel(info: LoggedModelInfo): Promise<SourceModel> {
    const [name] = safeSegments(info.modelId, 'model id');
    const folder = await readModelFolder(join(this.experiment.dir, MODELS_DIR, name!));
    if (!folder) throw new NotFoundError(`logged model ${info.modelId} not found in experiment "${this.experiment.meta.name}"`);
    return new MlrunsSourceModel(folder);
  }

  /** MLflow 3 traces under <exp>/traces (traces.ts), each with its state token. */
  listTraces(): AsyncIterable<TraceInfo> {
    return this.traceReader.listTraces(join(this.experiment.dir, TRACES_DIR), this.issues);
  }

  /** Made while listing (trace-state-token.ts): the tags as read, the assessment files by stat only (none is opened). */
  listedStateToken(info: TraceInfo): string | undefined {
    return this.traceReader.stateToken(info);
  }

  /** Read only for a trace whose token moved since its copy (engine/traces/sync-trace.ts). */
  async readAssessments(info: TraceInfo): Promise<Assessment[]> {
    return readListedAssessments(this.traceDir(info), info.traceId);
  }

  private traceDir(info: TraceInfo): string {
    return join(this.experiment.dir, TRACES_DIR, traceFolderName(info.traceId));
  }

  /** Prompts of the experiment, reported as not copied (genai-inventory.ts). */
  genaiInventory(): Promise<GenaiInventory> {
    return mlrunsGenaiInventory(dirname(this.experiment.dir), this.experiment.meta.experimentId);
  }

  readTrace(info: TraceInfo): Promise<Trace & { issues: ReadIssue[] }> {
    return this.traceReader.readTrace(this.traceDir(info), info);
  }

  /** Ends the trace reader's thread, if one runs (it also ends by itself once idle). */
  async close(): Promise<void> {
    await this.traceReader.close();
  }
}

class MlrunsSourceRun implements SourceRun {
  private readonly issues: ReadIssue[];
  private artifactRoot?: Promise<string | undefined>;

  constructor(
    readonly info: RunInfo,
    private readonly run: RunFolder,
    private readonly experimentDir: string,
  ) {
    this.issues = run.issues;
  }

  /** Reports a symlink met where MLflow keeps keys: it is never followed. */
  private symlinkIn(folder: string): (key: string) => void {
    return (key) => this.issues.push({ field: `${folder}/${key}`, reason: 'symbolic link; not followed and not copied' });
  }

  params(): Promise<KeyValue[]> {
    return readKeyValues(join(this.run.dir, PARAMS_DIR), this.symlinkIn(PARAMS_DIR));
  }

  tags(): Promise<KeyValue[]> {
    return readKeyValues(join(this.run.dir, TAGS_DIR), this.symlinkIn(TAGS_DIR));
  }

  inputs(): Promise<DatasetInput[]> {
    return readRunInputs(this.experimentDir, this.run.dir, this.issues);
  }

  async metricKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const file of walkFiles(join(this.run.dir, METRICS_DIR), this.symlinkIn(METRICS_DIR))) keys.push(file.path);
    return keys;
  }

  metricHistory(key: string): AsyncIterable<MetricPoint[]> {
    const onBadLine = (line: number, reason: string): void => {
      this.issues.push({ field: `metrics/${key}`, reason: `line ${line} skipped: ${reason}` });
    };
    return readMetricFile(keyPath(join(this.run.dir, METRICS_DIR), key), onBadLine);
  }

  /** The metric file itself, for a straight copy into another mlruns store. */
  rawMetricHistory(key: string): { format: string; open(): Readable } {
    const path = keyPath(join(this.run.dir, METRICS_DIR), key);
    return { format: METRIC_FILE_FORMAT, open: () => createReadStream(path) };
  }

  /** Resolved once, so a non-local artifact store is reported once. */
  private artifacts(): Promise<string | undefined> {
    this.artifactRoot ??= localArtifactRoot(this.run);
    return this.artifactRoot;
  }

  async *files(): AsyncIterable<FileEntry> {
    const uri = this.run.meta.artifactUri;
    if (isObjectStoreUri(uri)) {
      yield* new ObjectStoreTree(uri, (issue) => this.issues.push(issue)).files();
      return;
    }
    const root = await this.artifacts();
    if (root !== undefined) yield* listArtifacts(root, this.symlinkIn(ARTIFACTS_DIR));
  }

  async openFile(path: string): Promise<Readable> {
    const uri = this.run.meta.artifactUri;
    if (isObjectStoreUri(uri)) return new ObjectStoreTree(uri, (issue) => this.issues.push(issue)).open(path);
    const root = await this.artifacts();
    if (root === undefined) throw new NotFoundError(`run ${this.info.runId} has no local artifacts`);
    return openArtifact(root, path);
  }

  readIssues(): ReadIssue[] {
    return [...this.issues];
  }

  modelLinks(): Promise<ModelLinks> {
    return readRunModelLinks(this.run.dir);
  }
}
