/**
 * The MLflow 3 part of a project copy, after its runs: logged models and run<->model links
 * (copy-models.ts), then with `registry` the registered models that point at them
 * (copy-registry.ts). Returns undefined when the source has no logged models to offer (and no
 * registry was asked for) or the copy was interrupted.
 */
import type { SourceProject, Store, TargetProject } from '../../backends/contract.js';
import { registryOf, type LoggedModelInfo } from '../../backends/model-contract.js';
import { inShard } from '../filters.js';
import { UsageError } from '../../util/errors.js';
import type { RunInfo } from '../../model/run.js';
import { copyModels } from './copy-models.js';
import { ModelCopyReader } from './model-copy-reader.js';
import { copyRegistry } from '../registry/copy-registry.js';
import { copyExperimentPrompts } from '../prompts/project-prompts.js';
import { summariseModels, type ModelsReport } from './model-types.js';
import type { Provenance } from '../runs/prepare.js';
import type { CopyEvent, CopyOptions, RunFilters, RunResult, Shard } from '../types.js';

export interface ProjectModelsInput {
  options: CopyOptions;
  source: SourceProject;
  target: TargetProject | undefined;
  origin: Provenance;
  /** Every run the source listed (before filters and shard). */
  listedRunIds: { has(runId: string): boolean };
  /** Complete run copies found in the target before this copy (source run id -> target run id). */
  earlierCopies: Map<string, string>;
  runs: RunInfo[];
  results: RunResult[];
  emit(event: CopyEvent): void;
}

/** `--registry` between stores that have one, checked before anything is written (DESIGN rule 7). */
export function checkRegistryRequest(source: Store, target: Store, registry: boolean | undefined, writing: boolean): void {
  if (!registry) return;
  if (!registryOf(source)) throw new UsageError(`--registry: ${source.kind} stores have no model registry to copy or compare`);
  const access = registryOf(target);
  if (!access || (writing && !access.openTargetRegistry)) {
    throw new UsageError(`--registry: ${target.kind} stores cannot hold a model registry; leave out --registry or choose an MLflow server or an mlruns folder as target`);
  }
}

/**
 * Which logged models go with the selected runs: a model whose source run is selected; without a
 * run filter also every model whose run is not listed at all (no run, or a deleted run left out),
 * shared out by the model's own id when sharding. A run filter selects models by source run only.
 */
export function modelSelector(filters: RunFilters, shard: Shard | undefined, listed: { has(runId: string): boolean }, selectedRuns: RunInfo[]): (info: LoggedModelInfo) => boolean {
  const filtered = Object.values(filters).some((value) => value !== undefined && !(Array.isArray(value) && value.length === 0));
  // Built when a model is asked about: most projects have none, and 10,000 runs make a set of 0.3 MB.
  let selected: Set<string> | undefined;
  return (info) => {
    selected ??= new Set(selectedRuns.map((run) => run.runId));
    if (info.sourceRunId !== undefined && selected.has(info.sourceRunId)) return true;
    if (filtered || (info.sourceRunId !== undefined && listed.has(info.sourceRunId))) return false;
    return inShard(info.modelId, shard);
  };
}

export async function copyProjectModels(input: ProjectModelsInput): Promise<ModelsReport | undefined> {
  const { options, emit } = input;
  // An interrupted copy stops after its runs; the next copy takes the models.
  if (options.signal?.aborted) return undefined;
  const dryRun = options.dryRun ?? false;
  // Built when first needed: a project without models or registry never needs it.
  let runCopies: Map<string, string> | undefined;
  const copiesOfRuns = (): Map<string, string> => {
    if (runCopies) return runCopies;
    runCopies = new Map<string, string>(input.earlierCopies);
    for (const result of input.results) {
      if (result?.targetRunId && (result.outcome === 'copied' || result.outcome === 'skipped')) runCopies.set(result.sourceRunId, result.targetRunId);
    }
    return runCopies;
  };
  // A sync reads model copies back through the target's own reader (model-copy-reader.ts).
  const copyReader = new ModelCopyReader(options.target.store, options.target.project);
  const copied = await copyModels({
    source: input.source,
    targetStore: options.target.store,
    target: input.target,
    dryRun,
    origin: input.origin,
    runs: input.runs,
    selectModel: modelSelector(options.filters ?? {}, options.shard, input.listedRunIds, input.runs),
    get runCopies() {
      return copiesOfRuns();
    },
    listedRunIds: input.listedRunIds,
    workers: Math.max(1, options.workers ?? 4),
    onBytes: (bytes) => emit({ type: 'progress', points: 0, bytes }),
    onModelDone: (result) =>
      emit({ type: 'info', message: `logged model ${result.name} (${result.sourceModelId}): ${result.outcome}${result.reason ? ` - ${result.reason}` : ''}` }),
    signal: options.signal,
    update: options.update ?? true,
    copyReader,
  }).finally(() => copyReader.close());
  if (!copied && !options.registry) return undefined;
  const report: Omit<ModelsReport, 'summary'> = { models: copied?.models ?? [], links: copied?.links ?? [] };
  if (options.registry) {
    report.registry = await copyRegistry({
      sourceStore: options.source.store,
      targetStore: options.target.store,
      sourceWorkspace: options.source.project.workspace,
      targetWorkspace: options.target.project.workspace,
      dryRun,
      origin: input.origin,
      runCopies: copiesOfRuns(),
      selectedRuns: new Set(input.runs.map((run) => run.runId)),
      modelCopies: copied?.modelCopies ?? new Map(),
      selectedModels: new Set((copied?.models ?? []).map((m) => m.sourceModelId)),
      emit,
    });
    report.prompts = await copyExperimentPrompts(input, dryRun);
  }
  return { summary: summariseModels(report), ...report };
}
