/**
 * Where a run's artifacts are, from its `runs.artifact_uri`:
 * - a plain path or `file:` URI: that directory (a relative path is taken relative to the
 *   database's directory, since MLflow resolved it against the server's working directory and
 *   `sqlite:///mlflow.db` users start it where the database is);
 * - `mlflow-artifacts:/<path>` (an MLflow server proxying artifacts, the default since 2.x):
 *   `<path>` below the server's `--artifacts-destination`, which defaults to `./mlartifacts`
 *   beside the database, or the `?artifacts=<dir>` option of the store URI;
 * - an object store (s3://, wasbs://, abfss://): read and written through object-store/ with the
 *   user's credentials (AWS_*, MLFLOW_S3_ENDPOINT_URL, AZURE_STORAGE_*);
 * - anything else (gs:, dbfs:, http:, ...): not readable from here; a run with such files fails
 *   (its files would be lost) and says why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isObjectStoreUri } from '../object-store/location.js';

export type ArtifactLocation =
  | { kind: 'local'; root: string }
  | { kind: 'object-store'; uri: string }
  | { kind: 'unreachable'; reason: string; lost?: boolean };

export interface ArtifactContext {
  /** Directory of the database file. */
  dbDir: string;
  /** Where `mlflow-artifacts:` paths resolve. */
  artifactsRoot: string;
  artifactsRootGiven: boolean;
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]+):/;

export function resolveArtifactLocation(artifactUri: string | undefined, context: ArtifactContext): ArtifactLocation {
  if (!artifactUri) return { kind: 'unreachable', reason: 'the run has no artifact_uri' };
  const scheme = SCHEME.exec(artifactUri)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'local', root: path.resolve(context.dbDir, artifactUri) };
  if (scheme === 'file') return fromFileUri(artifactUri);
  if (scheme === 'mlflow-artifacts') return fromProxiedUri(artifactUri, context);
  if (isObjectStoreUri(artifactUri)) return { kind: 'object-store', uri: artifactUri };
  return {
    kind: 'unreachable',
    lost: true,
    reason: `artifacts are stored at ${artifactUri} (${scheme}:), which this backend does not read; serve the database with \`mlflow server\` and copy from its http:// URI to include them`,
  };
}

function fromFileUri(uri: string): ArtifactLocation {
  try {
    // file:/abs, file:///abs and file://localhost/abs; percent-escapes decoded.
    return { kind: 'local', root: fileURLToPath(new URL(uri)) };
  } catch {
    return { kind: 'unreachable', reason: `artifact_uri ${uri} is not a local file: URI` };
  }
}

function fromProxiedUri(uri: string, context: ArtifactContext): ArtifactLocation {
  const segments = proxiedSegments(uri);
  if (segments === undefined) {
    return { kind: 'unreachable', reason: `artifact_uri ${uri} points outside the artifacts root; refused` };
  }
  if (!fs.existsSync(context.artifactsRoot)) {
    const how = context.artifactsRootGiven
      ? `the artifacts directory ${context.artifactsRoot} given with ?artifacts= does not exist`
      : `the server's default artifacts directory ${context.artifactsRoot} (mlartifacts beside the database) does not exist; pass the server's --artifacts-destination as ?artifacts=<dir> in the store URI`;
    return { kind: 'unreachable', reason: `artifact_uri ${uri} is served by an MLflow server, and ${how}` };
  }
  return { kind: 'local', root: path.join(context.artifactsRoot, ...segments) };
}

/**
 * The path of `mlflow-artifacts:[//host:port]/a/b`, as decoded segments, or undefined when a
 * segment is `..` or decodes to something holding a separator. Parsed by hand because a URL
 * parser would quietly fold `..` away instead of letting us refuse it.
 */
function proxiedSegments(uri: string): string[] | undefined {
  let rest = uri.slice(uri.indexOf(':') + 1);
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  const segments: string[] = [];
  for (const raw of rest.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '' || segment === '.') continue;
    if (segment === '..' || /[/\\\0]/.test(segment)) return undefined;
    segments.push(segment);
  }
  return segments;
}
