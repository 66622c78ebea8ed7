/**
 * The model registry written into MLflow's database as the registry's SqlAlchemyStore writes it:
 * - create_registered_model: a `registered_models` row (creation and last-update time now) and
 *   its `registered_model_tags`;
 * - create_model_version: a `model_versions` row (stage None, status READY, description and
 *   run_link '' and user_id NULL as the real MLflow 3.11 server stored them, storage_location the
 *   logged model's artifact location for `models:/<id>` or the run's artifact URI for
 *   `runs:/<id>/<path>`), its `model_version_tags`, the registered model's last-update time, and
 *   the version listed in the logged model's `mlflow.modelVersions` tag (as MLflow's client does);
 * - delete_model_version: the row stays, stage Deleted_Internal, so its number stays taken;
 *   aliases to it go;
 * - stages, tags and aliases set in place (registered_model_aliases).
 * Every row carries the workspace where the schema has the column (MLflow 3.10+). Version
 * numbers: the next one (max + 1), or a wanted one at or above it (the engine keeps numbers).
 * Reading is the source reader's (models.ts), over the store's reading connection.
 */
import type { RegisteredModelInfo, TargetRegistry, VersionInit } from '../model-contract.js';
import { MODEL_VERSIONS_TAG } from '../../model/model-provenance.js';
import type { KeyValue } from '../../model/run.js';
import { NotFoundError } from '../../util/errors.js';
import type { Binding } from './metric-rows.js';
import { SqliteRegistry } from './models.js';
import type { SchemaFeatures } from './schema-shape.js';
import type { SqlDriver, SqlExecutor, SqlReader } from './sql-driver.js';
import { text } from './values.js';

const DELETED_STAGE = 'Deleted_Internal';

export interface RegistryWriteSettings {
  reader: SqlReader;
  driver: SqlDriver;
  features: SchemaFeatures;
  bind: Binding;
  now: () => number;
  workspace: string;
}

export class SqlTargetRegistry extends SqliteRegistry implements TargetRegistry {
  /** `, workspace` and its value, where the schema has the column. */
  private readonly ws: { column: string; value: unknown[]; and: string };

  constructor(private readonly settings: RegistryWriteSettings) {
    super(settings.reader, settings.features, settings.workspace);
    this.ws = settings.features.registryWorkspace
      ? { column: ', workspace', value: [settings.workspace], and: ' AND workspace = ?' }
      : { column: '', value: [], and: '' };
  }

  private marks(count: number): string {
    return Array.from({ length: count + this.ws.value.length }, () => '?').join(', ');
  }

  async createRegisteredModel(info: RegisteredModelInfo): Promise<void> {
    const now = this.settings.bind.int(this.settings.now());
    await this.settings.driver.transaction(async (tx) => {
      await tx.run(`INSERT INTO registered_models (name, creation_time, last_updated_time, description${this.ws.column}) VALUES (${this.marks(4)})`, [
        info.name,
        now,
        now,
        info.description ?? null,
        ...this.ws.value,
      ]);
      await this.upsertModelTags(tx, info.name, info.tags);
    });
  }

  async setRegisteredModelTags(name: string, tags: KeyValue[]): Promise<void> {
    await this.settings.driver.transaction((tx) => this.upsertModelTags(tx, name, tags));
  }

  private async upsertModelTags(tx: SqlExecutor, name: string, tags: KeyValue[]): Promise<void> {
    const conflict = this.ws.column ? '(workspace, key, name)' : '(key, name)';
    for (const tag of tags) {
      await tx.run(
        `INSERT INTO registered_model_tags (key, value, name${this.ws.column}) VALUES (${this.marks(3)}) ON CONFLICT ${conflict} DO UPDATE SET value = excluded.value`,
        [tag.key, tag.value, name, ...this.ws.value],
      );
    }
  }

  async createVersion(init: VersionInit, wanted?: number): Promise<string> {
    const { bind, driver } = this.settings;
    return driver.transaction(async (tx) => {
      const top = await tx.query(`SELECT MAX(version) AS top FROM model_versions WHERE name = ?${this.ws.and}`, [init.name, ...this.ws.value]);
      const next = Number(top[0]?.top ?? 0) + 1;
      const version = wanted !== undefined && wanted >= next ? wanted : next;
      const now = bind.int(this.settings.now());
      const storage = await this.storageLocation(tx, init.source);
      const columns = ['name', 'version', 'creation_time', 'last_updated_time', 'description', 'user_id', 'current_stage', 'source', 'run_id', 'status', 'status_message', 'run_link'];
      const values: unknown[] = [init.name, version, now, now, init.description ?? '', null, 'None', init.source, init.runId ?? null, 'READY', null, ''];
      if (this.settings.features.versionStorageLocation) {
        columns.push('storage_location');
        values.push(storage.location);
      }
      await tx.run(`INSERT INTO model_versions (${columns.join(', ')}${this.ws.column}) VALUES (${this.marks(columns.length)})`, [...values, ...this.ws.value]);
      await this.upsertVersionTags(tx, init.name, String(version), init.tags);
      await tx.run(`UPDATE registered_models SET last_updated_time = ? WHERE name = ?${this.ws.and}`, [now, init.name, ...this.ws.value]);
      if (storage.modelId) await this.recordVersionOnModel(tx, storage.modelId, init.name, version);
      return String(version);
    });
  }

