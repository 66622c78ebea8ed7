/** JSON shapes of experiments, runs and logged models as the 3.11 server emits them (empty lists omitted). */
import { pointJson } from './metrics.js';
import type { Experiment, LoggedModel, Run } from './store.js';

const kvList = (m: Map<string, string>) => [...m].map(([key, value]) => ({ key, value }));
/** Logged-model tags and params come back sorted by key (SQL order). */
const sortedKvList = (m: Map<string, string>) => kvList(m).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

export function experimentJson(e: Experiment): Record<string, unknown> {
  const out: Record<string, unknown> = {
    experiment_id: e.id,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycle,
    last_update_time: e.lastUpdateTime,
    creation_time: e.creationTime,
  };
  if (e.tags.size) out.tags = kvList(e.tags);
  return out;
}

export function runInfoJson(r: Run): Record<string, unknown> {
  const out: Record<string, unknown> = {
    run_uuid: r.id,
    experiment_id: r.experimentId,
    run_name: r.name,
    user_id: r.userId,
    status: r.status,
    start_time: r.startTime,
  };
  if (r.endTime !== undefined) out.end_time = r.endTime;
  out.artifact_uri = r.artifactUri;
  out.lifecycle_stage = r.lifecycle;
  out.run_id = r.id;
  return out;
}

/**
 * `withOutputs`: runs/get and runs/search answer `outputs`, runs/create does not.
 * `withModelInputs`: only runs/get lists `inputs.model_inputs` (runs/search never does).
 */
export function runJson(r: Run, withOutputs: boolean, withModelInputs = withOutputs): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  const metrics = [...r.metrics.values()].filter((s) => s.latest).map((s) => pointJson(s.key, s.latest!));
  if (metrics.length) data.metrics = metrics;
  if (r.params.size) data.params = kvList(r.params);
  if (r.tags.size) data.tags = kvList(r.tags);
  const inputs: Record<string, unknown> = {};
  if (r.datasetInputs.length)
    inputs.dataset_inputs = r.datasetInputs.map((d) => {
      const dataset: Record<string, unknown> = { name: d.name, digest: d.digest, source_type: d.sourceType, source: d.source };
      if (d.schema) dataset.schema = d.schema;
      if (d.profile) dataset.profile = d.profile;
      return d.tags.length ? { tags: d.tags, dataset } : { dataset };
    });
  if (withModelInputs && r.modelInputs.length) inputs.model_inputs = r.modelInputs.map((model_id) => ({ model_id }));
  const out: Record<string, unknown> = { info: runInfoJson(r), data, inputs };
  if (withOutputs) {
    const outputs: Record<string, unknown> = {};
    // Listed by model id (the recording shows an empty model id before an m-... one).
    const sorted = [...r.modelOutputs].sort((a, b) => (a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : 0));
    if (sorted.length) outputs.model_outputs = sorted.map((o) => ({ model_id: o.modelId, step: o.step }));
    out.outputs = outputs;
  }
  return out;
}

export function loggedModelJson(m: LoggedModel, withMetrics: boolean): Record<string, unknown> {
  const info: Record<string, unknown> = {
    model_id: m.id,
    experiment_id: m.experimentId,
    name: m.name,
    creation_timestamp_ms: m.creationTs,
    last_updated_timestamp_ms: m.lastUpdatedTs,
    artifact_uri: m.artifactUri,
    status: m.status,
  };
  info.model_type = m.modelType;
  info.source_run_id = m.sourceRunId;
  if (m.tags.size) info.tags = sortedKvList(m.tags);
  const data: Record<string, unknown> = {};
  if (m.params.size) data.params = sortedKvList(m.params);
  if (withMetrics && m.metrics.length)
    data.metrics = m.metrics.map((x) => {
      // NaN is stored as 0.0 in logged_model_metrics (recorded).
      const o: Record<string, unknown> = { key: x.key, value: Number.isNaN(x.value) ? 0 : x.value, timestamp: x.ts, step: x.step };
      if (x.datasetName) o.dataset_name = x.datasetName;
      if (x.datasetDigest) o.dataset_digest = x.datasetDigest;
      o.model_id = m.id;
      o.run_id = x.runId;
      return o;
    });
  return { info, data };
}
