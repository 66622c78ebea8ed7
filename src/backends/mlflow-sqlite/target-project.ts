/**
 * An experiment of MLflow's database opened as a target, and the exactly-once hooks:
 * - a new experiment is created as SqlAlchemyStore.create_experiment creates one (active,
 *   creation and last-update time now, workspace on 3.10+ schemas, artifact_location in the
 *   database's own pattern, experiment tags; the description is mlflow.note.content);
 * - a run is created as create_run creates it (uuid4 hex id, RUNNING, source_type UNKNOWN, empty
 *   source fields, artifact_uri `<artifact_location>/<run>/artifacts`) with its provenance tags in
 *   the same (its first) transaction, so a run that exists always names its source;
 * - listCopies reads the provenance tags and the completion marker in one query per page;
 * - discardRun removes a partial copy's rows for good (batch by batch, short transactions) and
 *   its files: metrics have no key of their own beyond all their columns, so a redone copy must
 *   start from nothing to never hold a point twice.
 */
import { sqlTargetTracePromptLinks } from './trace-prompt-links.js';
import { sqlTargetTraceRunLinks } from './trace-run-links.js';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { sqlTargetDatasets } from './datasets.js';
import type { CopyEditor, CopyRecord, ReadIssue, RunInit, TargetProject, TargetRun } from '../contract.js';
import { SqlCopyEditor } from './copy-editor.js';
import type { ProjectRef } from '../../model/project-ref.js';
import { DEFAULT_WORKSPACE, formatProjectRef } from '../../model/project-ref.js';
import type { KeyValue, ProjectMeta } from '../../model/run.js';
import { PROVENANCE } from '../../model/provenance.js';
import { NotFoundError, UsageError } from '../../util/errors.js';
import type { ArtifactContext } from './artifact-location.js';
import { checkArtifactStoreWritable } from '../object-store/check.js';
import { removeObjects } from '../object-store/write.js';
import { newExperimentLocation, runArtifactDestination, runArtifactUri } from './artifact-target.js';
import type { Binding } from './metric-rows.js';
import { sqlTargetTraces } from './traces.js';
import type { SchemaFeatures } from './schema-shape.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';
import type { TargetModels } from '../model-contract.js';
import { SqlTargetModels } from './model-target.js';
import { RUN_NAME_TAG, SqlTargetRun, upsertTags } from './target-run.js';
import { text } from './values.js';
import { sqlTargetScorers } from './scorers.js';

/** experiment_tags.value is VARCHAR(5000) in every MLflow schema. */
const EXPERIMENT_TAG_VALUE_MAX = 5000;
const DESCRIPTION_TAG = 'mlflow.note.content';
const COPY_PAGE = 1000;
/** Rows removed per transaction when a partial copy is discarded. */
const DELETE_BATCH = 20_000;

export interface TargetSettings {
  driver: SqlDriver;
  features: SchemaFeatures;
  bind: Binding;
  artifactContext: ArtifactContext;
  now: () => number;
}

interface ExperimentRow {
  id: string;
  location: string;
}

