/**
 * The evaluation-datasets part of a project copy, after runs, models and traces (copy-project.ts
 * calls it): datasets have no links to runs or traces that need remapping, but a dataset record's
 * source may name a trace, so they come last. Between stores that can hold them the datasets are
 * copied (copy-datasets.ts); a target that cannot hold them (an mlruns folder, an archive) gets
 * a "not copied" entry per dataset with its record count and the reason; a source that cannot
 * (mlruns, a Neptune archive) makes the section "not applicable".
 */
import type { SourceProject, TargetProject } from '../../backends/contract.js';
import type { Provenance } from '../runs/prepare.js';
import type { CopyEvent, CopyOptions } from '../types.js';
import { sourceDatasetsOf, targetDatasetsOf } from './contract.js';
import { copyDatasets } from './copy-datasets.js';
import { inShard } from '../filters.js';
import { summariseDatasets, type DatasetResult, type DatasetsReport } from './types.js';

export interface ProjectDatasetsInput {
  options: CopyOptions;
  source: SourceProject;
  target: TargetProject | undefined;
  origin: Provenance;
  emit(event: CopyEvent): void;
}

export async function copyProjectDatasets(input: ProjectDatasetsInput): Promise<DatasetsReport> {
  const { options, emit } = input;
  const dryRun = options.dryRun ?? false;
  const source = sourceDatasetsOf(input.source);
  if (!source) {
    return { summary: summariseDatasets([]), notApplicable: `${options.source.store.kind} stores hold no evaluation datasets: not applicable`, datasets: [] };
  }
  const target = targetDatasetsOf(input.target);
  const say = (result: DatasetResult): void =>
    emit({ type: 'info', message: `evaluation dataset ${result.name} (${result.sourceDatasetId}): ${result.outcome}${result.reason ? ` - ${result.reason}` : ''}` });

  // A target project that exists but cannot take datasets: count what stays behind, write nothing.
  if (input.target && !target) {
    const reason = `${options.target.store.kind} stores cannot hold evaluation datasets (MLflow keeps them only in a tracking database)`;
    const results: DatasetResult[] = [];
    for await (const dataset of source.listDatasets()) {
      if (options.shard && !inShard(dataset.datasetId, options.shard)) continue;
      const result: DatasetResult = { sourceDatasetId: dataset.datasetId, name: dataset.name, outcome: 'not-copied', reason, records: { source: 0, written: 0, alreadyThere: 0, merged: 0, replaced: 0, deleted: 0 } };
      for await (const page of source.readDatasetRecords(dataset.datasetId)) result.records.source += page.length;
      results.push(result);
      say(result);
    }
    return { summary: summariseDatasets(results), ...(results.length > 0 ? { notCopied: reason } : {}), datasets: results };
  }
  if (options.signal?.aborted) return { summary: summariseDatasets([]), datasets: [] };
  // Parallel shards never write the same dataset: each takes the datasets whose id falls in its share.
  const select = options.shard ? (datasetId: string) => inShard(datasetId, options.shard) : undefined;
  const results = await copyDatasets({ source, target, dryRun, origin: input.origin, signal: options.signal, ...(select ? { select } : {}), onDatasetDone: say });
  return { summary: summariseDatasets(results), datasets: results };
}
