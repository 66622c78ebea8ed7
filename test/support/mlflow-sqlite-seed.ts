/**
 * Writes runs into an MLflow SQLite database the way MLflow's SqlAlchemyStore does, for the
 * mlflow-sqlite reader's tests, independently of the backend's own writer:
 * - metric points as in _get_metric_value_details: NaN -> value 0 + is_nan 1, +-Infinity ->
 *   +-1.7976931348623157e308; exact duplicates ignored (the primary key covers every column);
 *   latest_metrics kept as MLflow keeps it (greatest (step, timestamp, value) wins);
 * - inputs as in log_inputs: one datasets row per (experiment, name, digest), an inputs edge
 *   DATASET -> RUN, its tags in input_tags;
 * - run names in both runs.name and the mlflow.runName tag, the user in mlflow.user.
 * Also `seedTarget`: a TargetProject-like writer over this, for the conformance suite.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import type { MetricBatch, RunEnd, RunInit, TargetProject, TargetRun } from '../../src/backends/contract.js';
import type { DatasetInput, KeyValue, MetricPoint, ProjectMeta, RunStatus } from '../../src/model/run.js';
import type { ProjectRef } from '../../src/model/project-ref.js';

const DOUBLE_MAX = 1.7976931348623157e308;

export interface ExperimentSeed {
  name: string;
  workspace?: string;
  artifactLocation?: string;
  lifecycleStage?: 'active' | 'deleted';
  creationTime?: number;
  tags?: KeyValue[];
}

export interface RunSeed {
  experimentId: number;
  runId?: string;
  /** runs.name; null leaves it NULL (runs from before MLflow 1.29 had the name in a tag only). */
  name?: string | null;
  user?: string;
  /** Defaults to RUNNING, as create_run does; a raw string writes an invalid status. */
  status?: RunStatus | null;
  startTime?: number;
  endTime?: number;
  lifecycleStage?: 'active' | 'deleted';
  /** Defaults to mlflow-artifacts:/<experiment>/<run>/artifacts (a server proxying artifacts). */
  artifactUri?: string | null;
}

export class MlflowSqliteSeeder {
  readonly db: Database.Database;
  private readonly hasWorkspaces: boolean;

  constructor(readonly dbPath: string) {
    this.db = new Database(dbPath);
    this.db.defaultSafeIntegers(true);
    this.hasWorkspaces = this.db
      .prepare<[], { name: string }>('PRAGMA table_info(experiments)')
      .all()
      .some((column) => column.name === 'workspace');
  }

