/**
 * One experiment as a source project: its metadata (experiment tags; the description is MLflow's
 * mlflow.note.content tag) and its runs, listed in pages ordered by run id so that no statement
 * stays open between pages.
 */
import { sqlSourceTracePromptLinks } from './trace-prompt-links.js';
import { sqlSourceTraceRunLinks } from './trace-run-links.js';
import { sqlSourceDatasets } from './datasets.js';
import type { RunQuery, SourceProject, SourceRun } from '../contract.js';
import type { ProjectRef } from '../../model/project-ref.js';
import type { KeyValue, ProjectMeta, RunInfo } from '../../model/run.js';
import { NotFoundError } from '../../util/errors.js';
import { resolveArtifactLocation, type ArtifactContext } from './artifact-location.js';
import type { SqlReader } from './sql-driver.js';
import type { ExperimentRow } from './experiment-lookup.js';
import { RUN_COLUMNS, toRunInfo } from './run-info.js';
import { pageStateTokens } from './run-state.js';
import { withModelStateTokens } from './model-state.js';
import type { SchemaFeatures } from './schema-features.js';
import { SqliteSourceRun } from './source-run.js';
import { text } from './values.js';
import type { LoggedModelInfo, SourceModel, SourceModels } from '../model-contract.js';
import { listLoggedModels, SqliteSourceModel } from './models.js';
import { sqlSourceTraces } from './traces.js';
import { sqlGenaiInventory } from './genai-inventory.js';
import { sqlSourceScorers } from './scorers.js';

const RUN_PAGE = 1_000;
const DESCRIPTION_TAG = 'mlflow.note.content';

export interface SourceProjectSettings {
  connection: SqlReader;
  features: SchemaFeatures;
  artifactContext: ArtifactContext;
  metricChunk: number;
}

export class SqliteSourceProject implements SourceProject {
  private constructor(
    readonly ref: ProjectRef,
    private readonly experiment: ExperimentRow,
    private readonly settings: SourceProjectSettings,
    readonly meta: ProjectMeta,
  ) {
    // MLflow 3 logged models (models.ts), only where the schema has their tables: the engine
    // asks for these methods, so a 2.x database declares none.
    if (settings.features.loggedModels) {
      const models: SourceModels = {
        listModels: async function* () {
          // Each with a state token from its rows and local files (model-state.ts), for the sync.
          const listed = await listLoggedModels(settings.connection, settings.features, experiment.id);
          yield* await withModelStateTokens(settings.connection, experiment.id, listed, settings.artifactContext);
        },
        openModel: async (info: LoggedModelInfo): Promise<SourceModel> => new SqliteSourceModel(info, settings.connection, settings.artifactContext),
      };
      Object.assign(this, models);
    }
    // MLflow 3 traces (traces.ts), only where the schema has their tables.
    if (settings.features.traces) {
      Object.assign(this, sqlSourceTraces(settings.connection, settings.features.traces, experiment.id, settings.artifactContext), {
        genaiInventory: () => sqlGenaiInventory(settings.connection, experiment.id),
      });
      // Which traces link to a prompt version (trace-prompt-links.ts).
      Object.assign(this, sqlSourceTracePromptLinks(settings.connection, experiment.id));
      // Which runs link-to-run linked the traces to (trace-run-links.ts).
      Object.assign(this, sqlSourceTraceRunLinks(settings.connection, experiment.id));
    }
    // Scorers (scorers.ts), only where the schema has their tables.
    if (settings.features.scorers) Object.assign(this, sqlSourceScorers(settings.connection, experiment.id));
  }

  static async open(ref: ProjectRef, experiment: ExperimentRow, settings: SourceProjectSettings): Promise<SqliteSourceProject> {
    const project = new SqliteSourceProject(ref, experiment, settings, await readMeta(experiment, settings.connection));
    // Evaluation datasets (datasets.ts), only where the schema has their tables (MLflow 3.4+).
    const datasets = await sqlSourceDatasets(settings.connection, experiment.id);
    if (datasets) Object.assign(project, datasets);
    return project;
  }

  async *listRuns(query: RunQuery): AsyncIterable<RunInfo> {
    const lifecycle = query.includeDeleted ? '' : "AND (r.lifecycle_stage IS NULL OR r.lifecycle_stage <> 'deleted')";
    const sql = `SELECT ${RUN_COLUMNS} FROM runs r
      WHERE r.experiment_id = ? AND r.run_uuid > ? ${lifecycle} ORDER BY r.run_uuid LIMIT ?`;
    let after = '';
    for (;;) {
      const rows = await this.settings.connection.all(sql, BigInt(this.experiment.id), after, RUN_PAGE);
      const infos = rows.map((row) => toRunInfo(row).info);
      // One query per table for the page gives each run its state token (run-state.ts).
      const tokens = await pageStateTokens(this.settings.connection, this.settings.features, this.settings.artifactContext, infos);
      for (const info of infos) yield { ...info, stateToken: tokens.get(info.runId)! };
      if (rows.length < RUN_PAGE) return;
      after = text(rows[rows.length - 1]!.run_uuid) ?? '';
    }
  }

  async openRun(info: RunInfo): Promise<SourceRun> {
    const row = await this.settings.connection.get(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.run_uuid = ? AND r.experiment_id = ?`, info.runId, BigInt(this.experiment.id));
    if (!row) throw new NotFoundError(`run ${info.runId} is not in experiment "${this.experiment.name}" of ${this.settings.connection.label}`);
    const { info: current, issues } = toRunInfo(row);
    return new SqliteSourceRun(
      current,
      {
        connection: this.settings.connection,
        features: this.settings.features,
        artifacts: resolveArtifactLocation(current.artifactUri, this.settings.artifactContext),
        metricChunk: this.settings.metricChunk,
      },
      issues,
    );
  }
}

async function readMeta(experiment: ExperimentRow, connection: SqlReader): Promise<ProjectMeta> {
  const tags: KeyValue[] = (await connection.all('SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key', BigInt(experiment.id))).map(
    (row) => ({ key: text(row.key) ?? '', value: text(row.value) ?? '' }),
  );
  const meta: ProjectMeta = { id: experiment.id, tags };
  const description = tags.find((tag) => tag.key === DESCRIPTION_TAG)?.value;
  if (description !== undefined) meta.description = description;
  if (experiment.artifactLocation !== undefined) meta.artifactLocation = experiment.artifactLocation;
  if (experiment.creationTime !== undefined) meta.creationTime = experiment.creationTime;
  return meta;
}
