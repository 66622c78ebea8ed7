/**
 * The model registry over REST, per workspace (X-MLFLOW-WORKSPACE like experiments), as the
 * 3.11 server answers: searches are GET only with {"offset": N} tokens, deletes take a JSON body,
 * an unset description/run_id comes back as "" and a version's model_id is not echoed (it is read
 * from a `models:/<id>` source). Aliases are read from the registered model.
 *
 * Prompts are registered models tagged `mlflow.prompt.is_prompt=true`, and the server's searches
 * hide them unless the filter names that tag. Worse, model-versions/search hides EVERY version of
 * a name as soon as one of its versions carries the prompt tag (recorded: prompts-registry-views).
 * So models are listed with and without the prompt filter, and the versions of a name that has
 * prompt-tagged versions are read one by one (model-versions/get up to the newest number).
 */
import type { ModelVersionInfo, RegisteredModelInfo, TargetRegistry, VersionInit } from '../model-contract.js';
import type { KeyValue } from '../../model/run.js';
import { NotFoundError } from '../../util/errors.js';
import type { MlflowHttpClient } from './http-client.js';
import { asArray, asRecord, toKeyValues, toStr } from './json.js';

const API = '/api/2.0/mlflow';
/** The tag that makes a registered model (or a version) a prompt. */
export const PROMPT_TAG = 'mlflow.prompt.is_prompt';
const PROMPT_FILTER = `tags.\`${PROMPT_TAG}\` = 'true'`;
const quoted = (name: string) => `'${name.replace(/'/g, "''")}'`;
const PAGE = 1000;
/** A version that only holds a number: created and deleted again to keep a source number. */
const PLACEHOLDER_SOURCE = 's3://runs-migrator-placeholder/version-number-gap';

export function parseRegisteredModel(value: unknown): RegisteredModelInfo {
  const rec = asRecord(value);
  const description = toStr(rec.description);
  return {
    name: toStr(rec.name) ?? '',
    ...(description ? { description } : {}),
    tags: toKeyValues(rec.tags),
    aliases: asArray(rec.aliases).map((a) => ({ alias: toStr(asRecord(a).alias) ?? '', version: String(asRecord(a).version ?? '') })),
  };
}

export function parseModelVersion(value: unknown): ModelVersionInfo {
  const rec = asRecord(value);
  const source = toStr(rec.source) ?? '';
  const runId = toStr(rec.run_id);
  const description = toStr(rec.description);
  const modelId = toStr(rec.model_id) || /^models:\/(m-[^/]+)$/.exec(source)?.[1];
  return {
    name: toStr(rec.name) ?? '',
    version: String(rec.version ?? ''),
    ...(description ? { description } : {}),
    tags: toKeyValues(rec.tags),
    stage: toStr(rec.current_stage) ?? 'None',
    status: toStr(rec.status) ?? 'READY',
    source,
    ...(runId ? { runId } : {}),
    ...(modelId ? { modelId } : {}),
  };
}

export class MlflowRegistry implements TargetRegistry {
  /** Next version number per registered model, as far as this process knows. */
  private readonly next = new Map<string, number>();

  constructor(
    private readonly client: MlflowHttpClient,
    private readonly workspace: string,
  ) {}

  private get(rel: string, query: Record<string, string | number | undefined>, what: string): Promise<unknown> {
    return this.client.get(`${API}/${rel}`, query, what, this.workspace);
  }

  private send(method: 'POST' | 'PATCH' | 'DELETE', rel: string, body: object): Promise<unknown> {
    return this.client.json({ method, path: `${API}/${rel}`, json: JSON.stringify(body), what: rel, workspace: this.workspace });
  }

  /** Ordinary models first, then prompts: the caller decides what a prompt means to it. */
  async *listRegisteredModels(): AsyncIterable<RegisteredModelInfo> {
    yield* this.searchRegisteredModels(undefined);
    yield* this.searchRegisteredModels(PROMPT_FILTER);
  }

  private async *searchRegisteredModels(filter: string | undefined): AsyncIterable<RegisteredModelInfo> {
    let token: string | undefined;
    const tokens = new Set<string>();
    for (;;) {
      const query = { ...(filter ? { filter } : {}), max_results: PAGE, page_token: token };
      const doc = asRecord(await this.get('registered-models/search', query, 'registered-models/search'));
      for (const item of asArray(doc.registered_models)) yield parseRegisteredModel(item);
      const next = toStr(doc.next_page_token);
      if (!next || tokens.has(next)) return;
      tokens.add(next);
      token = next;
    }
  }

