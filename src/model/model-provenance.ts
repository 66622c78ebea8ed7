/**
 * Provenance of copied logged models, run<->model links and registry versions, in the scheme of
 * runs (provenance.ts): `old_sys/*` keeps what the target cannot take, the completion marker is
 * written last. A model copy is matched to its source by (old_sys/project, old_sys/model_id).
 */
import { PROVENANCE } from './provenance.js';

export const MODEL_PROVENANCE = {
  modelId: 'old_sys/model_id',
  project: PROVENANCE.project,
  uri: PROVENANCE.uri,
  experimentId: PROVENANCE.experimentId,
  artifactUri: PROVENANCE.artifactUri,
  creationTime: 'old_sys/creation_timestamp',
  /** The source run of a model whose run was not copied. */
  sourceRunId: 'old_sys/source_run_id',
  completed: PROVENANCE.completed,
} as const;

/** On a run copy: links to models that were not copied, as JSON lists of the source ids. */
export const LINK_PROVENANCE = {
  outputs: 'old_sys/model_outputs',
  inputs: 'old_sys/model_inputs',
} as const;

/** On a registry version copy. */
export const VERSION_PROVENANCE = {
  registeredModel: 'old_sys/registered_model',
  version: 'old_sys/model_version',
  uri: PROVENANCE.uri,
  /** A run or logged model the version points at that was not copied. */
  runId: 'old_sys/run_id',
  modelId: 'old_sys/model_id',
  source: 'old_sys/source',
  completed: PROVENANCE.completed,
} as const;

/** Kept by the registry itself: MLflow appends to it when a version is created from the model. */
export const MODEL_VERSIONS_TAG = 'mlflow.modelVersions';

export const MODEL_PROVENANCE_KEYS: ReadonlySet<string> = new Set([
  ...Object.values(MODEL_PROVENANCE),
  ...Object.values(PROVENANCE),
]);
