/**
 * A complete run of an mlruns store reopened for a sync (engine/sync-run.ts). Unlike a new run,
 * which is built in staging and renamed in at the end, a copy is edited where it is, the way
 * MLflow's FileStore edits a run: one file per param and tag, metric files appended to, meta.yaml
 * replaced atomically for name, status, end time and lifecycle.
 *
 * Metric appends must stay exactly-once through a kill -9 (docs/sync.md): a killed append can
 * leave a torn last line, which the engine would neither count nor rewrite. So before the first
 * append to a metric file, a last line without its newline is cut off; the points it held are
 * then appended again, once, because the engine appends what the copy's history lacks.
 */
import { open, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { CopyEditor, MetricBatch, RunEnd } from '../contract.js';
import type { DatasetInput, KeyValue, RunStatus } from '../../model/run.js';
import { UsageError } from '../../util/errors.js';
import { deleteArtifact, writeArtifact } from './artifacts.js';
import { isErrorCode, writeFileAtomic } from './fs-util.js';
import { writeRunInputs } from './inputs.js';
import { writeKeyValue } from './key-value-dir.js';
import { keyPath, META_FILE, METRICS_DIR, PARAMS_DIR, TAGS_DIR } from './layout.js';
import { formatRunMeta, type RunMeta } from './meta-files.js';
import { MetricAppender } from './metric-file.js';
import { readRunFolder, RUN_NAME_TAG } from './run-files.js';
import type { ArtifactDestination } from './target-run.js';

export interface CopyPlaces {
  runDir: string;
  experimentDir: string;
  scratchDir: string;
  artifacts: ArtifactDestination;
}

export class MlrunsCopyEditor implements CopyEditor {
  private readonly metrics = new MetricAppender();
  private readonly checked = new Set<string>();

  constructor(
    readonly runId: string,
    private readonly places: CopyPlaces,
  ) {}

  async logParams(params: KeyValue[]): Promise<void> {
    for (const param of params) await writeKeyValue(join(this.places.runDir, PARAMS_DIR), param.key, param.value);
  }

  async setTags(tags: KeyValue[]): Promise<void> {
    for (const tag of tags) await writeKeyValue(join(this.places.runDir, TAGS_DIR), tag.key, tag.value);
  }

  async deleteTags(keys: string[]): Promise<void> {
    for (const key of keys) await rm(keyPath(join(this.places.runDir, TAGS_DIR), key), { force: true });
  }

  async logMetrics(batches: MetricBatch[]): Promise<void> {
    for (const batch of batches) {
      const path = keyPath(join(this.places.runDir, METRICS_DIR), batch.key);
      if (!this.checked.has(path)) {
        await cutTornLastLine(path);
        this.checked.add(path);
      }
      await this.metrics.append(path, batch.points);
    }
  }

  async logInputs(inputs: DatasetInput[]): Promise<void> {
    await writeRunInputs(this.places.experimentDir, this.places.runDir, this.runId, inputs, this.places.scratchDir);
  }

  async writeFile(path: string, data: Readable, size: number): Promise<void> {
    const destination = this.places.artifacts;
    if (destination.kind === 'remote') {
      data.destroy();
      throw new UsageError(`the target experiment keeps artifacts at ${destination.uri}, which is not a local path; mlruns writes local artifacts only`);
    }
    await writeArtifact(destination.dir, path, data, size);
  }

  async deleteFile(path: string): Promise<void> {
    const destination = this.places.artifacts;
    if (destination.kind === 'remote') throw new UsageError(`the copy's artifacts are at ${destination.uri}, which is not a local path; mlruns deletes local artifacts only`);
    await deleteArtifact(destination.dir, path);
  }

  async updateInfo(info: { name?: string; status: RunStatus; endTime?: number }): Promise<void> {
    await this.editMeta((meta) => {
      if (info.name !== undefined && info.name !== '') meta.runName = info.name;
      meta.status = info.status;
      meta.endTime = info.endTime ?? null;
    });
    // FileStore keeps run_name and the mlflow.runName tag in step.
    if (info.name !== undefined && info.name !== '') await this.setTags([{ key: RUN_NAME_TAG, value: info.name }]);
  }

  async restore(): Promise<void> {
    await this.editMeta((meta) => {
      meta.lifecycleStage = 'active';
      meta.deletedTime = null;
    });
  }

  async finish(_end: RunEnd): Promise<void> {
    throw new Error(`run ${this.runId} is a complete copy: it is updated, not finished again`);
  }

  private async editMeta(edit: (meta: RunMeta) => void): Promise<void> {
    const run = await readRunFolder(this.places.runDir);
    if (!run) throw new Error(`run ${this.runId}: its meta.yaml is missing or unreadable`);
    const meta = { ...run.meta };
    edit(meta);
    await writeFileAtomic(join(this.places.runDir, META_FILE), formatRunMeta(meta));
  }
}

/** Cuts a last line that lacks its newline (a torn append); lines are short, so 4 KiB from the end holds the last newline. */
async function cutTornLastLine(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return;
    throw error;
  }
  let keep: number | undefined;
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const length = Math.min(size, 4096);
    const tail = Buffer.alloc(length);
    await handle.read(tail, 0, length, size - length);
    if (tail[length - 1] === 0x0a) return;
    const newline = tail.lastIndexOf(0x0a);
    if (newline < 0 && size > length) throw new Error(`metric file ${path}: no line end in its last ${length} bytes`);
    keep = newline < 0 ? 0 : size - length + newline + 1;
  } finally {
    await handle.close();
  }
  await truncate(path, keep);
}
