/**
 * The traces part of a project copy, after runs and logged models (copy-project.ts calls it):
 * the traces themselves (copy-traces.ts), and the GenAI objects of the experiment that this
 * version reports but does not copy (evaluation datasets, prompts, scorers: issue 17).
 * Returns undefined when neither the source nor the target knows traces (e.g. archive to archive).
 */
import type { SourceProject, Store, TargetProject } from '../../backends/contract.js';
import type { ModelsReport } from '../models/model-types.js';
import type { Provenance } from '../runs/prepare.js';
import type { CopyEvent, CopyOptions, RunResult } from '../types.js';
import type { RunInfo } from '../../model/run.js';
import { traceSelector } from './select.js';
import { genaiInventoryOf, sourceTracesOf, type GenaiInventory } from './contract.js';
import { copyTraces } from './copy-traces.js';
import { linkTracesToRuns, traceRunLinksOf, type RunLinkMap } from './run-links.js';
import { linkCopiedTraces, NO_PROMPT_COPY, promptVersionMap, sourceAssociations, type PromptLinkPlan } from './prompt-links.js';
import { summariseTraces, type NotCopiedKind, type TracesReport } from './types.js';

export interface ProjectTracesInput {
  options: CopyOptions;
  source: SourceProject;
  target: TargetProject | undefined;
  origin: Provenance;
  /** Complete run copies found in the target before this copy (source run id -> target run id). */
  earlierCopies: Map<string, string>;
  results: RunResult[];
  /** The selected runs (after filters and shard). */
  runs: RunInfo[];
  models: ModelsReport | undefined;
  emit(event: CopyEvent): void;
}

const TRACE_WORKERS = 32;


const PROMPTS_NEED_REGISTRY = 'prompts live in the model registry: they are copied with --registry (docs/genai-datasets-prompts-scorers.md)';

/** With `registry`, prompts are copied (and verified) by the prompt copy, so they are not listed here. */
export function notCopiedKinds(inventory: GenaiInventory, registry = false): NotCopiedKind[] {
  const kinds: NotCopiedKind[] = [];
  if (inventory.prompts && !registry) kinds.push({ kind: 'prompts', count: inventory.prompts, reason: PROMPTS_NEED_REGISTRY });
  // Scorers (scorers/project-scorers.ts) and evaluation datasets (datasets/project-datasets.ts) report themselves.
  return kinds;
}

/** Why traces do not apply between these stores, or undefined when they do. */
export function tracesNotApplicable(sourceStore: Store, source: SourceProject): string | undefined {
  return sourceTracesOf(source) ? undefined : `${sourceStore.kind} stores hold no MLflow traces: traces are not applicable`;
}

export async function copyProjectTraces(input: ProjectTracesInput): Promise<TracesReport | undefined> {
  const { options, emit } = input;
  const notApplicable = tracesNotApplicable(options.source.store, input.source);
  // With --registry the prompt copy reports prompts itself: no need to count them here.
  const inventory = options.registry ? {} : ((await genaiInventoryOf(input.source)?.genaiInventory()) ?? {});
  const notCopied = notCopiedKinds(inventory, options.registry ?? false);
  for (const kind of notCopied) emit({ type: 'info', message: `${kind.count} ${kind.kind} in the source: ${kind.reason}` });
  if (notApplicable) return { summary: summariseTraces([]), notApplicable, traces: [], notCopied };
  if (options.signal?.aborted) return undefined;

  const runCopies = new Map<string, string>(input.earlierCopies);
  for (const result of input.results) {
    if (result?.targetRunId && (result.outcome === 'copied' || result.outcome === 'skipped')) runCopies.set(result.sourceRunId, result.targetRunId);
  }
  const modelCopies = new Map<string, string>();
  for (const model of input.models?.models ?? []) {
    if (model.targetModelId && (model.outcome === 'copied' || model.outcome === 'skipped' || model.outcome === 'updated')) modelCopies.set(model.sourceModelId, model.targetModelId);
  }
  let selectedRuns: Set<string> | undefined;
  const promptLinks = await promptLinkPlan(input);
  // Read only when a trace is copied: an experiment without traces costs no request.
  let runLinks: Promise<RunLinkMap | undefined> | undefined;
  const runLinkReader = traceRunLinksOf(input.source);
  const sourceRunIds = () => [...new Set([...input.runs.map((run) => run.runId), ...runCopies.keys()])].sort();
  const copied = await copyTraces({
    source: input.source,
    sourceStore: options.source.store,
    targetStore: options.target.store,
    target: input.target,
    dryRun: options.dryRun ?? false,
    update: options.update ?? true,
    origin: input.origin,
    runCopies,
    modelCopies,
    promptLinks,
    ...(runLinkReader ? { sourceRunLinks: () => (runLinks ??= runLinkReader.traceRunLinks(sourceRunIds())), sourceRunLinksCopiesOnly: runLinkReader.searchedPerRun === true } : {}),
    // A trace is small (one held per worker) and its writes are short: more at once than runs, so
    // that a database's group commit and a server's connection pool get work to batch.
    workers: Math.max(TRACE_WORKERS, options.workers ?? 4),
    selectTrace: traceSelector(options.filters ?? {}, options.shard, () => (selectedRuns ??= new Set(input.runs.map((run) => run.runId)))),
    signal: options.signal,
    onTraceDone: (result) =>
      emit({ type: 'info', message: `trace ${result.name ?? ''} (${result.sourceTraceId}): ${result.outcome}${result.reason ? ` - ${result.reason}` : ''}${result.changes?.length ? `: ${result.changes.join(', ')}` : ''}` }),
  });
  if (!copied) return undefined;
  // The links to prompt versions come after both copies (prompt-links.ts): made where missing.
  await linkCopiedTraces(copied.traces, input.target, options.dryRun ?? false);
  // So do the links to runs (run-links.ts).
  await linkTracesToRuns(copied.traces, input.target, options.dryRun ?? false);
  return {
    summary: summariseTraces(copied.traces),
    ...(copied.notApplicable ? { notApplicable: copied.notApplicable } : {}),
    traces: copied.traces,
    notCopied,
  };
}

/** With --registry, the prompt copy (done before the traces) says which versions the links can point at. */
async function promptLinkPlan(input: ProjectTracesInput): Promise<PromptLinkPlan> {
  const prompts = input.models?.prompts;
  if (!input.options.registry || !prompts) return NO_PROMPT_COPY;
  const sourceVersions = prompts.flatMap((p) => p.versions.map((v) => ({ name: p.name, version: v.sourceVersion })));
  return {
    versions: promptVersionMap(prompts),
    associations: await sourceAssociations(input.source, sourceVersions),
    whyNotCopied: 'the prompt version was not copied (not in the source registry, or its copy failed: see the prompts section)',
  };
}