  /**
   * Every version of `name`. A name with prompt-tagged versions is invisible to the plain search
   * and its other versions to the prompt search, so then each number up to the newest is read.
   */
  async listVersions(name: string): Promise<ModelVersionInfo[]> {
    const plain = await this.searchVersions(name, `name=${quoted(name)}`);
    const prompts = await this.searchVersions(name, `name=${quoted(name)} AND ${PROMPT_FILTER}`);
    if (prompts.length === 0) return plain;
    const seen = new Map([...plain, ...prompts].map((v) => [v.version, v]));
    const model = await this.getRegisteredModelDoc(name);
    const newest = Math.max(
      0,
      ...[...seen.keys()].map(Number),
      ...asArray(model?.latest_versions).map((v) => Number(asRecord(v).version ?? 0)),
    );
    for (let n = 1; n <= newest; n++) {
      if (seen.has(String(n))) continue;
      const version = await this.getVersion(name, String(n));
      if (version) seen.set(version.version, version);
    }
    return [...seen.values()].sort((a, b) => Number(a.version) - Number(b.version));
  }

  private async getVersion(name: string, version: string): Promise<ModelVersionInfo | undefined> {
    try {
      return parseModelVersion(asRecord(await this.get('model-versions/get', { name, version }, 'model-versions/get')).model_version);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined; // a deleted number
      throw error;
    }
  }

  private async getRegisteredModelDoc(name: string): Promise<Record<string, unknown> | undefined> {
    try {
      return asRecord(asRecord(await this.get('registered-models/get', { name }, 'registered-models/get')).registered_model);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  private async searchVersions(name: string, filter: string): Promise<ModelVersionInfo[]> {
    const out: ModelVersionInfo[] = [];
    let token: string | undefined;
    const tokens = new Set<string>();
    for (;;) {
      const doc = asRecord(await this.get('model-versions/search', { filter, max_results: PAGE, page_token: token }, 'model-versions/search'));
      for (const item of asArray(doc.model_versions)) {
        const version = parseModelVersion(item);
        // The filter is SQL LIKE-free equality, but keep to the exact name whatever the server does.
        if (version.name === name) out.push(version);
      }
      const next = toStr(doc.next_page_token);
      if (!next || tokens.has(next)) return out;
      tokens.add(next);
      token = next;
    }
  }

  async getRegisteredModel(name: string): Promise<RegisteredModelInfo | undefined> {
    const doc = await this.getRegisteredModelDoc(name);
    return doc ? parseRegisteredModel(doc) : undefined;
  }

  async createRegisteredModel(info: RegisteredModelInfo): Promise<void> {
    const body: Record<string, unknown> = { name: info.name };
    if (info.description) body.description = info.description;
    if (info.tags.length) body.tags = info.tags.map((t) => ({ key: t.key, value: t.value }));
    await this.send('POST', 'registered-models/create', body);
  }

  async setRegisteredModelTags(name: string, tags: KeyValue[]): Promise<void> {
    for (const tag of tags) await this.send('POST', 'registered-models/set-tag', { name, key: tag.key, value: tag.value });
  }

  private async create(body: Record<string, unknown>): Promise<string> {
    const doc = asRecord(await this.send('POST', 'model-versions/create', body));
    const version = String(asRecord(doc.model_version).version ?? '');
    if (version === '') throw new Error(`model-versions/create on ${this.client.displayUri} answered no version`);
    return version;
  }

  /**
   * Deleted numbers are never reused, so a wanted number above the next one is reached by
   * creating and deleting placeholder versions (neutral source, no model) until the number before
   * it is used up. A wanted number below the next one cannot be had: the next one is answered.
   */
  async createVersion(init: VersionInit, wanted?: number): Promise<string> {
    const body: Record<string, unknown> = { name: init.name, source: init.source };
    if (init.runId) body.run_id = init.runId;
    if (init.modelId) body.model_id = init.modelId;
    if (init.description) body.description = init.description;
    if (init.tags.length) body.tags = init.tags.map((t) => ({ key: t.key, value: t.value }));
    if (wanted !== undefined) {
      // Deleted numbers are invisible: the next number is at least the highest one listed + 1
      // (listed once per model, then followed as versions are created here).
      let next = this.next.get(init.name) ?? Math.max(0, ...(await this.listVersions(init.name)).map((v) => Number(v.version))) + 1;
      while (next < wanted) {
        const placeholder = Number(await this.create({ name: init.name, source: PLACEHOLDER_SOURCE }));
        await this.deleteVersion(init.name, String(placeholder));
        next = placeholder + 1;
      }
    }
    const version = await this.create(body);
    this.next.set(init.name, Number(version) + 1);
    return version;
  }

  async deleteVersion(name: string, version: string): Promise<void> {
    await this.send('DELETE', 'model-versions/delete', { name, version });
  }

  async setVersionTags(name: string, version: string, tags: KeyValue[]): Promise<void> {
    for (const tag of tags) await this.send('POST', 'model-versions/set-tag', { name, version, key: tag.key, value: tag.value });
  }

  async setStage(name: string, version: string, stage: string): Promise<void> {
    await this.send('POST', 'model-versions/transition-stage', { name, version, stage, archive_existing_versions: false });
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.send('POST', 'registered-models/alias', { name, alias, version });
  }
}