export async function openSqlTargetProject(
  settings: TargetSettings,
  ref: ProjectRef,
  meta: ProjectMeta,
  create: boolean,
  /** --target-artifact-location for an experiment created here. */
  artifactLocation?: string,
): Promise<SqlTargetProject | undefined> {
  const { driver, features } = settings;
  const where = `${driver.label} (project ${formatProjectRef(ref)})`;
  if (!features.workspaces && ref.workspace !== DEFAULT_WORKSPACE) {
    throw new NotFoundError(`workspace "${ref.workspace}" does not exist in ${where}: its schema predates MLflow 3.10 workspaces; name the project ${DEFAULT_WORKSPACE}/${ref.project}`);
  }
  if (features.workspaces && features.workspaceCatalog && ref.workspace !== DEFAULT_WORKSPACE) {
    const known = await driver.query('SELECT name FROM workspaces WHERE name = ?', [ref.workspace]);
    if (known.length === 0) throw new NotFoundError(`workspace "${ref.workspace}" does not exist in ${where}; create it in MLflow first`);
  }
  const issues: ReadIssue[] = [];
  const tags = experimentTags(meta, issues);
  let experiment = await findExperiment(driver, features, ref, where);
  if (!experiment && !create) return undefined;
  if (!experiment) {
    experiment = await driver.transaction((tx) => createExperiment(tx, settings, ref, artifactLocation));
  }
  if (create) await checkArtifactStoreWritable(experiment.location, ref.project);
  if (create && tags.length > 0) {
    const id = settings.bind.int(BigInt(experiment.id));
    await driver.transaction(async (tx) => {
      for (const tag of tags) {
        await tx.run('INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [tag.key, tag.value, id]);
      }
    });
  }
  const project = new SqlTargetProject(ref, experiment, settings, issues);
  // Evaluation datasets (datasets.ts), only where the schema has their tables (MLflow 3.4+).
  const datasets = await sqlTargetDatasets({ driver, bind: settings.bind, now: settings.now, experimentId: experiment.id, workspace: ref.workspace });
  if (datasets) Object.assign(project, datasets);
  // Trace -> prompt links (trace-prompt-links.ts), where the schema has entity_associations.
  const promptLinks = settings.features.traces ? await sqlTargetTracePromptLinks(driver, settings.bind, experiment.id, settings.now) : undefined;
  if (promptLinks) Object.assign(project, promptLinks);
  // Trace -> run links (trace-run-links.ts), likewise.
  const runLinks = settings.features.traces ? await sqlTargetTraceRunLinks(driver, settings.bind, experiment.id, settings.now) : undefined;
  if (runLinks) Object.assign(project, runLinks);
  return project;
}

async function findExperiment(driver: SqlDriver, features: SchemaFeatures, ref: ProjectRef, where: string): Promise<ExperimentRow | undefined> {
  const rows = features.workspaces
    ? await driver.query('SELECT experiment_id, artifact_location, lifecycle_stage FROM experiments WHERE name = ? AND workspace = ?', [ref.project, ref.workspace])
    : await driver.query('SELECT experiment_id, artifact_location, lifecycle_stage FROM experiments WHERE name = ?', [ref.project]);
  const row = rows[0];
  if (!row) return undefined;
  if (text(row.lifecycle_stage) === 'deleted') {
    throw new UsageError(
      `experiment "${ref.project}" in ${where} is deleted and still holds the name: restore it (mlflow experiments restore --experiment-id ${text(row.experiment_id)}) or choose another target project`,
    );
  }
  const id = text(row.experiment_id) ?? '';
  return { id, location: text(row.artifact_location) ?? newExperimentLocation(id, []) };
}

async function createExperiment(tx: SqlExecutor, settings: TargetSettings, ref: ProjectRef, relocated?: string): Promise<ExperimentRow> {
  const now = settings.bind.int(settings.now());
  const columns = ['name', 'lifecycle_stage'];
  const values: unknown[] = [ref.project, 'active'];
  if (settings.features.experimentCreationTime) {
    // Both came with MLflow 2.0's migration (97727af70f4d); create_experiment sets them to now.
    columns.push('creation_time', 'last_update_time');
    values.push(now, now);
  }
  if (settings.features.workspaces) {
    columns.push('workspace');
    values.push(ref.workspace);
  }
  await tx.run(`INSERT INTO experiments (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, values);
  const sameWorkspace = settings.features.workspaces ? ' AND workspace = ?' : '';
  const scope = settings.features.workspaces ? [ref.workspace] : [];
  const created = await tx.query(`SELECT experiment_id FROM experiments WHERE name = ?${sameWorkspace}`, [ref.project, ...scope]);
  const id = text(created[0]?.experiment_id) ?? '';
  // The pattern of the newest experiments MLflow created here (same workspace), else the default.
  const examples = await tx.query(
    `SELECT experiment_id, artifact_location FROM experiments WHERE experiment_id <> ?${sameWorkspace} ORDER BY experiment_id DESC LIMIT 20`,
    [settings.bind.int(BigInt(id)), ...scope],
  );
  const location = relocated ?? newExperimentLocation(
    id,
    examples.map((row) => ({ id: text(row.experiment_id) ?? '', location: text(row.artifact_location) })),
  );
  await tx.run('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?', [location, settings.bind.int(BigInt(id))]);
  return { id, location };
}

function experimentTags(meta: ProjectMeta, issues: ReadIssue[]): KeyValue[] {
  const tags = new Map(meta.tags.map((tag) => [tag.key, tag.value]));
  if (meta.description !== undefined) tags.set(DESCRIPTION_TAG, meta.description);
  const out: KeyValue[] = [];
  for (const [key, value] of tags) {
    if (value.length > EXPERIMENT_TAG_VALUE_MAX) {
      issues.push({ field: `experiment tag ${key}`, reason: `value of ${value.length} characters is over MLflow's ${EXPERIMENT_TAG_VALUE_MAX}; not copied` });
      continue;
    }
    out.push({ key, value });
  }
  return out;
}

