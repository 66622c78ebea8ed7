/**
 * A complete run of MLflow's database reopened for a sync (engine/sync-run.ts): the writes of a
 * new run (target-run.ts), each committed before the call returns - the engine appends one batch
 * at a time and relies on each being stored before the next (docs/sync.md) - plus what only a
 * sync does: delete a tag, update name / status / end time, restore a deleted run.
 */
import type { Readable } from 'node:stream';
import type { CopyEditor, MetricBatch, RunEnd } from '../contract.js';
import type { DatasetInput, KeyValue, RunStatus } from '../../model/run.js';
import { RUN_NAME_TAG, SqlTargetRun, upsertTags } from './target-run.js';
import { deleteArtifact } from '../mlruns/artifacts.js';

export class SqlCopyEditor extends SqlTargetRun implements CopyEditor {
  override async logParams(params: KeyValue[]): Promise<void> {
    await super.logParams(params);
    await this.flush();
  }

  override async setTags(tags: KeyValue[]): Promise<void> {
    await super.setTags(tags);
    await this.flush();
  }

  override async logMetrics(batches: MetricBatch[]): Promise<void> {
    await super.logMetrics(batches);
    await this.flush();
  }

  override async logInputs(inputs: DatasetInput[]): Promise<void> {
    await super.logInputs(inputs);
    await this.flush();
  }

  override async writeFile(path: string, data: Readable, size: number): Promise<void> {
    await super.writeFile(path, data, size);
  }

  override async finish(_end: RunEnd): Promise<void> {
    throw new Error(`run ${this.runId} is a complete copy: it is updated, not finished again`);
  }

  /** Local artifact folders only; an object store keeps the file (reported by the sync). */
  async deleteFile(path: string): Promise<void> {
    const destination = this.context.artifacts;
    if (destination.kind !== 'local') throw new Error(`the copy's files are not in a local folder (${destination.kind === 'object-store' ? destination.uri : destination.reason}); runs-migrator deletes local files only`);
    await deleteArtifact(destination.root, path);
  }

  async deleteTags(keys: string[]): Promise<void> {
    await this.context.driver.transaction(async (tx) => {
      for (const key of keys) await tx.run('DELETE FROM tags WHERE run_uuid = ? AND key = ?', [this.runId, key]);
    });
  }

  async updateInfo(info: { name?: string; status: RunStatus; endTime?: number }): Promise<void> {
    const { bind } = this.context;
    await this.context.driver.transaction(async (tx) => {
      await tx.run('UPDATE runs SET status = ?, end_time = ? WHERE run_uuid = ?', [
        info.status,
        info.endTime === undefined ? null : bind.int(info.endTime),
        this.runId,
      ]);
      // As update_run_info: a new name is the run's name and its mlflow.runName tag.
      if (info.name !== undefined && info.name !== '') await upsertTags(tx, this.runId, [{ key: RUN_NAME_TAG, value: info.name }]);
    });
  }

  async restore(): Promise<void> {
    await this.context.driver.transaction((tx) =>
      tx.run("UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE run_uuid = ?", [this.runId]),
    );
  }
}