  /** Where a version's files are: the logged model's or the run's artifacts, as MLflow resolves them. */
  private async storageLocation(tx: SqlExecutor, source: string): Promise<{ location: string; modelId?: string }> {
    const model = /^models:\/(m-[^/]+)$/.exec(source)?.[1];
    if (model && this.settings.features.loggedModels) {
      const row = (await tx.query('SELECT artifact_location FROM logged_models WHERE model_id = ?', [model]))[0];
      if (row) return { location: text(row.artifact_location) ?? source, modelId: model };
    }
    const run = /^runs:\/([^/]+)(\/.*)?$/.exec(source);
    if (run) {
      const row = (await tx.query('SELECT artifact_uri FROM runs WHERE run_uuid = ?', [run[1]]))[0];
      if (row) return { location: `${text(row.artifact_uri) ?? ''}${run[2] ?? ''}` };
    }
    return { location: source };
  }

  /** The logged model lists its versions in `mlflow.modelVersions` (JSON, Python's spelling). */
  private async recordVersionOnModel(tx: SqlExecutor, modelId: string, name: string, version: number): Promise<void> {
    const row = (await tx.query('SELECT experiment_id, tag_value FROM logged_model_tags WHERE model_id = ? AND tag_key = ?', [modelId, MODEL_VERSIONS_TAG]))[0];
    const entries: Array<{ name: unknown; version: unknown }> = [];
    try {
      const parsed = JSON.parse(text(row?.tag_value) ?? '[]') as unknown;
      if (Array.isArray(parsed)) entries.push(...(parsed as Array<{ name: unknown; version: unknown }>));
    } catch {
      // An unreadable tag is replaced by a readable one.
    }
    if (entries.some((e) => e.name === name && Number(e.version) === version)) return;
    entries.push({ name, version });
    const value = `[${entries.map((e) => `{"name": ${JSON.stringify(e.name)}, "version": ${JSON.stringify(e.version)}}`).join(', ')}]`;
    const experiment = row?.experiment_id ?? (await tx.query('SELECT experiment_id FROM logged_models WHERE model_id = ?', [modelId]))[0]?.experiment_id;
    await tx.run(
      'INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) VALUES (?, ?, ?, ?) ON CONFLICT (model_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value',
      [modelId, experiment, MODEL_VERSIONS_TAG, value],
    );
  }

  async deleteVersion(name: string, version: string): Promise<void> {
    const now = this.settings.bind.int(this.settings.now());
    await this.settings.driver.transaction(async (tx) => {
      if (this.settings.features.registryAliases) {
        await tx.run(`DELETE FROM registered_model_aliases WHERE name = ? AND version = ?${this.ws.and}`, [name, Number(version), ...this.ws.value]);
      }
      await this.changeVersion(tx, name, version, `current_stage = ?, last_updated_time = ?`, [DELETED_STAGE, now]);
    });
  }

  async setVersionTags(name: string, version: string, tags: KeyValue[]): Promise<void> {
    await this.settings.driver.transaction((tx) => this.upsertVersionTags(tx, name, version, tags));
  }

  private async upsertVersionTags(tx: SqlExecutor, name: string, version: string, tags: KeyValue[]): Promise<void> {
    const conflict = this.ws.column ? '(workspace, key, name, version)' : '(key, name, version)';
    for (const tag of tags) {
      await tx.run(
        `INSERT INTO model_version_tags (key, value, name, version${this.ws.column}) VALUES (${this.marks(4)}) ON CONFLICT ${conflict} DO UPDATE SET value = excluded.value`,
        [tag.key, tag.value, name, Number(version), ...this.ws.value],
      );
    }
  }

  async setStage(name: string, version: string, stage: string): Promise<void> {
    const now = this.settings.bind.int(this.settings.now());
    await this.settings.driver.transaction(async (tx) => {
      await this.changeVersion(tx, name, version, 'current_stage = ?, last_updated_time = ?', [stage, now]);
      await tx.run(`UPDATE registered_models SET last_updated_time = ? WHERE name = ?${this.ws.and}`, [now, name, ...this.ws.value]);
    });
  }

  private async changeVersion(tx: SqlExecutor, name: string, version: string, set: string, values: unknown[]): Promise<void> {
    const changed = await tx.run(`UPDATE model_versions SET ${set} WHERE name = ? AND version = ?${this.ws.and}`, [...values, name, Number(version), ...this.ws.value]);
    if (changed === 0) throw new NotFoundError(`version ${version} of registered model ${name} not found in ${this.settings.driver.label}`);
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    if (!this.settings.features.registryAliases) {
      throw new NotFoundError(`${this.settings.driver.label} predates MLflow 2.3 and has no registered_model_aliases table; alias ${alias} is not set`);
    }
    const conflict = this.ws.column ? '(workspace, name, alias)' : '(name, alias)';
    await this.settings.driver.transaction((tx) =>
      tx.run(
        `INSERT INTO registered_model_aliases (alias, version, name${this.ws.column}) VALUES (${this.marks(3)}) ON CONFLICT ${conflict} DO UPDATE SET version = excluded.version`,
        [alias, Number(version), name, ...this.ws.value],
      ),
    );
  }
}
