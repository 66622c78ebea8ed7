/**
 * The model registry's state and JSON shapes (registered models, versions, tags, aliases), per
 * workspace like experiments. Field presence as recorded from 3.11: a version's description,
 * run_id and run_link are "" when unset (present), current_stage "None"; tags and aliases are
 * left out when empty; a registered model leaves description/tags/aliases/latest_versions out.
 */
import { notFound } from './errors.js';
import type { Store } from './store.js';

export const STAGES = ['None', 'Staging', 'Production', 'Archived'];

export interface ModelVersion {
  version: number;
  creationTs: number;
  lastUpdatedTs: number;
  stage: string;
  /** undefined after an update without a description: the key then disappears (recorded). */
  description: string | undefined;
  source: string;
  runId: string;
  runLink: string;
  status: string;
  tags: Map<string, string>;
  /** Where the files are (a models:/ source resolves to the logged model's artifact URI). */
  storageLocation: string;
  modelId?: string;
}

export interface RegisteredModel {
  workspace: string;
  name: string;
  creationTs: number;
  lastUpdatedTs: number;
  description?: string;
  tags: Map<string, string>;
  aliases: Map<string, number>;
  versions: Map<number, ModelVersion>;
  /** Deleted version numbers are not reused (recorded). */
  lastVersion: number;
}

export const registryKey = (ws: string, name: string) => `${ws}\u0000${name}`;

export function getRegisteredModel(store: Store, ws: string, name: string): RegisteredModel {
  const rm = store.registry.get(registryKey(ws, name));
  if (!rm) throw notFound(`Registered Model with name=${name} not found`);
  return rm;
}

export function getVersion(rm: RegisteredModel, version: number): ModelVersion {
  const mv = rm.versions.get(version);
  if (!mv) throw notFound(`Model Version (name=${rm.name}, version=${version}) not found`);
  return mv;
}

/** Registry tags come back in the order they were first written (recorded: prompts-register-load, prompts-registry-views). */
const inWriteOrder = (m: Map<string, string>) => [...m].map(([key, value]) => ({ key, value }));

export function versionJson(rm: RegisteredModel, mv: ModelVersion, withAliases: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: rm.name,
    version: String(mv.version),
    creation_timestamp: mv.creationTs,
    last_updated_timestamp: mv.lastUpdatedTs,
    current_stage: mv.stage,
  };
  if (mv.description !== undefined) out.description = mv.description;
  out.source = mv.source;
  out.run_id = mv.runId;
  out.status = mv.status;
  if (mv.tags.size) out.tags = inWriteOrder(mv.tags);
  out.run_link = mv.runLink;
  if (withAliases) {
    const aliases = [...rm.aliases].filter(([, v]) => v === mv.version).map(([a]) => a).sort();
    if (aliases.length) out.aliases = aliases;
  }
  return out;
}

/** The newest version per stage, listed by version number. */
export function latestVersions(rm: RegisteredModel, stages?: string[]): ModelVersion[] {
  const perStage = new Map<string, ModelVersion>();
  for (const mv of rm.versions.values()) {
    if (stages?.length && !stages.includes(mv.stage)) continue;
    const seen = perStage.get(mv.stage);
    if (!seen || mv.version > seen.version) perStage.set(mv.stage, mv);
  }
  return [...perStage.values()].sort((a, b) => a.version - b.version);
}

export function registeredModelJson(rm: RegisteredModel): Record<string, unknown> {
  const out: Record<string, unknown> = { name: rm.name, creation_timestamp: rm.creationTs, last_updated_timestamp: rm.lastUpdatedTs };
  if (rm.description) out.description = rm.description;
  const latest = latestVersions(rm);
  if (latest.length) out.latest_versions = latest.map((mv) => versionJson(rm, mv, false));
  if (rm.tags.size) out.tags = inWriteOrder(rm.tags);
  if (rm.aliases.size)
    out.aliases = [...rm.aliases]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([alias, version]) => ({ alias, version: String(version) }));
  return out;
}

export function registeredModelsIn(store: Store, ws: string): RegisteredModel[] {
  return [...store.registry.values()].filter((rm) => rm.workspace === ws);
}
