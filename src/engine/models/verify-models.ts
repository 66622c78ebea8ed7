/**
 * verify for MLflow 3 objects: every selected logged model is paired with its copy through the
 * provenance tags (old_sys/project, old_sys/model_id) and compared - name, type, status, source
 * run (remapped), params, tags, metrics (run remapped, exact duplicates once), files by size and
 * sha256 - and every run copy's model links are compared with the source's, remapped. With
 * `registry`, the registered models copy --registry would take are compared too: description,
 * tags, versions (matched by old_sys/registered_model + old_sys/model_version; description, tags,
 * stage, run and model remapped) and aliases through the version mapping.
 */
import { isPrompt } from '../prompts/prompt-tags.js';
import { verifyPrompts, type VerifyPromptResult } from '../prompts/verify-prompts.js';
import { selectPrompts } from '../prompts/linked-prompts.js';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { SourceProject, Store } from '../../backends/contract.js';
import {
  modelLinksOf,
  readRunLinks,
  registryOf,
  sourceModelsOf,
  type LoggedModelInfo,
  type ModelMetric,
  type ModelVersionInfo,
  type SourceModel,
} from '../../backends/model-contract.js';
import { LINK_PROVENANCE, MODEL_PROVENANCE, MODEL_PROVENANCE_KEYS, MODEL_VERSIONS_TAG, VERSION_PROVENANCE } from '../../model/model-provenance.js';
import type { KeyValue, RunInfo } from '../../model/run.js';
import { errorMessage } from '../../util/errors.js';
import { unsafePathReason } from '../paths.js';
import { runPool } from '../pool.js';
import { prepareValues } from '../runs/prepare.js';
import type { VerifyStatus } from '../verify.js';

export interface VerifyModelResult {
  sourceModelId: string;
  name: string;
  targetModelIds: string[];
  status: VerifyStatus;
  differences: string[];
  /** What was not compared, and why (metric rows of deleted run copies a server takes no writes on). */
  notCompared?: string[];
  files: number;
  bytes: number;
}

export interface VerifyLinkResult {
  sourceRunId: string;
  targetRunId: string;
  /** skipped: a deleted run copy on a store that takes no writes on deleted runs has no links (copy reported it). */
  status: 'ok' | 'different' | 'error' | 'skipped';
  differences: string[];
}

export interface VerifyRegistryResult {
  name: string;
  status: 'ok' | 'missing' | 'different' | 'error';
  differences: string[];
  /** Source version -> target version. */
  versions: Record<string, string>;
}

export interface VerifyModelsReport {
  clean: boolean;
  /** Why the models were not compared at all (a target that cannot hold them). */
  notCompared?: string;
  models: VerifyModelResult[];
  links: VerifyLinkResult[];
  /** Model copies in the target whose source model is not in the source project. */
  extra: Array<{ sourceModelId: string; targetModelId: string }>;
  registry?: VerifyRegistryResult[];
  /** With --registry: the prompts of the experiment (engine/prompts/verify-prompts.ts). */
  prompts?: VerifyPromptResult[];
}

export interface VerifyModelsInput {
  sourceStore: Store;
  targetStore: Store;
  source: SourceProject;
  target: SourceProject;
  sourceProjectName: string;
  sourceWorkspace: string;
  targetWorkspace: string;
  runs: RunInfo[];
  /** Which models go with the selected runs, as for copy (project-models.ts modelSelector). */
  selectModel(info: LoggedModelInfo): boolean;
  /** Source run id -> the complete copy's run info. */
  runCopies: Map<string, RunInfo>;
  registry: boolean;
  workers: number;
}

interface TargetCopy {
  info: LoggedModelInfo;
  complete: boolean;
}