  experiment(seed: ExperimentSeed): number {
    const columns = ['name', 'artifact_location', 'lifecycle_stage', 'creation_time', 'last_update_time'];
    const values: unknown[] = [seed.name, seed.artifactLocation ?? null, seed.lifecycleStage ?? 'active', seed.creationTime ?? 1_700_000_000_000, seed.creationTime ?? 1_700_000_000_000];
    if (this.hasWorkspaces) {
      columns.push('workspace');
      values.push(seed.workspace ?? 'default');
      this.db.prepare('INSERT OR IGNORE INTO workspaces (name) VALUES (?)').run(seed.workspace ?? 'default');
    } else if (seed.workspace && seed.workspace !== 'default') {
      throw new Error('this schema has no workspaces');
    }
    const result = this.db.prepare(`INSERT INTO experiments (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).run(...values);
    const id = Number(result.lastInsertRowid);
    if (seed.artifactLocation === undefined) {
      this.db.prepare('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?').run(`mlflow-artifacts:/${id}`, id);
    }
    for (const tag of seed.tags ?? []) {
      this.db.prepare('INSERT OR REPLACE INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, ?)').run(tag.key, tag.value, id);
    }
    return id;
  }

  run(seed: RunSeed): string {
    const runId = seed.runId ?? randomUUID().replaceAll('-', '');
    const artifactUri = seed.artifactUri === undefined ? `mlflow-artifacts:/${seed.experimentId}/${runId}/artifacts` : seed.artifactUri;
    const name = seed.name === undefined ? `run-${runId.slice(0, 6)}` : seed.name;
    this.db
      .prepare(
        `INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time,
           source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time)
         VALUES (?, ?, 'UNKNOWN', '', '', ?, ?, ?, ?, '', ?, ?, ?, ?)`,
      )
      .run(
        runId,
        name,
        seed.user ?? null,
        seed.status === undefined ? 'RUNNING' : seed.status,
        seed.startTime ?? 1_700_000_000_000,
        seed.endTime ?? null,
        seed.lifecycleStage ?? 'active',
        artifactUri,
        seed.experimentId,
        seed.lifecycleStage === 'deleted' ? (seed.endTime ?? 1_700_000_000_000) : null,
      );
    const tags: KeyValue[] = [];
    if (name) tags.push({ key: 'mlflow.runName', value: name });
    if (seed.user) tags.push({ key: 'mlflow.user', value: seed.user });
    this.tags(runId, tags);
    return runId;
  }

  params(runId: string, params: KeyValue[]): void {
    const insert = this.db.prepare('INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)');
    this.db.transaction(() => params.forEach((param) => insert.run(param.key, param.value, runId)))();
  }

  /** Tags as set_tag writes them (a later value replaces an earlier one); null writes a NULL value. */
  tags(runId: string, tags: Array<{ key: string; value: string | null }>): void {
    const upsert = this.db.prepare('INSERT OR REPLACE INTO tags (key, value, run_uuid) VALUES (?, ?, ?)');
    this.db.transaction(() => tags.forEach((tag) => upsert.run(tag.key, tag.value, runId)))();
  }

  metrics(runId: string, key: string, points: MetricPoint[]): void {
    const insert = this.db.prepare('INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const point of points) {
        const [value, isNan] = mlflowValue(point.value);
        insert.run(key, value, point.timestamp, runId, BigInt(point.step), isNan ? 1 : 0);
      }
      this.updateLatest(runId, key);
    })();
  }

  inputs(runId: string, experimentId: number, inputs: DatasetInput[], step = 0): void {
    this.db.transaction(() => {
      for (const input of inputs) {
        const { dataset } = input;
        let datasetUuid = this.db
          .prepare<unknown[], { dataset_uuid: string }>('SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?')
          .get(experimentId, dataset.name, dataset.digest)?.dataset_uuid;
        if (!datasetUuid) {
          datasetUuid = randomUUID().replaceAll('-', '');
          this.db
            .prepare('INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
            .run(datasetUuid, experimentId, dataset.name, dataset.digest, dataset.sourceType, dataset.source, dataset.schema ?? null, dataset.profile ?? null);
        }
        const inputUuid = randomUUID().replaceAll('-', '');
        this.insertInput(inputUuid, 'DATASET', datasetUuid, 'RUN', runId, step);
        for (const tag of input.tags) {
          this.db.prepare('INSERT INTO input_tags (input_uuid, name, value) VALUES (?, ?, ?)').run(inputUuid, tag.key, tag.value);
        }
      }
    })();
  }

  /** An MLflow 3 logged-model output link (log_outputs), which the canonical run does not carry. */
  modelOutput(runId: string, modelId: string, step = 0): void {
    this.insertInput(randomUUID().replaceAll('-', ''), 'RUN_OUTPUT', runId, 'MODEL_OUTPUT', modelId, step);
  }

  finish(runId: string, status: RunStatus, endTime: number, deleted = false): void {
    this.db
      .prepare('UPDATE runs SET status = ?, end_time = ?, lifecycle_stage = ?, deleted_time = ? WHERE run_uuid = ?')
      .run(status, endTime, deleted ? 'deleted' : 'active', deleted ? endTime : null, runId);
  }

  close(): void {
    this.db.close();
  }

  private insertInput(inputUuid: string, sourceType: string, sourceId: string, destinationType: string, destinationId: string, step: number): void {
    const hasStep = this.db.prepare<[], { name: string }>('PRAGMA table_info(inputs)').all().some((column) => column.name === 'step');
    if (hasStep) {
      this.db.prepare('INSERT INTO inputs VALUES (?, ?, ?, ?, ?, ?)').run(inputUuid, sourceType, sourceId, destinationType, destinationId, step);
    } else {
      this.db.prepare('INSERT INTO inputs VALUES (?, ?, ?, ?, ?)').run(inputUuid, sourceType, sourceId, destinationType, destinationId);
    }
  }

  /** latest_metrics holds the point with the greatest (step, timestamp, value), as MLflow keeps it. */
  private updateLatest(runId: string, key: string): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid)
         SELECT key, value, timestamp, step, is_nan, run_uuid FROM metrics WHERE run_uuid = ? AND key = ?
         ORDER BY step DESC, timestamp DESC, value DESC LIMIT 1`,
      )
      .run(runId, key);
  }
}

