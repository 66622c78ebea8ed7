/**
 * Where a copied run's files go, decided by the target experiment's artifact_location as MLflow
 * would (the run's artifact_uri is `<artifact_location>/<run id>/artifacts`):
 * - a local path or `file:` URI: written there directly;
 * - `mlflow-artifacts:/<path>`: below the folder that URI maps to (the server's
 *   --artifacts-destination: `mlartifacts` beside the database, or `?artifacts=<dir>`), the same
 *   mapping the reader uses; the folder is created when missing;
 * - anything else (s3:, gs:, ...): not written; the files are reported, never faked.
 * A new experiment's artifact_location follows the ones MLflow gave the database's experiments.
 */
import fs from 'node:fs';
import { resolveArtifactLocation, type ArtifactContext, type ArtifactLocation } from './artifact-location.js';

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]+):/;

/** `<location>/<runId>/artifacts`, as MLflow's append_to_uri_path builds it. */
export function runArtifactUri(experimentLocation: string, runId: string): string {
  return `${experimentLocation.replace(/\/+$/, '')}/${runId}/artifacts`;
}

export function runArtifactDestination(runArtifactUriValue: string, context: ArtifactContext): ArtifactLocation {
  const scheme = SCHEME.exec(runArtifactUriValue)?.[1]?.toLowerCase();
  if (scheme === 'mlflow-artifacts') fs.mkdirSync(context.artifactsRoot, { recursive: true, mode: 0o700 });
  const location = resolveArtifactLocation(runArtifactUriValue, context);
  if (location.kind === 'local' || location.kind === 'object-store') return location;
  if (scheme !== undefined && scheme !== 'file' && scheme !== 'mlflow-artifacts') {
    return {
      kind: 'unreachable',
      reason: `the target experiment keeps artifacts at ${runArtifactUriValue} (${scheme}:), which this tool does not write: files are not copied (copy through the MLflow server that serves this database to include them)`,
    };
  }
  return location;
}

/**
 * The artifact_location for a new experiment `id`: the pattern of an existing experiment whose
 * location ends in its own id (MLflow appends the id to its default artifact root), else
 * `mlflow-artifacts:/<id>` (an MLflow server's default since 2.0).
 */
export function newExperimentLocation(id: string, examples: Array<{ id: string; location: string | undefined }>): string {
  for (const example of examples) {
    const location = example.location?.replace(/\/+$/, '');
    if (location && location.endsWith(`/${example.id}`)) return `${location.slice(0, -example.id.length)}${id}`;
  }
  return `mlflow-artifacts:/${id}`;
}