export async function verifyModels(input: VerifyModelsInput): Promise<VerifyModelsReport | undefined> {
  const sourceModels = sourceModelsOf(input.source);
  if (!sourceModels && !input.registry) return undefined;
  const listed: LoggedModelInfo[] = [];
  const projectModels = new Set<string>();
  if (sourceModels) {
    for await (const info of sourceModels.listModels()) {
      projectModels.add(info.modelId);
      if (input.selectModel(info)) listed.push(info);
    }
  }
  const targetModels = sourceModelsOf(input.target);
  if (!targetModels && !input.registry) {
    // Copy reported each model as unsupported by such a target; nothing to compare here.
    const reason = `${input.targetStore.kind} stores hold no logged models: ${listed.length} model(s) not compared`;
    return { clean: true, models: [], links: [], extra: [], notCompared: reason };
  }
  const copies = new Map<string, TargetCopy[]>();
  if (targetModels) {
    for await (const info of targetModels.listModels()) {
      const tags = new Map((await (await targetModels.openModel(info)).tags()).map((t) => [t.key, t.value]));
      const sourceId = tags.get(MODEL_PROVENANCE.modelId);
      if (!sourceId || tags.get(MODEL_PROVENANCE.project) !== input.sourceProjectName) continue;
      copies.set(sourceId, [...(copies.get(sourceId) ?? []), { info, complete: tags.has(MODEL_PROVENANCE.completed) }]);
    }
  }
  const runTargetId = new Map([...input.runCopies].map(([sourceId, info]) => [sourceId, info.runId]));
  const deletedCopies = new Set([...input.runCopies.values()].filter((info) => info.deleted).map((info) => info.runId));
  const modelTargetId = new Map<string, string>();
  const models: VerifyModelResult[] = new Array(listed.length);
  await runPool(listed, input.workers, async (info, index) => {
    const found = copies.get(info.modelId) ?? [];
    const complete = found.filter((c) => c.complete);
    const result: VerifyModelResult = { sourceModelId: info.modelId, name: info.name, targetModelIds: found.map((c) => c.info.modelId), status: 'ok', differences: [], files: 0, bytes: 0 };
    models[index] = result;
    if (found.length === 0) return void Object.assign(result, { status: 'missing', differences: ['no copy in the target'] });
    if (complete.length === 0) return void Object.assign(result, { status: 'partial', differences: ['the copy has no completion marker'] });
    if (complete.length > 1) return void Object.assign(result, { status: 'duplicated', differences: [`${complete.length} complete copies`] });
    modelTargetId.set(info.modelId, complete[0]!.info.modelId);
    try {
      await compareModel(await sourceModels!.openModel(info), await targetModels!.openModel(complete[0]!.info), input.targetStore, runTargetId, deletedCopies, result);
      if (result.differences.length) result.status = 'different';
    } catch (error) {
      result.status = 'error';
      result.differences.push(errorMessage(error));
    }
  });
  for (const [sourceId, list] of copies) {
    const done = list.find((c) => c.complete);
    if (done && !modelTargetId.has(sourceId)) modelTargetId.set(sourceId, done.info.modelId);
  }
  const links = projectModels.size > 0 ? await verifyLinks(input, modelTargetId) : [];
  // Complete copies whose source model is not (any more) in the source project.
  const extra: VerifyModelsReport['extra'] = [];
  for (const [sourceModelId, list] of copies) {
    if (projectModels.has(sourceModelId)) continue;
    for (const copy of list) extra.push({ sourceModelId, targetModelId: copy.info.modelId });
  }
  const report: VerifyModelsReport = { clean: true, models, links, extra };
  if (input.registry) report.registry = await verifyRegistry(input, runTargetId, modelTargetId, new Set(listed.map((m) => m.modelId)));
  if (input.registry) report.prompts = await verifyExperimentPrompts(input);
  report.clean =
    extra.length === 0 &&
    models.every((m) => m.status === 'ok') &&
    links.every((l) => l.status === 'ok' || l.status === 'skipped') &&
    (report.registry ?? []).every((r) => r.status === 'ok') &&
    (report.prompts ?? []).every((p) => p.status === 'ok');
  return report;
}

const show = (value: unknown) => (value === undefined ? '(none)' : JSON.stringify(value));

function keyValueDiff(field: string, want: KeyValue[], got: KeyValue[], differences: string[]): void {
  const have = new Map(got.map((kv) => [kv.key, kv.value]));
  for (const kv of want) {
    const value = have.get(kv.key);
    if (value === undefined) differences.push(`${field} ${kv.key}: missing in the copy`);
    else if (value !== kv.value) differences.push(`${field} ${kv.key}: source ${show(kv.value)}, copy ${show(value)}`);
    have.delete(kv.key);
  }
  for (const key of have.keys()) differences.push(`${field} ${key}: only in the copy`);
}

