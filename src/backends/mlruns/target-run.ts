/**
 * One run being written into the staging folder of an mlruns store (see target.ts). Everything
 * goes into the staging copy; finish() writes the final meta.yaml and the completion marker, then
 * renames the run into its experiment, the one step that makes it visible to MLflow.
 */
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { MetricBatch, RunEnd, TargetRun } from '../contract.js';
import type { DatasetInput, KeyValue } from '../../model/run.js';
import { UsageError } from '../../util/errors.js';
import { writeArtifact } from './artifacts.js';
import { writePrivateFile } from './fs-util.js';
import { writeRunInputs } from './inputs.js';
import { writeKeyValue } from './key-value-dir.js';
import { ARTIFACTS_DIR, keyPath, META_FILE, METRICS_DIR, PARAMS_DIR, TAGS_DIR } from './layout.js';
import { formatRunMeta, type RunMeta } from './meta-files.js';
import { METRIC_FILE_FORMAT, MetricAppender, writeMetricFile } from './metric-file.js';
import { RUN_NAME_TAG } from './run-files.js';
import { childUri, isObjectStoreUri } from '../object-store/location.js';
import { writeToObjectStore } from '../object-store/write.js';

/** Where a run's files go: a local folder, or the remote location mlruns cannot write. */
export type ArtifactDestination = { kind: 'local'; dir: string } | { kind: 'remote'; uri: string };

export interface RunPlaces {
  stagingDir: string;
  finalDir: string;
  experimentDir: string;
  /** Private scratch space on the same file system (for shared datasets). */
  scratchDir: string;
  artifacts: ArtifactDestination;
}

export class MlrunsTargetRun implements TargetRun {
  private readonly metrics = new MetricAppender();
  private finished = false;

  constructor(
    private readonly meta: RunMeta,
    private readonly places: RunPlaces,
    private readonly now: () => number,
  ) {}

  private get stagingDir(): string {
    return this.places.stagingDir;
  }

  get runId(): string {
    return this.meta.runId;
  }

  async logParams(params: KeyValue[]): Promise<void> {
    this.checkOpen();
    for (const param of params) await writeKeyValue(join(this.stagingDir, PARAMS_DIR), param.key, param.value);
  }

  async setTags(tags: KeyValue[]): Promise<void> {
    this.checkOpen();
    for (const tag of tags) {
      await writeKeyValue(join(this.stagingDir, TAGS_DIR), tag.key, tag.value);
      // FileStore keeps run_name and the mlflow.runName tag in step (`set_tag`).
      if (tag.key === RUN_NAME_TAG) this.meta.runName = tag.value;
    }
  }

  async logMetrics(batches: MetricBatch[]): Promise<void> {
    this.checkOpen();
    for (const batch of batches) {
      await this.metrics.append(keyPath(join(this.stagingDir, METRICS_DIR), batch.key), batch.points);
    }
  }

  readonly rawMetricFormat = METRIC_FILE_FORMAT;

  /** A metric file from another mlruns store, streamed as it is (its lines are already MLflow's). */
  async writeRawMetricHistory(key: string, data: Readable, onPoints: (count: number) => void): Promise<number> {
    this.checkOpen();
    return writeMetricFile(keyPath(join(this.stagingDir, METRICS_DIR), key), data, onPoints);
  }

  async logInputs(inputs: DatasetInput[]): Promise<void> {
    this.checkOpen();
    await writeRunInputs(this.places.experimentDir, this.stagingDir, this.runId, inputs, this.places.scratchDir);
  }

  async writeFile(path: string, data: Readable, size: number): Promise<void> {
    this.checkOpen();
    const destination = this.places.artifacts;
    if (destination.kind === 'remote' && isObjectStoreUri(destination.uri)) {
      // An experiment whose artifact_location is s3:// / wasbs:// / abfss://: <location>/<run>/artifacts there.
      await writeToObjectStore(childUri(destination.uri, this.runId, ARTIFACTS_DIR), path, data, size);
      return;
    }
    if (destination.kind === 'remote') {
      data.destroy();
      throw new UsageError(
        `the target experiment keeps artifacts at ${destination.uri}, which is not a local path; mlruns writes local artifacts only`,
      );
    }
    await writeArtifact(destination.dir, path, data, size);
  }

  async finish(end: RunEnd): Promise<void> {
    this.checkOpen();
    this.meta.status = end.status;
    this.meta.endTime = end.endTime ?? null;
    if (end.deleted) {
      this.meta.lifecycleStage = 'deleted';
      this.meta.deletedTime = this.now();
    } else {
      // After update_run_info FileStore writes meta.yaml without deleted_time.
      delete this.meta.deletedTime;
    }
    await writePrivateFile(join(this.stagingDir, META_FILE), formatRunMeta(this.meta));
    await writeKeyValue(join(this.stagingDir, TAGS_DIR), end.marker.key, end.marker.value);
    // The one step that makes the run visible, complete, with its marker.
    await rename(this.stagingDir, this.places.finalDir);
    this.finished = true;
  }

  private checkOpen(): void {
    if (this.finished) throw new Error(`run ${this.runId} is finished; it takes no more writes`);
  }
}
