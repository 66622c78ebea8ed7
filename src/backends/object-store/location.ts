/**
 * Artifact URIs that name an object store, in MLflow's spellings:
 * - `s3://bucket/prefix` (also S3-compatible stores: MinIO, Ceph, R2 through MLFLOW_S3_ENDPOINT_URL);
 * - `wasbs://container@account.blob.core.windows.net/prefix` (Azure Blob, MLflow's AzureBlobArtifactRepository);
 * - `abfss://filesystem@account.dfs.core.windows.net/prefix` (ADLS Gen2; read and written through the Blob API here).
 */
export type ObjectLocation =
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'azure'; account: string; container: string; prefix: string; scheme: 'wasbs' | 'wasb' | 'abfss' | 'abfs' };

const S3 = /^s3a?:\/\/([^/]+)\/?(.*)$/i;
const AZURE = /^(wasbs?|abfss?):\/\/([^@/]+)@([^./]+)\.(?:blob|dfs)\.[^/]+\/?(.*)$/i;

/** True when the URI names a store this layer reads and writes. */
export function isObjectStoreUri(uri: string | undefined): boolean {
  return uri !== undefined && parseObjectLocation(uri) !== undefined;
}

export function parseObjectLocation(uri: string): ObjectLocation | undefined {
  const s3 = S3.exec(uri);
  if (s3) return { kind: 's3', bucket: s3[1]!, prefix: trimSlashes(s3[2] ?? '') };
  const az = AZURE.exec(uri);
  if (az) {
    const scheme = az[1]!.toLowerCase() as 'wasbs' | 'wasb' | 'abfss' | 'abfs';
    return { kind: 'azure', scheme, container: az[2]!, account: az[3]!, prefix: trimSlashes(az[4] ?? '') };
  }
  return undefined;
}

/** `prefix/relative` without doubled or trailing slashes. */
export function joinKey(prefix: string, relative: string): string {
  const rel = trimSlashes(relative);
  if (prefix === '') return rel;
  return rel === '' ? prefix : `${prefix}/${rel}`;
}

/** A URI one level below `base` (for relocation: one folder per experiment, per run). */
export function childUri(base: string, ...segments: string[]): string {
  return [base.replace(/\/+$/, ''), ...segments.map(trimSlashes).filter((s) => s !== '')].join('/');
}

export function trimSlashes(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}