/** Tags compared: what the user set, not provenance or what the registry writes by itself. */
function userTags(tags: KeyValue[]): KeyValue[] {
  return tags.filter((t) => t.key !== MODEL_VERSIONS_TAG && !MODEL_PROVENANCE_KEYS.has(t.key) && !t.key.startsWith('old_sys/'));
}

function metricKey(m: ModelMetric, runId: string | undefined): string {
  const value = Number.isNaN(m.value) ? 'NaN' : String(m.value);
  return JSON.stringify([m.key, value, m.timestamp, String(m.step), runId ?? '', m.datasetName ?? '', m.datasetDigest ?? '']);
}

async function compareModel(
  source: SourceModel,
  copy: SourceModel,
  targetStore: Store,
  runTargetId: Map<string, string>,
  deletedCopies: Set<string>,
  result: VerifyModelResult,
): Promise<void> {
  const d = result.differences;
  const a = source.info;
  const b = copy.info;
  if (a.name !== b.name) d.push(`name: source ${show(a.name)}, copy ${show(b.name)}`);
  if ((a.modelType ?? '') !== (b.modelType ?? '')) d.push(`model_type: source ${show(a.modelType)}, copy ${show(b.modelType)}`);
  if (a.status !== b.status) d.push(`status: source ${a.status}, copy ${b.status}`);
  const wantRun = a.sourceRunId ? runTargetId.get(a.sourceRunId) : undefined;
  if ((wantRun ?? '') !== (b.sourceRunId ?? '')) d.push(`source_run_id: expected ${show(wantRun)}, copy ${show(b.sourceRunId)}`);
  const expected = prepareValues(await source.params(), userTags(await source.tags()), targetStore, undefined, []);
  keyValueDiff('param', expected.params, await copy.params(), d);
  keyValueDiff('tag', expected.tags, userTags(await copy.tags()), d);

  const want = new Map<string, string>();
  for (const m of await source.metrics()) {
    const runId = m.runId ? runTargetId.get(m.runId) : undefined;
    if (runId) want.set(metricKey(m, runId), runId);
  }
  const got = new Set((await copy.metrics()).map((m) => metricKey(m, m.runId)));
  for (const [key, runId] of want) {
    if (got.delete(key)) continue;
    if (deletedCopies.has(runId)) (result.notCompared ??= []).push(`metric row ${key}: logged by a deleted run copy, which takes no writes here`);
    else d.push(`metric row ${key}: missing in the copy`);
  }
  for (const key of got) d.push(`metric row ${key}: only in the copy`);

  const wantFiles = new Map<string, number>();
  for await (const file of source.files()) if (!unsafePathReason(file.path) && !targetStore.rejectPath?.(file.path)) wantFiles.set(file.path, file.size);
  const gotFiles = new Map<string, number>();
  for await (const file of copy.files()) gotFiles.set(file.path, file.size);
  for (const [path, size] of wantFiles) {
    const copySize = gotFiles.get(path);
    gotFiles.delete(path);
    if (copySize === undefined) {
      d.push(`file ${path}: missing in the copy`);
      continue;
    }
    result.files++;
    result.bytes += size;
    if (copySize !== size) {
      d.push(`file ${path}: ${size} bytes in the source, ${copySize} in the copy`);
      continue;
    }
    const [x, y] = await Promise.all([sha256(await source.openFile(path)), sha256(await copy.openFile(path))]);
    if (x !== y) d.push(`file ${path}: sha256 differs (source ${x}, copy ${y})`);
  }
  for (const path of gotFiles.keys()) d.push(`file ${path}: only in the copy`);
}

async function sha256(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}

