/**
 * Reading a project (an MLflow experiment) from a tracking server.
 */
import { mlflowSourceDatasets } from './datasets.js';
import { hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { mlflowSourceTraces } from './traces.js';
import { mlflowTracePromptLinks } from './trace-prompt-links.js';
import { mlflowTraceRunLinks } from './trace-run-links.js';
import { mlflowGenaiInventory } from './genai-inventory.js';
import { mlflowScorers } from './scorers.js';
import type { ReadIssue, RunQuery, SourceProject, SourceRun } from '../contract.js';
import type { DatasetInput, FileEntry, KeyValue, MetricPoint, ProjectMeta, RunInfo } from '../../model/run.js';
import type { ProjectRef } from '../../model/project-ref.js';
import { NotFoundError, UsageError } from '../../util/errors.js';
import { MlflowRequestError } from './errors.js';
import {
  NOTE_TAG,
  PATHS,
  parseInputs,
  parseRun,
  searchRunEntries,
  type Experiment,
  type RunDoc,
} from './api.js';
import { FILES_AT_ONCE, directStoreReason, downloadArtifact, listArtifacts, proxyRoot, unsafePathReason } from './artifacts.js';
import { isObjectStoreUri, listDirect, readDirect, readRunFileThroughServer } from './store-artifacts.js';
import { readFallbackOf } from './read-fallback.js';
import type { Histories, PrefetchSettings, PrefetchState } from './history-prefetch.js';
import { ListingSpool } from './listing-spool.js';
import { ownRunInfo } from './own-strings.js';
import { RunWindows } from './run-windows.js';
import type { MlflowHttpClient } from './http-client.js';
import { asRecord, parseHistoryPage } from './json.js';
import type { LoggedModelInfo, ModelLinks, SourceModel } from '../model-contract.js';
import { MlflowSourceModel, readModelLinks, searchLoggedModels, type ModelDoc } from './models.js';

export interface SourceSettings {
  /** max_results of metrics/get-history (the MLflow client sends 25 000). */
  historyPageSize: number;
  /** max_results of runs/search. */
  searchPageSize: number;
  /** Points one read-ahead window of up to 100 runs may hold (0: no bulk reads). */
  readAheadPoints: number;
}

const NOTHING_READ_AHEAD: Promise<Histories | undefined> = Promise.resolve(undefined);

export function projectMeta(experiment: Experiment): ProjectMeta {
  const note = experiment.tags.find((t) => t.key === NOTE_TAG);
  return {
    id: experiment.id,
    tags: experiment.tags.filter((t) => t.key !== NOTE_TAG),
    ...(note !== undefined ? { description: note.value } : {}),
    ...(experiment.artifactLocation !== undefined ? { artifactLocation: experiment.artifactLocation } : {}),
    ...(experiment.creationTime !== undefined ? { creationTime: experiment.creationTime } : {}),
  };
}

export class MlflowSourceProject implements SourceProject {
  readonly meta: ProjectMeta;
  /**
   * In memory, nothing of a listed run is kept but its RunInfo, which the engine holds anyway: the
   * rest waits on disk (listing-spool.ts) and is read back window by window as runs are opened
   * (run-windows.ts), in the plan's order once the engine gave it (readAhead), else the listing's.
   */
  private spool: ListingSpool | undefined;
  private listedOrder: RunInfo[] = [];
  private windows: RunWindows | undefined;
  private readonly historyState: PrefetchState = { disabled: false };
  /** Logged models (models.ts): the search answer is kept for openModel. */
  private readonly listedModels = new Map<string, ModelDoc>();

  constructor(
    private readonly client: MlflowHttpClient,
    readonly ref: ProjectRef,
    private readonly experiment: Experiment,
    private readonly settings: SourceSettings,
  ) {
    this.meta = projectMeta(experiment);
    // MLflow 3 traces (traces.ts): the engine asks for listTraces / readTrace.
    Object.assign(this, mlflowSourceTraces(client, ref.workspace, experiment.id), {
      genaiInventory: () => mlflowGenaiInventory(client, ref.workspace, experiment.id),
    }, mlflowSourceDatasets(client, ref.workspace, experiment.id));
    // Which traces link-prompts linked to a prompt version (trace-prompt-links.ts): read only.
    Object.assign(this, { tracesLinkedToPrompt: mlflowTracePromptLinks(client, ref.workspace, experiment.id).tracesLinkedToPrompt });
    // Which traces link-to-run linked to the copied runs (trace-run-links.ts): read only, asked only when a trace is copied.
    const { traceRunLinks, searchedPerRun } = mlflowTraceRunLinks(client, ref.workspace, experiment.id);
    Object.assign(this, { traceRunLinks, searchedPerRun });
    // Scorers registered to the experiment (scorers.ts): the engine asks for listScorers.
    const scorers = mlflowScorers(client, ref.workspace, experiment.id);
    Object.assign(this, { listScorers: scorers.listScorers, keepsScorerNumbers: scorers.keepsScorerNumbers });
  }

  async *listRuns(query: RunQuery): AsyncIterable<RunInfo> {
    this.close();
    const spool = new ListingSpool();
    this.spool = spool;
    const runs = searchRunEntries(this.client, this.ref.workspace, {
      experimentId: this.experiment.id,
      viewType: query.includeDeleted ? 'ALL' : 'ACTIVE_ONLY',
      pageSize: this.settings.searchPageSize,
      tagKeys: [], // the run's info is all a listed source run is
      ...(query.filter !== undefined ? { filter: query.filter } : {}),
    });
    try {
      for await (const { run, text, item } of runs) {
        // The run's JSON as the server sent it, when the page gave it: kept and digested as it is.
        let kept: Buffer | string | undefined = text;
        if (text === undefined) kept = spool.put(run.info.runId, item);
        else if (typeof text === 'string') spool.putText(run.info.runId, text);
        else spool.putBytes(run.info.runId, text);
        const info = ownRunInfo(run.info, listingStateToken(item, kept));
        this.listedOrder.push(info);
        yield info;
      }
    } catch (error) {
      if (query.filter !== undefined && error instanceof MlflowRequestError && error.errorCode === 'INVALID_PARAMETER_VALUE') {
        throw new UsageError(`${this.client.displayUri} refused the filter "${query.filter}": ${error.serverText}`);
      }
      throw error;
    }
  }

  /** The planned runs are read in windows, with their small metric histories many runs per request. */
  readAhead(runs: readonly RunInfo[]): void {
    const prefetch = this.settings.readAheadPoints > 0
      ? { maxResults: this.settings.historyPageSize, windowPointBudget: this.settings.readAheadPoints, concurrency: 4 }
      : undefined;
    this.windows = this.openWindows(runs, prefetch);
    this.listedOrder = [];
  }

  async openRun(info: RunInfo): Promise<SourceRun> {
    if (!this.windows) {
      this.windows = this.openWindows(this.listedOrder, undefined);
      this.listedOrder = [];
    }
    const windowed = this.windows.take(info.runId);
    const doc = windowed.doc ?? this.spool?.doc(info.runId) ?? (await getRun(this.client, this.ref.workspace, info.runId));
    // Histories are not awaited here: the run creates its copy while its window is still read.
    return new MlflowSourceRun(this.client, this.ref.workspace, doc, this.settings, windowed.histories);
  }

  /** Frees the listing's spool; a later listing makes a new one. */
  close(): void {
    this.spool?.close();
    this.spool = undefined;
    this.windows = undefined;
    this.listedOrder = [];
  }

  private openWindows(order: readonly RunInfo[], prefetch: PrefetchSettings | undefined): RunWindows {
    const spool = this.spool;
    return new RunWindows(this.client, this.ref.workspace, order, (runId) => spool?.doc(runId), prefetch, this.historyState);
  }

  async *listModels(): AsyncIterable<LoggedModelInfo> {
    for await (const doc of searchLoggedModels(this.client, this.ref.workspace, this.experiment.id)) {
      this.listedModels.set(doc.info.modelId, doc);
      yield doc.info;
    }
  }

  runModelLinks(info: RunInfo): Promise<ModelLinks> {
    return readModelLinks(this.client, this.ref.workspace, info.runId);
  }

  async openModel(info: LoggedModelInfo): Promise<SourceModel> {
    const doc = this.listedModels.get(info.modelId);
    if (!doc) throw new Error(`logged model ${info.modelId} was not listed`);
    return new MlflowSourceModel(this.client, this.ref.workspace, doc);
  }
}

/**
 * A run's listing entry holds its info (status, end time, name, lifecycle), params, tags and the
 * latest value of each metric: a digest of it changes whenever any of those does, so a re-run
 * compares a copy with its source only when the digest moved (engine/sync-run.ts).
 */
function listingStateToken(item: unknown, text: Buffer | string | undefined): string {
  // `text` is the run's JSON as the server sent it (its bytes digest the same as its text) or,
  // when the page did not give it, its JSON.stringify made once for the spool. int64 fields beyond 2^53 (a
  // metric's step) arrive as bigint, which JSON.stringify refuses: then the replacer, which costs
  // a call per value, writes them (digits and an `n`, as tokens always had them).
  const digested = text ?? JSON.stringify(item, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
  return hash('sha256', digested, 'base64url').slice(0, 22); // one-shot: a Hash object per run costs twice as much
}

export async function getRun(client: MlflowHttpClient, workspace: string, runId: string): Promise<RunDoc> {
  const doc = asRecord(await client.get(PATHS.runsGet, { run_id: runId }, 'runs/get', workspace));
  const run = parseRun(doc.run);
  if (run.info.runId === '') throw new NotFoundError(`run ${runId} not found on ${client.displayUri}`);
  return run;
}

export class MlflowSourceRun implements SourceRun {
  readonly info: RunInfo;
  /** Downloads are independent requests on the client's pool: a few at once overlap their waits. */
  readonly fileConcurrency = FILES_AT_ONCE;
  private readonly issues: ReadIssue[] = [];
  /** Sizes from the listing: small files are downloaded whole (retryable). */
  private readonly sizes = new Map<string, number>();

  constructor(
    private readonly client: MlflowHttpClient,
    private readonly workspace: string,
    private readonly doc: RunDoc,
    private readonly settings: SourceSettings,
    /** Histories read ahead in bulk for this run; a key not there is read per run. */
    private readonly readAheadHistories: Promise<Histories | undefined> = NOTHING_READ_AHEAD,
  ) {
    this.info = doc.info;
  }

  async params(): Promise<KeyValue[]> {
    return this.doc.params;
  }

  async tags(): Promise<KeyValue[]> {
    return this.doc.tags;
  }

  async inputs(): Promise<DatasetInput[]> {
    if (this.doc.inputs === undefined) {
      const doc = asRecord(await this.client.get(PATHS.runsGet, { run_id: this.info.runId }, 'runs/get', this.workspace));
      this.doc.inputs = parseInputs(asRecord(doc.run).inputs);
    }
    return this.doc.inputs;
  }

  async metricKeys(): Promise<string[]> {
    return this.doc.metricKeys;
  }

  /**
   * Every page of metrics/get-history as one batch. Always sends max_results (servers 3.4+ answer
   * nothing without it), follows tokens, stops on an empty page or a missing token, and tolerates
   * servers that answer the whole history at once (< 3.4).
   */
  async *metricHistory(key: string): AsyncIterable<MetricPoint[]> {
    const histories = await this.readAheadHistories;
    const ahead = histories?.get(key);
    if (ahead) {
      histories!.delete(key);
      const size = this.settings.historyPageSize;
      for (let i = 0; i < ahead.length; i += size) yield i === 0 && ahead.length <= size ? ahead : ahead.slice(i, i + size);
      return;
    }
    const tokens = new Set<string>();
    let pageToken: string | undefined;
    let read = 0;
    for (;;) {
      const text = await this.client.text({
        method: 'GET',
        path: PATHS.metricsHistory,
        query: {
          run_id: this.info.runId,
          metric_key: key,
          max_results: this.settings.historyPageSize,
          page_token: pageToken,
        },
        workspace: this.workspace,
        what: 'metrics/get-history',
      });
      const page = parseHistoryPage(text);
      read += page.points.length;
      if (page.points.length > 0) yield page.points;
      const next = page.nextPageToken;
      if (page.points.length === 0 || next === undefined) return;
      if (tokens.has(next)) {
        // The server would loop forever: stop here, and say the history may be incomplete.
        this.issues.push({
          field: `metrics/${key}`,
          reason: `the server repeated a history page token after ${read} points; reading stopped there, later points (if any) are not copied`,
        });
        return;
      }
      tokens.add(next);
      pageToken = next;
    }
  }

  async *files(): AsyncIterable<FileEntry> {
    const uri = this.info.artifactUri;
    const root = proxyRoot(uri);
    if (root === undefined && !isObjectStoreUri(uri)) {
      // A store neither the proxy nor this tool reads (gs://, hdfs:, a server-local path): the
      // server may still list it; every file it lists is lost, so the run fails.
      let count = 0;
      try {
        for await (const _entry of listArtifacts(this.client, this.info.runId, this.workspace, [])) count++;
      } catch {
        count = -1;
      }
      if (count !== 0) {
        const what = count > 0 ? `${count} file(s) not copied` : 'files not copied';
        this.issues.push({ field: 'files', reason: `${what}: ${directStoreReason(uri)}`, lost: true });
      }
      return;
    }
    const server = () => listArtifacts(this.client, this.info.runId, this.workspace, this.issues);
    const listing = root === undefined ? readFallbackOf(this.client).listing(uri!, () => listDirect(uri!, this.issues), server) : server();
    for await (const entry of listing) {
      this.sizes.set(entry.path, entry.size);
      yield entry;
    }
  }

  async openFile(path: string): Promise<Readable> {
    const unsafe = unsafePathReason(path);
    if (unsafe !== undefined) throw new Error(`refusing to read artifact '${path}': ${unsafe}`);
    const uri = this.info.artifactUri;
    const root = proxyRoot(uri);
    if (root !== undefined) return downloadArtifact(this.client, root, path, this.workspace, this.sizes.get(path));
    if (!isObjectStoreUri(uri)) throw new Error(`cannot read '${path}': ${directStoreReason(uri)}`);
    return readFallbackOf(this.client).open(uri!, () => readDirect(uri!, path), () => readRunFileThroughServer(this.client, this.info.runId, path, this.workspace));
  }

  readIssues(): ReadIssue[] {
    return [...this.issues];
  }

  modelLinks(): Promise<ModelLinks> {
    return readModelLinks(this.client, this.workspace, this.info.runId);
  }
}
