/**
 * S3 client settings the way MLflow's own client (boto3) reads them, so a user's existing setup
 * works unchanged:
 * - credentials: the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 *   AWS_SESSION_TOKEN, then AWS_PROFILE and ~/.aws/credentials + config, then instance roles);
 * - region: AWS_DEFAULT_REGION (what boto3 reads), else AWS_REGION, else the profile's, else us-east-1;
 * - MLFLOW_S3_ENDPOINT_URL: an S3-compatible endpoint (MinIO, Ceph, R2, moto), addressed path-style;
 * - MLFLOW_S3_IGNORE_TLS=true: do not verify the endpoint's TLS certificate;
 * - MLFLOW_S3_UPLOAD_EXTRA_ARGS: a JSON object of extra PutObject arguments (ServerSideEncryption,
 *   SSEKMSKeyId, ACL, ...), sent with every write.
 */
import { ObjectStoreError } from './types.js';

export interface S3Settings {
  region?: string;
  endpoint?: string;
  ignoreTls: boolean;
  uploadExtraArgs: Record<string, unknown>;
}

export function s3SettingsFromEnv(env: NodeJS.ProcessEnv = process.env): S3Settings {
  const region = env.AWS_DEFAULT_REGION || env.AWS_REGION || undefined;
  const endpoint = env.MLFLOW_S3_ENDPOINT_URL || undefined;
  const ignoreTls = /^(true|1|yes)$/i.test(env.MLFLOW_S3_IGNORE_TLS ?? '');
  let uploadExtraArgs: Record<string, unknown> = {};
  if (env.MLFLOW_S3_UPLOAD_EXTRA_ARGS) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env.MLFLOW_S3_UPLOAD_EXTRA_ARGS);
    } catch {
      throw new ObjectStoreError('MLFLOW_S3_UPLOAD_EXTRA_ARGS is not valid JSON (expected an object such as {"ServerSideEncryption": "AES256"})');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ObjectStoreError('MLFLOW_S3_UPLOAD_EXTRA_ARGS must be a JSON object');
    }
    uploadExtraArgs = parsed as Record<string, unknown>;
  }
  return { ...(region ? { region } : {}), ...(endpoint ? { endpoint } : {}), ignoreTls, uploadExtraArgs };
}
