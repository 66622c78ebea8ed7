/**
 * The file-based model registry of an mlruns store, in MLflow's layout (test/golden/stores/mlruns):
 *
 *   <root>/models/<name>/meta.yaml              registered model (aliases: {alias: 'N'} inside)
 *   <root>/models/<name>/aliases/<alias>        the alias's version number: what FileStore's
 *                                               set_registered_model_alias writes and what
 *                                               get_model_version_by_alias (load_prompt
 *                                               "prompts:/<name>@<alias>") and migrate-filestore read
 *   <root>/models/<name>/tags/<key>
 *   <root>/models/<name>/version-<N>/meta.yaml  version (source, run_id, model_id, storage_location, stage)
 *   <root>/models/<name>/version-<N>/tags/<key>
 *
 * One workspace, `default`. A version whose stage is Deleted_Internal (how FileStore deletes) is
 * not listed. storage_location of a version written here is resolved like MLflow does: the logged
 * model's artifact location for models:/<id>, the run's artifact URI for runs:/<id>/<path>.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelVersionInfo, RegisteredModelInfo, TargetRegistry, VersionInit } from '../model-contract.js';
import type { KeyValue } from '../../model/run.js';
import { exists, listSubdirs, readTextIfExists, writeFileAtomic, writePrivateFile } from './fs-util.js';
import { readKeyValue, readKeyValues, writeKeyValue } from './key-value-dir.js';
import { MODEL_VERSIONS_TAG } from '../../model/model-provenance.js';
import { isExperimentDirName, META_FILE, safeSegments, TAGS_DIR } from './layout.js';
import { MODELS_DIR, readModelFolder } from './models.js';
import { dumpPyYaml, parsePyYaml, type YamlValue } from './pyyaml.js';
import { readRunFolder } from './run-files.js';

type YamlMap = { [key: string]: YamlValue };
const DELETED_STAGE = 'Deleted_Internal';
const VERSION_DIR = /^version-(\d+)$/;
const ALIASES_DIR = 'aliases';

function asMap(value: YamlValue | undefined): YamlMap {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value : {};
}
const text = (value: YamlValue | undefined) => (value === undefined || value === null ? undefined : String(value));

/**
 * The logged model behind a version lists it in its `mlflow.modelVersions` tag, as MLflow's
 * client does for a file store: a JSON list in Python's spelling, the version as a number.
 */
async function recordVersionOnModel(modelDir: string, name: string, version: number): Promise<void> {
  const tags = join(modelDir, TAGS_DIR);
  const entries: Array<{ name: unknown; version: unknown }> = [];
  try {
    const parsed = JSON.parse((await readKeyValue(tags, MODEL_VERSIONS_TAG)) ?? '[]') as unknown;
    if (Array.isArray(parsed)) entries.push(...(parsed as Array<{ name: unknown; version: unknown }>));
  } catch {
    // An unreadable tag is replaced by a readable one.
  }
  if (entries.some((e) => e.name === name && Number(e.version) === version)) return;
  entries.push({ name, version });
  const text = `[${entries.map((e) => `{"name": ${JSON.stringify(e.name)}, "version": ${JSON.stringify(e.version)}}`).join(', ')}]`;
  await writeKeyValue(tags, MODEL_VERSIONS_TAG, text);
}

export class MlrunsRegistry implements TargetRegistry {
  constructor(
    private readonly root: string,
    private readonly now: () => number,
  ) {}

  private modelDir(name: string): string {
    return join(this.root, MODELS_DIR, ...safeSegments(name, 'registered model name'));
  }

  private versionDir(name: string, version: string): string {
    if (!/^\d+$/.test(version)) throw new Error(`not a version number: ${version}`);
    return join(this.modelDir(name), `version-${version}`);
  }

  private async readMeta(dir: string): Promise<YamlMap | undefined> {
    const raw = await readTextIfExists(join(dir, META_FILE));
    return raw === undefined ? undefined : asMap(parsePyYaml(raw));
  }

  async *listRegisteredModels(): AsyncIterable<RegisteredModelInfo> {
    for (const name of await listSubdirs(join(this.root, MODELS_DIR))) {
      const model = await this.getRegisteredModel(name);
      if (model) yield model;
    }
  }

  async getRegisteredModel(name: string): Promise<RegisteredModelInfo | undefined> {
    const dir = this.modelDir(name);
    const meta = await this.readMeta(dir);
    if (!meta) return undefined;
    const description = text(meta.description);
    return {
      name: text(meta.name) ?? name,
      ...(description ? { description } : {}),
      tags: await readKeyValues(join(dir, TAGS_DIR)),
      aliases: await this.readAliases(dir, meta),
    };
  }

  async listVersions(name: string): Promise<ModelVersionInfo[]> {
    const out: ModelVersionInfo[] = [];
    for (const entry of await listSubdirs(this.modelDir(name))) {
      const number = VERSION_DIR.exec(entry)?.[1];
      if (!number) continue;
      const dir = join(this.modelDir(name), entry);
      const meta = await this.readMeta(dir);
      if (!meta || text(meta.current_stage) === DELETED_STAGE) continue;
      const source = text(meta.source) ?? '';
      const runId = text(meta.run_id);
      const modelId = text(meta.model_id) ?? /^models:\/(m-[^/]+)$/.exec(source)?.[1];
      const description = text(meta.description);
      out.push({
        name,
        version: number,
        ...(description ? { description } : {}),
        tags: await readKeyValues(join(dir, TAGS_DIR)),
        stage: text(meta.current_stage) ?? 'None',
        status: text(meta.status) ?? 'READY',
        source,
        ...(runId ? { runId } : {}),
        ...(modelId ? { modelId } : {}),
      });
    }
    return out.sort((a, b) => Number(a.version) - Number(b.version));
  }