export class SqlTargetProject implements TargetProject {
  readonly id: string;

  constructor(
    readonly ref: ProjectRef,
    private readonly experiment: ExperimentRow,
    private readonly settings: TargetSettings,
    readonly issues: ReadIssue[],
  ) {
    this.id = experiment.id;
    // Logged models only where the schema has their tables (MLflow 3.0+): the engine asks for these
    // methods, and without them reports the models and links as not copied (model-target.ts).
    if (settings.features.loggedModels) {
      const models = new SqlTargetModels({
        driver: settings.driver,
        bind: settings.bind,
        artifactContext: settings.artifactContext,
        now: settings.now,
        experimentId: experiment.id,
        experimentLocation: experiment.location,
      });
      const abilities: TargetModels = {
        listModelCopies: () => models.listModelCopies(),
        createModel: (init) => models.createModel(init),
        discardModel: (id) => models.discardModel(id),
        linkRun: (runId, links, tags) => models.linkRun(runId, links, tags),
        openModelCopy: (id) => models.openModelCopy(id),
      };
      Object.assign(this, abilities);
    }
    // MLflow 3 traces (traces.ts), only where the schema has their tables.
    if (settings.features.traces) {
      Object.assign(this, sqlTargetTraces({
        driver: settings.driver,
        bind: settings.bind,
        features: settings.features.traces,
        experimentId: experiment.id,
        experimentLocation: experiment.location ?? `mlflow-artifacts:/${experiment.id}`,
        artifactContext: settings.artifactContext,
      }));
    }
    // Scorers (scorers.ts), only where the schema has their tables.
    if (settings.features.scorers) Object.assign(this, sqlTargetScorers(settings.driver, settings.bind, experiment.id, settings.now));
  }

  async *listCopies(): AsyncIterable<CopyRecord> {
    const sql = `SELECT r.run_uuid, r.lifecycle_stage, p.value AS project, s.value AS source_run, c.value AS marker, t.value AS source_state
      FROM runs r
      JOIN tags s ON s.run_uuid = r.run_uuid AND s.key = ?
      JOIN tags p ON p.run_uuid = r.run_uuid AND p.key = ?
      LEFT JOIN tags c ON c.run_uuid = r.run_uuid AND c.key = ?
      LEFT JOIN tags t ON t.run_uuid = r.run_uuid AND t.key = ?
      WHERE r.experiment_id = ? AND r.run_uuid > ? ORDER BY r.run_uuid LIMIT ?`;
    let after = '';
    for (;;) {
      const rows = await this.settings.driver.query(sql, [
        PROVENANCE.runId,
        PROVENANCE.project,
        PROVENANCE.completed,
        PROVENANCE.sourceState,
        this.settings.bind.int(BigInt(this.id)),
        after,
        COPY_PAGE,
      ]);
      for (const row of rows) {
        yield {
          sourceProject: text(row.project) ?? '',
          sourceRunId: text(row.source_run) ?? '',
          targetRunId: text(row.run_uuid) ?? '',
          complete: row.marker !== null && row.marker !== undefined,
          deleted: text(row.lifecycle_stage) === 'deleted',
          ...(text(row.source_state) !== undefined ? { sourceState: text(row.source_state)! } : {}),
        };
      }
      if (rows.length < COPY_PAGE) return;
      after = text(rows[rows.length - 1]!.run_uuid) ?? '';
    }
  }