/** MLflow's SQL encoding of a metric value: [stored value, is_nan]. */
export function mlflowValue(value: number): [number, boolean] {
  if (Number.isNaN(value)) return [0, true];
  if (value === Number.POSITIVE_INFINITY) return [DOUBLE_MAX, false];
  if (value === Number.NEGATIVE_INFINITY) return [-DOUBLE_MAX, false];
  return [value, false];
}

/**
 * A TargetProject-like writer for the conformance suite: runs go into the database, files into
 * `<mlartifacts>/<experiment>/<run>/artifacts`, the layout of an MLflow server proxying artifacts
 * into its default `./mlartifacts` beside the database.
 */
export function seedTarget(seeder: MlflowSqliteSeeder, ref: ProjectRef, meta: ProjectMeta): TargetProject {
  const existing = seeder.db
    .prepare<unknown[], { experiment_id: bigint }>('SELECT experiment_id FROM experiments WHERE name = ? AND workspace = ?')
    .get(ref.project, ref.workspace);
  const tags = [...meta.tags, ...(meta.description ? [{ key: 'mlflow.note.content', value: meta.description }] : [])];
  const experimentId = existing ? Number(existing.experiment_id) : seeder.experiment({ name: ref.project, workspace: ref.workspace, tags });
  const mlartifacts = path.join(path.dirname(seeder.dbPath), 'mlartifacts');

  const refuse = (what: string) => () => {
    throw new Error(`the mlflow-sqlite test seeder does not ${what}: it only seeds the reader's tests`);
  };
  return {
    ref,
    id: String(experimentId),
    listCopies: refuse('list copies'),
    discardRun: refuse('discard runs'),
    deleteRun: refuse('delete runs'),
    async createRun(init: RunInit): Promise<TargetRun> {
      const runId = seeder.run({
        experimentId,
        ...(init.name !== undefined ? { name: init.name } : {}),
        ...(init.user !== undefined ? { user: init.user } : {}),
        ...(init.startTime !== undefined ? { startTime: init.startTime } : {}),
      });
      seeder.tags(runId, init.tags);
      const artifactDir = path.join(mlartifacts, String(experimentId), runId, 'artifacts');
      return {
        runId,
        async logParams(params) {
          seeder.params(runId, params);
        },
        async setTags(tags) {
          seeder.tags(runId, tags);
        },
        async logMetrics(batches: MetricBatch[]) {
          for (const batch of batches) seeder.metrics(runId, batch.key, batch.points);
        },
        async logInputs(inputs) {
          seeder.inputs(runId, experimentId, inputs);
        },
        async writeFile(relative: string, data: Readable) {
          const file = path.join(artifactDir, ...relative.split('/'));
          await fs.promises.mkdir(path.dirname(file), { recursive: true });
          await pipeline(data, fs.createWriteStream(file));
        },
        async finish(end: RunEnd) {
          seeder.tags(runId, [end.marker]);
          seeder.finish(runId, end.status, end.endTime ?? Date.now(), end.deleted);
        },
      };
    },
  };
}