async function verifyLinks(input: VerifyModelsInput, modelTargetId: Map<string, string>): Promise<VerifyLinkResult[]> {
  const out: VerifyLinkResult[] = [];
  await runPool(input.runs, input.workers, async (info) => {
    const copyInfo = input.runCopies.get(info.runId);
    if (!copyInfo) return;
    const result: VerifyLinkResult = { sourceRunId: info.runId, targetRunId: copyInfo.runId, status: 'ok', differences: [] };
    try {
      const want = await readRunLinks(input.source, info);
      if (!want || (want.outputs.length === 0 && want.inputs.length === 0)) return;
      const copyRun = await input.target.openRun(copyInfo);
      try {
        const got = (await modelLinksOf(copyRun)?.()) ?? { outputs: [], inputs: [] };
        if (info.deleted && copyInfo.deleted && got.outputs.length === 0 && got.inputs.length === 0) {
          result.status = 'skipped';
          result.differences.push('the run copy is deleted and holds no model links: not written by copy (a deleted run takes no writes), not compared');
          out.push(result);
          return;
        }
        const lostOutputs: string[] = [];
        const lostInputs: string[] = [];
        const wantOut = new Set<string>();
        for (const o of want.outputs) {
          const id = modelTargetId.get(o.modelId);
          if (id) wantOut.add(`${id}@${String(o.step)}`);
          else lostOutputs.push(o.modelId);
        }
        const wantIn = new Set<string>();
        for (const i of want.inputs) {
          const id = modelTargetId.get(i.modelId);
          if (id) wantIn.add(id);
          else lostInputs.push(i.modelId);
        }
        const gotOut = new Set(got.outputs.map((o) => `${o.modelId}@${String(o.step)}`));
        const gotIn = new Set(got.inputs.map((i) => i.modelId));
        for (const o of wantOut) if (!gotOut.delete(o)) result.differences.push(`model output ${o}: missing in the copy`);
        for (const o of gotOut) result.differences.push(`model output ${o}: only in the copy`);
        for (const i of wantIn) if (!gotIn.delete(i)) result.differences.push(`model input ${i}: missing in the copy`);
        for (const i of gotIn) result.differences.push(`model input ${i}: only in the copy`);
        const tags = new Map((await copyRun.tags()).map((t) => [t.key, t.value]));
        if (lostOutputs.length && !lostOutputs.every((id) => (tags.get(LINK_PROVENANCE.outputs) ?? '').includes(id)))
          result.differences.push(`links to models not copied (${lostOutputs.join(', ')}) are not kept in ${LINK_PROVENANCE.outputs}`);
        if (lostInputs.length && !lostInputs.every((id) => (tags.get(LINK_PROVENANCE.inputs) ?? '').includes(id)))
          result.differences.push(`links to models not copied (${lostInputs.join(', ')}) are not kept in ${LINK_PROVENANCE.inputs}`);
      } finally {
        await copyRun.close?.();
      }
    } catch (error) {
      result.status = 'error';
      result.differences.push(errorMessage(error));
    }
    if (result.differences.length && result.status === 'ok') result.status = 'different';
    out.push(result);
  });
  return out.sort((a, b) => (a.sourceRunId < b.sourceRunId ? -1 : 1));
}