  async createRun(init: RunInit): Promise<TargetRun> {
    const { bind } = this.settings;
    const runId = randomUUID().replaceAll('-', '');
    const artifactUri = runArtifactUri(this.experiment.location, runId);
    const tags = [...init.tags];
    if (init.name && !tags.some((tag) => tag.key === RUN_NAME_TAG)) tags.push({ key: RUN_NAME_TAG, value: init.name });
    const create = async (tx: SqlExecutor) => {
      await tx.run(
        `INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time,
           source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time)
         VALUES (?, ?, 'UNKNOWN', '', '', ?, 'RUNNING', ?, NULL, '', 'active', ?, ?, NULL)`,
        [runId, init.name ?? null, init.user ?? null, bind.int(init.startTime ?? this.settings.now()), artifactUri, bind.int(BigInt(this.id))],
      );
      await upsertTags(tx, runId, tags);
    };
    // Committed at once: a run in the database is listed as a copy (partial until its marker).
    await this.settings.driver.transaction(create);
    return new SqlTargetRun(runId, {
      driver: this.settings.driver,
      features: this.settings.features,
      bind,
      experimentId: this.id,
      artifacts: runArtifactDestination(artifactUri, this.settings.artifactContext),
      now: this.settings.now,
    });
  }

  async discardRun(targetRunId: string): Promise<void> {
    const { driver } = this.settings;
    const run = (await driver.query('SELECT artifact_uri FROM runs WHERE run_uuid = ? AND experiment_id = ?', [targetRunId, this.settings.bind.int(BigInt(this.id))]))[0];
    if (!run) return;
    const marker = await driver.query('SELECT 1 AS found FROM tags WHERE run_uuid = ? AND key = ?', [targetRunId, PROVENANCE.completed]);
    if (marker.length > 0) throw new Error(`refusing to discard run ${targetRunId}: it carries the completion marker`);
    // Children before the run row (foreign keys); the big tables batch by batch.
    const rowId = driver.dialect === 'sqlite' ? 'rowid' : 'ctid';
    for (const table of ['metrics', 'latest_metrics', 'params', 'tags']) {
      for (;;) {
        const removed = await driver.transaction((tx) =>
          tx.run(`DELETE FROM ${table} WHERE ${rowId} IN (SELECT ${rowId} FROM ${table} WHERE run_uuid = ? LIMIT ${DELETE_BATCH})`, [targetRunId]),
        );
        if (removed < DELETE_BATCH) break;
      }
    }
    await driver.transaction(async (tx) => {
      if (this.settings.features.datasets) {
        await tx.run(
          "DELETE FROM input_tags WHERE input_uuid IN (SELECT input_uuid FROM inputs WHERE destination_type = 'RUN' AND destination_id = ?)",
          [targetRunId],
        );
        await tx.run("DELETE FROM inputs WHERE destination_type = 'RUN' AND destination_id = ?", [targetRunId]);
      }
      await tx.run('DELETE FROM runs WHERE run_uuid = ?', [targetRunId]);
    });
    const files = runArtifactDestination(text(run.artifact_uri) ?? '', this.settings.artifactContext);
    if (files.kind === 'object-store') await removeObjects(files.uri);
    if (files.kind === 'local') {
      await fs.promises.rm(files.root, { recursive: true, force: true });
      // <location>/<run>/artifacts: the run's own folder goes too when nothing else is in it.
      if (path.basename(path.dirname(files.root)) === targetRunId) await fs.promises.rmdir(path.dirname(files.root)).catch(() => undefined);
    }
  }

  /** A complete copy, edited with a commit per write (copy-editor.ts). */
  async openCopy(targetRunId: string): Promise<CopyEditor> {
    const row = (await this.settings.driver.query('SELECT artifact_uri FROM runs WHERE run_uuid = ? AND experiment_id = ?', [targetRunId, this.settings.bind.int(BigInt(this.id))]))[0];
    if (!row) throw new NotFoundError(`run ${targetRunId} not found in experiment "${this.ref.project}" of ${this.settings.driver.label}`);
    return new SqlCopyEditor(targetRunId, {
      driver: this.settings.driver,
      features: this.settings.features,
      bind: this.settings.bind,
      experimentId: this.id,
      artifacts: runArtifactDestination(text(row.artifact_uri) ?? '', this.settings.artifactContext),
      now: this.settings.now,
    });
  }

  async deleteRun(targetRunId: string): Promise<void> {
    const changed = await this.settings.driver.transaction((tx) =>
      tx.run("UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE run_uuid = ? AND experiment_id = ?", [
        this.settings.bind.int(this.settings.now()),
        targetRunId,
        this.settings.bind.int(BigInt(this.id)),
      ]),
    );
    if (changed === 0) throw new NotFoundError(`run ${targetRunId} not found in experiment "${this.ref.project}" of ${this.settings.driver.label}`);
  }
}
