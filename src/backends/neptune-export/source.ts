/**
 * Reading an archive project through the contract. Listing reads only each run's atoms
 * (run-head.ts); opening a run costs one streaming pass over its parts (run-scan.ts), done lazily
 * on first use and shared by every accessor.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadIssue, RunQuery, SourceProject, SourceRun } from '../contract.js';
import type { DatasetInput, FileEntry, KeyValue, MetricPoint, ProjectMeta, RunInfo } from '../../model/run.js';
import type { ProjectRef } from '../../model/project-ref.js';
import { NotFoundError } from '../../util/errors.js';
import { isRunInfoPath, mapNeptuneRun } from './mapping.js';
import { listRunFiles } from './parts.js';
import { readRunHead } from './run-head.js';
import { scanRun, type ScannedRun } from './run-scan.js';
import type { RunFile } from './run-files.js';
import type { TempSpace } from './temp-space.js';

/** Points per metricHistory batch. */
const HISTORY_BATCH = 10_000;

export interface ReadContext {
  /** `<files-path>/<S(project_id)>`. */
  filesRoot: string;
  multiplier: bigint;
  temp: TempSpace;
}

export class ArchiveSourceProject implements SourceProject {
  /** run id -> its part files, filled by listing. */
  private readonly partsByRun = new Map<string, string[]>();

  constructor(
    readonly ref: ProjectRef,
    readonly meta: ProjectMeta,
    private readonly dir: string,
    private readonly ctx: ReadContext,
  ) {}

  async *listRuns(query: RunQuery): AsyncIterable<RunInfo> {
    for (const run of await listRunFiles(this.dir)) {
      // Only complete runs (part_0 present) exist for readers; .tmp parts are ignored.
      if (!run.complete) continue;
      const parts = run.parts.map((part) => part.path);
      const head = await readRunHead(parts, isRunInfoPath);
      const { info } = mapNeptuneRun(head.runId, head.atoms.values());
      this.partsByRun.set(info.runId, parts);
      if (info.deleted && !query.includeDeleted) continue;
      yield info;
    }
  }

  async openRun(info: RunInfo): Promise<SourceRun> {
    let parts = this.partsByRun.get(info.runId);
    if (!parts) {
      for await (const listed of this.listRuns({ includeDeleted: true })) void listed;
      parts = this.partsByRun.get(info.runId);
    }
    if (!parts) throw new NotFoundError(`run ${info.runId} is not in project ${this.ref.workspace}/${this.ref.project} of the archive`);
    return new ArchiveSourceRun(info, parts, this.ctx);
  }
}

export class ArchiveSourceRun implements SourceRun {
  private scanned?: Promise<ScannedRun>;
  private done?: ScannedRun;
  private fileIndex?: Map<string, RunFile>;

  constructor(
    readonly info: RunInfo,
    private readonly parts: string[],
    private readonly ctx: ReadContext,
  ) {}

  private scan(): Promise<ScannedRun> {
    this.scanned ??= scanRun({
      runId: this.info.runId,
      parts: this.parts,
      multiplier: this.ctx.multiplier,
      filesRoot: this.ctx.filesRoot,
      spillDir: this.ctx.temp.path(),
      spillName: this.ctx.temp.nextName(),
    }).then((result) => {
      this.ctx.temp.track(result.spill, this);
      this.done = result;
      return result;
    });
    return this.scanned;
  }

  async params(): Promise<KeyValue[]> {
    return (await this.scan()).mapped.params;
  }

  async tags(): Promise<KeyValue[]> {
    return (await this.scan()).mapped.tags;
  }

  async inputs(): Promise<DatasetInput[]> {
    return (await this.scan()).mapped.inputs;
  }

  async metricKeys(): Promise<string[]> {
    return (await this.scan()).metricKeys;
  }

  async *metricHistory(key: string): AsyncIterable<MetricPoint[]> {
    const run = await this.scan();
    const channel = run.metricChannels.get(key);
    if (channel === undefined) return;
    yield* run.spill.points(channel, HISTORY_BATCH);
  }

  async *files(): AsyncIterable<FileEntry> {
    for (const file of (await this.scan()).files) yield { path: file.path, size: file.size };
  }

  /** Paths are looked up, never resolved on disk: a path that escapes cannot match. */
  async openFile(path: string): Promise<Readable> {
    const run = await this.scan();
    this.fileIndex ??= new Map(run.files.map((file) => [file.path, file]));
    const file = this.fileIndex.get(path);
    if (!file) throw new NotFoundError(`run ${this.info.runId} has no file "${path}"`);
    if (file.source.kind === 'disk') return createReadStream(file.source.abs);
    return Readable.from(this.generated(run, file.source.channel), { objectMode: false });
  }

  // A method, so the stream keeps this run (and with it the spill) alive while it is read.
  private async *generated(run: ScannedRun, channel: number): AsyncIterable<Uint8Array> {
    yield* run.spill.bytes(channel);
  }

  readIssues(): ReadIssue[] {
    return this.done?.issues ?? [];
  }

  /** The engine is done with the run: close its spill now rather than at garbage collection. */
  async close(): Promise<void> {
    if (this.done) this.ctx.temp.release(this.done.spill);
  }
}
