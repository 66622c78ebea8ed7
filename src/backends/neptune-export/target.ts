/**
 * Writing runs into an archive project through the contract. The archive's own completion
 * protocol is the engine's marker: a run is complete once `part_0.parquet` exists (renamed last by
 * finish). While a run is being written, `<S(run_id)>.runs-migrator.json` names its source, so a
 * crashed copy (only `.tmp` parts, or none yet) is listed as partial and can be discarded.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { CopyRecord, MetricBatch, RunEnd, RunInit, TargetProject, TargetRun } from '../contract.js';
import type { DatasetInput, KeyValue } from '../../model/run.js';
import type { ProjectRef } from '../../model/project-ref.js';
import { PROVENANCE, PROVENANCE_KEYS } from '../../model/provenance.js';
import { NotFoundError, UsageError } from '../../util/errors.js';
import { paramAtom, runEndAtoms, runInitAtoms, tagAtom } from './mapping.js';
import { listRunFiles, SIDECAR_SUFFIX, type RunFiles } from './parts.js';
import { RunPartWriter, type PartWriterOptions } from './part-writer.js';
import { readRunHead } from './run-head.js';
import { sanitizePathPart } from './sanitise.js';
import { archiveStep } from './steps.js';

export interface WriteContext {
  projectId: string;
  /** `<files-path>/<S(project_id)>`. */
  filesRoot: string;
  multiplier: bigint;
  partOptions: PartWriterOptions;
}

interface Sidecar {
  runId: string;
  sourceProject: string;
  sourceRunId: string;
}

export class ArchiveTargetProject implements TargetProject {
  readonly id: string;

  constructor(
    readonly ref: ProjectRef,
    private readonly dir: string,
    private readonly ctx: WriteContext,
  ) {
    this.id = ctx.projectId;
  }

  async *listCopies(): AsyncIterable<CopyRecord> {
    for (const run of await listRunFiles(this.dir)) {
      if (run.complete) {
        const head = await readRunHead(
          run.parts.map((part) => part.path),
          (path) => path === PROVENANCE.project || path === PROVENANCE.runId || path === 'sys/trashed',
        );
        const project = head.atoms.get(PROVENANCE.project);
        const source = head.atoms.get(PROVENANCE.runId);
        if (project?.type !== 'string' || source?.type !== 'string') continue; // not a copy
        const trashed = head.atoms.get('sys/trashed');
        yield {
          sourceProject: project.value,
          sourceRunId: source.value,
          targetRunId: head.runId,
          complete: true,
          deleted: trashed?.type === 'bool' && trashed.value,
        };
      } else if (run.sidecar) {
        const sidecar = await readSidecar(run.sidecar);
        if (!sidecar) continue;
        yield { sourceProject: sidecar.sourceProject, sourceRunId: sidecar.sourceRunId, targetRunId: sidecar.runId, complete: false, deleted: false };
      }
    }
  }

  async createRun(init: RunInit): Promise<TargetRun> {
    // MLflow-like 32-hex ids: new per copy, so two sources never collide in one project.
    const runId = randomUUID().replace(/-/g, '');
    const prefix = sanitizePathPart(runId);
    const sidecar: Sidecar = { runId, sourceProject: init.source.project, sourceRunId: init.source.runId };
    await writeFile(join(this.dir, prefix + SIDECAR_SUFFIX), JSON.stringify(sidecar) + '\n', { mode: 0o600 });
    const writer = new RunPartWriter(this.dir, prefix, this.ctx.projectId, runId, this.ctx.partOptions);
    for (const atom of runInitAtoms(runId, init)) writer.addAtom(atom);
    return new ArchiveTargetRun(runId, prefix, this.dir, writer, this.ctx, init.tags);
  }

  async discardRun(targetRunId: string): Promise<void> {
    const prefix = sanitizePathPart(targetRunId);
    const run = (await listRunFiles(this.dir)).find((candidate) => candidate.prefix === prefix);
    if (run) await removeRunFiles(run);
    await rm(join(this.ctx.filesRoot, prefix), { recursive: true, force: true });
    if (run?.sidecar) await unlink(run.sidecar).catch(() => undefined);
  }