  async createRegisteredModel(info: RegisteredModelInfo): Promise<void> {
    const dir = this.modelDir(info.name);
    if (await exists(join(dir, META_FILE))) throw new Error(`registered model ${info.name} already exists`);
    const now = this.now();
    const meta: YamlMap = {
      aliases: {},
      creation_timestamp: now,
      deployment_job_id: null,
      deployment_job_state: null,
      description: info.description ?? null,
      last_updated_timestamp: now,
      name: info.name,
      workspace: 'default',
    };
    await writePrivateFile(join(dir, META_FILE), dumpPyYaml(meta));
    for (const tag of info.tags) await writeKeyValue(join(dir, TAGS_DIR), tag.key, tag.value);
  }

  async setRegisteredModelTags(name: string, tags: KeyValue[]): Promise<void> {
    for (const tag of tags) await writeKeyValue(join(this.modelDir(name), TAGS_DIR), tag.key, tag.value);
  }

  /** Any number at or above the next free one can be had directly. */
  async createVersion(init: VersionInit, wanted?: number): Promise<string> {
    const used = (await listSubdirs(this.modelDir(init.name))).map((e) => Number(VERSION_DIR.exec(e)?.[1] ?? 0));
    const next = Math.max(0, ...used) + 1;
    const version = String(wanted !== undefined && wanted >= next ? wanted : next);
    const now = this.now();
    const meta: YamlMap = {
      creation_timestamp: now,
      current_stage: 'None',
      deployment_job_state: null,
      description: init.description ?? null,
      last_updated_timestamp: now,
      model_id: init.modelId ?? null,
      name: init.name,
      run_id: init.runId ?? null,
      run_link: null,
      source: init.source,
      status: 'READY',
      status_message: null,
      storage_location: (await this.storageLocation(init.source)).location,
      user_id: null,
      version: Number(version),
      workspace: 'default',
    };
    const dir = this.versionDir(init.name, version);
    await writePrivateFile(join(dir, META_FILE), dumpPyYaml(meta));
    for (const tag of init.tags) await writeKeyValue(join(dir, TAGS_DIR), tag.key, tag.value);
    const modelDir = (await this.storageLocation(init.source)).modelDir;
    if (modelDir) await recordVersionOnModel(modelDir, init.name, Number(version));
    return version;
  }

  /** Where a version's files are, and the logged model's folder for a models:/ source. */
  private async storageLocation(source: string): Promise<{ location: string; modelDir?: string }> {
    const model = /^models:\/(m-[^/]+)$/.exec(source)?.[1];
    const run = /^runs:\/([^/]+)(\/.*)?$/.exec(source);
    if (!model && !run) return { location: source };
    for (const experiment of await listSubdirs(this.root)) {
      if (!isExperimentDirName(experiment)) continue;
      if (model) {
        const folder = await readModelFolder(join(this.root, experiment, MODELS_DIR, model));
        if (folder) return { location: folder.info.artifactUri ?? source, modelDir: folder.dir };
      } else if (run) {
        const folder = await readRunFolder(join(this.root, experiment, run[1]!));
        if (folder) return { location: `${folder.meta.artifactUri}${run[2] ?? ''}` };
      }
    }
    return { location: source };
  }

  async deleteVersion(name: string, version: string): Promise<void> {
    await rm(this.versionDir(name, version), { recursive: true, force: true });
  }

  async setVersionTags(name: string, version: string, tags: KeyValue[]): Promise<void> {
    for (const tag of tags) await writeKeyValue(join(this.versionDir(name, version), TAGS_DIR), tag.key, tag.value);
  }

  async setStage(name: string, version: string, stage: string): Promise<void> {
    const dir = this.versionDir(name, version);
    const meta = await this.readMeta(dir);
    if (!meta) throw new Error(`version ${version} of ${name} not found`);
    await writeFileAtomic(join(dir, META_FILE), dumpPyYaml({ ...meta, current_stage: stage, last_updated_timestamp: this.now() }));
  }

  /** meta.yaml's aliases, overridden by the aliases/ folder where it has the alias (FileStore's own record). */
  private async readAliases(dir: string, meta: YamlMap): Promise<Array<{ alias: string; version: string }>> {
    const aliases = new Map(Object.entries(asMap(meta.aliases)).map(([alias, version]) => [alias, String(version)]));
    for (const { key, value } of await readKeyValues(join(dir, ALIASES_DIR))) aliases.set(key, value.trim());
    return [...aliases].map(([alias, version]) => ({ alias, version }));
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    const dir = this.modelDir(name);
    const meta = await this.readMeta(dir);
    if (!meta) throw new Error(`registered model ${name} not found`);
    // The folder first: MLflow reads an alias from its file (meta.yaml's copy is for older readers).
    await writeKeyValue(join(dir, ALIASES_DIR), alias, version);
    const aliases = { ...asMap(meta.aliases), [alias]: version };
    await writeFileAtomic(join(dir, META_FILE), dumpPyYaml({ ...meta, aliases, last_updated_timestamp: this.now() }));
  }
}