async function verifyRegistry(
  input: VerifyModelsInput,
  runTargetId: Map<string, string>,
  modelTargetId: Map<string, string>,
  selectedModels: Set<string>,
): Promise<VerifyRegistryResult[]> {
  const source = await registryOf(input.sourceStore)?.openSourceRegistry(input.sourceWorkspace);
  if (!source) return [];
  const target = await registryOf(input.targetStore)?.openSourceRegistry(input.targetWorkspace);
  const selectedRuns = new Set(input.runs.map((r) => r.runId));
  const inProject = (v: ModelVersionInfo) => (v.runId !== undefined && selectedRuns.has(v.runId)) || (v.modelId !== undefined && selectedModels.has(v.modelId));
  const out: VerifyRegistryResult[] = [];
  const targetModels = new Map<string, { description?: string; tags: KeyValue[]; aliases: Array<{ alias: string; version: string }> }>();
  if (target) for await (const rm of target.listRegisteredModels()) targetModels.set(rm.name, rm);
  for await (const rm of source.listRegisteredModels()) {
    // Prompts are not copied as registered models (the copy reports them as not-copied).
    if (isPrompt(rm.tags)) continue;
    const versions = await source.listVersions(rm.name);
    if (!versions.some(inProject)) continue;
    const result: VerifyRegistryResult = { name: rm.name, status: 'ok', differences: [], versions: {} };
    out.push(result);
    const copy = targetModels.get(rm.name);
    if (!target || !copy) {
      result.status = 'missing';
      result.differences.push('no registered model of that name in the target');
      continue;
    }
    try {
      const d = result.differences;
      if ((rm.description ?? '') !== (copy.description ?? '')) d.push(`description: source ${show(rm.description)}, copy ${show(copy.description)}`);
      const copyTags = new Map(copy.tags.map((t) => [t.key, t.value]));
      for (const t of rm.tags) if (copyTags.get(t.key) !== t.value) d.push(`tag ${t.key}: source ${show(t.value)}, copy ${show(copyTags.get(t.key))}`);
      const copies = new Map<string, ModelVersionInfo[]>();
      for (const v of await target.listVersions(rm.name)) {
        const tags = new Map(v.tags.map((t) => [t.key, t.value]));
        const sv = tags.get(VERSION_PROVENANCE.version);
        if (tags.get(VERSION_PROVENANCE.registeredModel) !== rm.name || sv === undefined || !tags.has(VERSION_PROVENANCE.completed)) continue;
        copies.set(sv, [...(copies.get(sv) ?? []), v]);
      }
      for (const v of versions) {
        if (!inProject(v)) continue;
        const found = copies.get(v.version) ?? [];
        if (found.length !== 1) {
          d.push(`version ${v.version}: ${found.length === 0 ? 'no complete copy' : `${found.length} complete copies`}`);
          continue;
        }
        const c = found[0]!;
        result.versions[v.version] = c.version;
        if ((v.description ?? '') !== (c.description ?? '')) d.push(`version ${v.version} description: source ${show(v.description)}, copy ${show(c.description)}`);
        if (v.stage !== c.stage) d.push(`version ${v.version} stage: source ${v.stage}, copy ${c.stage}`);
        const wantRun = v.runId ? runTargetId.get(v.runId) : undefined;
        if ((wantRun ?? '') !== (c.runId ?? '')) d.push(`version ${v.version} run_id: expected ${show(wantRun)}, copy ${show(c.runId)}`);
        const wantModel = v.modelId ? modelTargetId.get(v.modelId) : undefined;
        if (wantModel && wantModel !== c.modelId) d.push(`version ${v.version} model: expected ${wantModel}, copy ${show(c.modelId)}`);
        const ct = new Map(c.tags.map((t) => [t.key, t.value]));
        for (const t of v.tags) if (!t.key.startsWith('old_sys/') && !MODEL_PROVENANCE_KEYS.has(t.key) && ct.get(t.key) !== t.value) d.push(`version ${v.version} tag ${t.key}: source ${show(t.value)}, copy ${show(ct.get(t.key))}`);
      }
      const copyAliases = new Map(copy.aliases.map((a) => [a.alias, a.version]));
      for (const a of rm.aliases) {
        const want = result.versions[a.version];
        if (want === undefined) continue;
        if (copyAliases.get(a.alias) !== want) d.push(`alias ${a.alias}: expected version ${want}, copy ${show(copyAliases.get(a.alias))}`);
      }
      if (d.length) result.status = 'different';
    } catch (error) {
      result.status = 'error';
      result.differences.push(errorMessage(error));
    }
  }
  return out;
}

async function verifyExperimentPrompts(input: VerifyModelsInput): Promise<VerifyPromptResult[] | undefined> {
  const sourceExperimentId = input.source.meta.id;
  const source = await registryOf(input.sourceStore)?.openSourceRegistry(input.sourceWorkspace);
  if (!source || sourceExperimentId === undefined) return undefined;
  const target = await registryOf(input.targetStore)?.openSourceRegistry(input.targetWorkspace);
  const selected = await selectPrompts({ registry: source, experimentId: sourceExperimentId, project: input.source, runs: input.runs });
  // One registry on both sides (another experiment of the same store and workspace): the copy
  // leaves the source's prompts as they are, so they do not name the target experiment.
  const shared = input.sourceStore.identity === input.targetStore.identity && input.sourceWorkspace === input.targetWorkspace;
  return verifyPrompts({ source, prompts: selected.map((s) => s.prompt), target, sourceExperimentId, targetExperimentId: shared ? undefined : input.target.meta.id });
}