  /** Marks a complete copy deleted by appending a part that sets sys/trashed (parts are immutable). */
  async deleteRun(targetRunId: string): Promise<void> {
    const prefix = sanitizePathPart(targetRunId);
    const run = (await listRunFiles(this.dir)).find((candidate) => candidate.prefix === prefix);
    if (!run?.complete) throw new NotFoundError(`no complete run ${targetRunId} in the archive project ${this.ctx.projectId}`);
    const next = Math.max(...run.parts.map((part) => part.index), ...run.tmpParts.map((part) => part.index)) + 1;
    const writer = new RunPartWriter(this.dir, prefix, this.ctx.projectId, targetRunId, this.ctx.partOptions, next);
    writer.addAtom({ path: 'sys/trashed', type: 'bool', value: true });
    await writer.finish();
  }
}

/** part_0 goes first, so an interrupted discard never leaves a run that looks complete. */
async function removeRunFiles(run: RunFiles): Promise<void> {
  const all = [...run.parts, ...run.tmpParts].sort((a, b) => a.index - b.index);
  for (const part of all) await unlink(part.path).catch(() => undefined);
}

async function readSidecar(path: string): Promise<Sidecar | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<Sidecar>;
    if (typeof parsed.runId === 'string' && typeof parsed.sourceProject === 'string' && typeof parsed.sourceRunId === 'string') {
      return { runId: parsed.runId, sourceProject: parsed.sourceProject, sourceRunId: parsed.sourceRunId };
    }
  } catch {
    // unreadable: not ours
  }
  return undefined;
}

export class ArchiveTargetRun implements TargetRun {
  private readonly inputs: DatasetInput[] = [];
  private finished = false;
  /** Provenance tags given at creation (old_sys/run_id, old_sys/project, ...). */
  private readonly provenance: Map<string, string>;

  constructor(
    readonly runId: string,
    private readonly prefix: string,
    private readonly dir: string,
    private readonly writer: RunPartWriter,
    private readonly ctx: WriteContext,
    initTags: KeyValue[],
  ) {
    this.provenance = new Map(initTags.filter((tag) => PROVENANCE_KEYS.has(tag.key)).map((tag) => [tag.key, tag.value]));
  }

  async logParams(params: KeyValue[]): Promise<void> {
    for (const param of params) this.writer.addAtom(paramAtom(param));
    this.writer.maybeFlush();
  }

  async setTags(tags: KeyValue[]): Promise<void> {
    for (const tag of tags) {
      // A source's own older provenance must not overwrite this copy's (atoms: last value wins,
      // and listCopies matches on it): it moves one level down, as the reader does on a clash.
      const own = this.provenance.get(tag.key);
      const moved = own !== undefined && own !== tag.value && tag.key.startsWith('old_sys/');
      this.writer.addAtom(tagAtom(moved ? { ...tag, key: `old_sys/${tag.key}` } : tag));
    }
    this.writer.maybeFlush();
  }

  async logMetrics(batches: MetricBatch[]): Promise<void> {
    const multiplier = this.ctx.multiplier;
    for (const { key, points } of batches) {
      for (const point of points) {
        const unscaled = archiveStep(point.step, multiplier);
        const exact = unscaled === undefined ? BigInt(point.step) : null;
        this.writer.addPoint(key, unscaled ?? null, exact, point.timestamp, point.value);
      }
      this.writer.maybeFlush();
    }
  }

  async logInputs(inputs: DatasetInput[]): Promise<void> {
    // Kept until finish: they are written as one JSON atom (runs_migrator/inputs).
    this.inputs.push(...inputs);
  }

  async writeFile(path: string, data: Readable, size: number): Promise<void> {
    const root = resolve(this.ctx.filesRoot, this.prefix);
    const dest = resolve(root, checkedPath(path));
    if (!dest.startsWith(root + sep)) throw new UsageError(`artifact path "${path}" leaves the run's files directory`);
    await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    await pipeline(data, counter, createWriteStream(dest, { mode: 0o600 }));
    if (bytes !== size) {
      await unlink(dest).catch(() => undefined);
      throw new Error(`artifact "${path}": expected ${size} bytes, the stream held ${bytes}`);
    }
    this.writer.addFile(path, `${this.prefix}/${path}`);
    this.writer.maybeFlush();
  }

  async finish(end: RunEnd): Promise<void> {
    if (this.finished) return;
    for (const atom of runEndAtoms(end, this.inputs)) this.writer.addAtom(atom);
    await this.writer.finish();
    this.finished = true;
    await unlink(join(this.dir, this.prefix + SIDECAR_SUFFIX)).catch(() => undefined);
  }
}

/** A relative POSIX path without empty, `.` or `..` segments. */
function checkedPath(path: string): string {
  const segments = path.split('/');
  if (path.startsWith('/') || path.includes('\0') || path.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new UsageError(`artifact path "${path}" is not a plain relative path`);
  }
  return segments.join(sep);
}
