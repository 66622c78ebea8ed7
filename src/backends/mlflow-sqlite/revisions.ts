/**
 * MLflow schema revisions (alembic_version.version_num) this tool has seen, to name them in the
 * log ("MLflow 3.11 (c3d6457b6d8a)"). This list decides nothing: a database is read or written by
 * its shape (schema-shape.ts), so a revision missing here is still read when its tables fit.
 *
 * Where the facts come from: each id, its parent (down_revision) and what it changes were read in
 * mlflow/mlflow's mlflow/store/db_migrations/versions/*.py; which release first shipped it comes
 * from public upgrade reports that quote MLflow's "found version X, but expected Y" error, where
 * one exists (named per entry), else from the migration's creation date (marked "about").
 */
export interface KnownRevision {
  revision: string;
  /** First MLflow release at this revision (approximate where marked). */
  release: string;
  /** What the migration changed, as far as this reader cares. */
  change: string;
}

export const KNOWN_REVISIONS: readonly KnownRevision[] = [
  // 2.x line
  { revision: '97727af70f4d', release: '2.0 (head until 2.2)', change: 'experiments.creation_time / last_update_time' },
  { revision: '3500859a5d39', release: '2.3 (G-Research/fasttrackml#303)', change: 'model registry aliases; no tracking change' },
  { revision: '7f2a7d5fae7d', release: '2.4 (head until 2.6, fasttrackml#303)', change: 'datasets, inputs, input_tags tables' },
  { revision: '2d6e25af4d3e', release: '2.7 (about)', change: 'params.value up to 8000 characters' },
  { revision: 'acf3f17fdcc7', release: '2.8 (mlflow/mlflow#10493)', change: 'model_versions.storage_location; no tracking change' },
  { revision: '867495a8f9d4', release: '2.13 (about)', change: 'trace tables; no tracking change' },
  { revision: '5b0e9adcef9c', release: '2.14 (head per ministryofjustice/modernisation-platform-environments#7377)', change: 'trace foreign keys; no tracking change' },
  { revision: '4465047574b1', release: '2.15 (same report)', change: 'datasets.dataset_schema larger on MySQL only' },
  { revision: 'f5a4f2784254', release: '2.16 (about)', change: 'tags.value up to 8000 characters' },
  { revision: '0584bdc529eb', release: '2.18 (about)', change: 'datasets cascade on experiment delete' },
  // 3.x line
  { revision: '400f98739977', release: '3.0', change: 'logged model tables' },
  { revision: '6953534de441', release: '3.0 (head until 3.1.1, mlflow/mlflow#16517)', change: 'inputs.step (logged-model links)' },
  { revision: 'bda7b8c39065', release: '3.2 (about)', change: 'model_version_tags.value TEXT; no tracking change' },
  { revision: 'cbc13b556ace', release: '3.2 (about)', change: 'trace_info v3 columns; no tracking change' },
  { revision: '770bee3ae1dd', release: '3.2 (about)', change: 'assessments table; no tracking change' },
  { revision: 'a1b2c3d4e5f6', release: '3.3 (about)', change: 'spans table; no tracking change' },
  { revision: 'de4033877273', release: '3.3 (about)', change: 'entity_associations table; no tracking change' },
  { revision: '1a0cddfcaa16', release: '3.3 (about)', change: 'webhooks tables; no tracking change' },
  { revision: '534353b11cbc', release: '3.4 (about)', change: 'scorer tables; no tracking change' },
  { revision: '71994744cf8e', release: '3.4 (about)', change: 'evaluation dataset tables; no tracking change' },
  { revision: '3da73c924c2f', release: '3.5 (about)', change: 'evaluation_dataset_records.outputs; no tracking change' },
  { revision: 'bf29a5ff90ea', release: '3.5 (about)', change: 'jobs table; no tracking change' },
  { revision: '1bd49d398cd23', release: '3.6 (about)', change: 'secrets / gateway tables; no tracking change' },
  { revision: 'b7c8d9e0f1a2', release: '3.8 (about)', change: 'trace_metrics table; no tracking change' },
  { revision: '5d2d30f0abce', release: '3.8 (about)', change: 'jobs.job_name rename; no tracking change' },
  { revision: 'c9d4e5f6a7b8', release: '3.9 (about)', change: 'endpoint routing columns; no tracking change' },
  { revision: '2c33131f4dae', release: '3.9 (about, mlflow/mlflow#19708)', change: 'online_scoring_configs table; no tracking change' },
  { revision: 'c8d9e0f1a2b3', release: '3.10 (about)', change: 'parent of the workspace migration; no tracking change' },
  { revision: '1b5f0d9ad7c1', release: '3.10 (head of 3.10.x, per the 3.10.1 -> 3.12 diff in drai-inn/ai-gpu-mlflow)', change: 'experiments.workspace + workspaces table' },
  { revision: 'e1f2a3b4c5d6', release: '3.11 (same diff)', change: 'budget_policies table; no tracking change' },
  { revision: '76601a5f987d', release: '3.11 (same diff)', change: 'issues table; no tracking change' },
  { revision: 'c3d6457b6d8a', release: '3.11 (head of 3.11.1, Lumi-supercomputer/LUMI-AI-Guide#107)', change: 'jobs.status_details; no tracking change' },
  { revision: '7d34483879f0', release: '3.11.2.dev0 (the real-MLflow store in test/golden/stores)', change: 'indexes only; no shape change' },
];

const BY_ID = new Map(KNOWN_REVISIONS.map((entry) => [entry.revision, entry]));

export function knownRevision(revision: string): KnownRevision | undefined {
  return BY_ID.get(revision);
}

/** "c3d6457b6d8a (MLflow 3.11 ...)", or the id with a note that this tool has not seen it. */
export function describeRevision(revision: string): string {
  if (revision === '') return '(none recorded)';
  const known = knownRevision(revision);
  return known ? `${revision} (MLflow ${known.release})` : `${revision} (not one this tool has seen: a newer MLflow?)`;
}
