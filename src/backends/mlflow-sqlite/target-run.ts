/**
 * One run being written into MLflow's tables, as SqlAlchemyStore writes it: params (a key once),
 * tags (set_tag replaces; mlflow.runName also renames the run), metrics (metric-rows.ts),
 * dataset inputs (run-inputs-writer.ts) and files (artifact-target.ts).
 *
 * The run row and its provenance tags were committed by createRun (target-project.ts). After
 * that, writes are gathered and committed in short transactions of about FLUSH_ROWS rows: a small
 * run's params, tags, metrics, end and marker go in with one commit, a long history in commits
 * of one metric batch; the completion marker is always in the last. A crash loses only what was
 * not committed, and the run is then a partial copy (no marker), which the next pass discards.
 */
import type { Readable } from 'node:stream';
import type { MetricBatch, ReadIssue, RunEnd, TargetRun } from '../contract.js';
import type { DatasetInput, KeyValue } from '../../model/run.js';
import { UsageError } from '../../util/errors.js';
import { writeArtifact } from '../mlruns/artifacts.js';
import { writeToObjectStore } from '../object-store/write.js';
import type { ArtifactLocation } from './artifact-location.js';
import { insertMetricBatches, type Binding } from './metric-rows.js';
import { writeRunInputs } from './run-inputs-writer.js';
import type { SchemaFeatures } from './schema-shape.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

export const RUN_NAME_TAG = 'mlflow.runName';
/** Rows gathered before a commit: a short transaction, few commits. */
export const FLUSH_ROWS = 5_000;

export interface RunWriteContext {
  driver: SqlDriver;
  features: SchemaFeatures;
  bind: Binding;
  experimentId: string;
  artifacts: ArtifactLocation;
  now: () => number;
}

const PARAM_SQL = 'INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?) ON CONFLICT DO NOTHING';
const TAG_SQL = 'INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?) ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value';

/** Tags as set_tag writes them; the run name follows mlflow.runName. */
export async function upsertTags(tx: SqlExecutor, runId: string, tags: KeyValue[]): Promise<void> {
  for (const tag of tags) {
    await tx.run(TAG_SQL, [tag.key, tag.value, runId]);
    if (tag.key === RUN_NAME_TAG) await tx.run('UPDATE runs SET name = ? WHERE run_uuid = ?', [tag.value, runId]);
  }
}

type Write = (tx: SqlExecutor) => Promise<void>;

export class SqlTargetRun implements TargetRun {
  private finished = false;
  private readonly duplicates = new Map<string, number>();
  private pending: Write[] = [];
  private pendingRows = 0;

  constructor(
    readonly runId: string,
    protected readonly context: RunWriteContext,
  ) {}

  async logParams(params: KeyValue[]): Promise<void> {
    await this.add(params.length, async (tx) => {
      for (const param of params) await tx.run(PARAM_SQL, [param.key, param.value, this.runId]);
    });
  }

  async setTags(tags: KeyValue[]): Promise<void> {
    await this.add(tags.length, (tx) => upsertTags(tx, this.runId, tags));
  }

  async logMetrics(batches: MetricBatch[]): Promise<void> {
    const rows = batches.reduce((sum, batch) => sum + batch.points.length, 0);
    await this.add(rows, async (tx) => {
      const added = await insertMetricBatches(tx, this.runId, batches, this.context.bind);
      batches.forEach((batch, index) => {
        const dropped = batch.points.length - (added[index] ?? 0);
        if (dropped > 0) this.duplicates.set(batch.key, (this.duplicates.get(batch.key) ?? 0) + dropped);
      });
    });
  }

  /** Points MLflow's schema keeps once (an exact duplicate of a stored point), per key. */
  writeIssues(): ReadIssue[] {
    return [...this.duplicates].map(([key, count]) => ({
      field: `metrics/${key}`,
      reason: `${count} point(s) repeat a point already stored (same timestamp, step and value); MLflow's database keeps such a point once`,
    }));
  }

  async logInputs(inputs: DatasetInput[]): Promise<void> {
    if (!this.context.features.datasets) {
      throw new UsageError(`${this.context.driver.label} predates MLflow 2.4 and has no dataset tables; dataset inputs cannot be written there`);
    }
    await this.add(inputs.length, (tx) => writeRunInputs(tx, this.context, this.runId, inputs));
  }

  async writeFile(path: string, data: Readable, size: number): Promise<void> {
    this.checkOpen();
    const destination = this.context.artifacts;
    if (destination.kind === 'object-store') {
      await this.flush();
      await writeToObjectStore(destination.uri, path, data, size);
      return;
    }
    if (destination.kind !== 'local') {
      data.destroy();
      throw new UsageError(destination.reason);
    }
    await this.flush();
    await writeArtifact(destination.root, path, data, size);
  }

  async finish(end: RunEnd): Promise<void> {
    const { bind } = this.context;
    this.checkOpen();
    this.pending.push(async (tx) => {
      await tx.run('UPDATE runs SET status = ?, end_time = ?, lifecycle_stage = ?, deleted_time = ? WHERE run_uuid = ?', [
        end.status,
        end.endTime === undefined ? null : bind.int(end.endTime),
        end.deleted ? 'deleted' : 'active',
        end.deleted ? bind.int(this.context.now()) : null,
        this.runId,
      ]);
      // The marker goes in the last commit, after everything else of the run.
      await upsertTags(tx, this.runId, [end.marker]);
    });
    await this.flush();
    this.finished = true;
  }

  private async add(rows: number, write: Write): Promise<void> {
    this.checkOpen();
    this.pending.push(write);
    this.pendingRows += rows;
    if (this.pendingRows >= FLUSH_ROWS) await this.flush();
  }

  protected async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const writes = this.pending;
    this.pending = [];
    this.pendingRows = 0;
    await this.context.driver.transaction(async (tx) => {
      for (const write of writes) await write(tx);
    });
  }

  private checkOpen(): void {
    if (this.finished) throw new Error(`run ${this.runId} is finished; it takes no more writes`);
  }
}
