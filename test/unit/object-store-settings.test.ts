/**
 * Which URIs name object stores, how MLflow's S3 settings are read from the environment, and when
 * files go directly to the store rather than through the tracking server.
 */
import { describe, expect, it } from 'vitest';
import { childUri, isObjectStoreUri, joinKey, parseObjectLocation } from '../../src/backends/object-store/location.js';
import { s3SettingsFromEnv } from '../../src/backends/object-store/s3-config.js';
import { accessFor, accessNote } from '../../src/backends/mlflow/store-artifacts.js';

describe('object-store URIs', () => {
  it('parses s3:// with and without a prefix, and refuses what is not an object store', () => {
    expect(parseObjectLocation('s3://bucket')).toEqual({ kind: 's3', bucket: 'bucket', prefix: '' });
    expect(parseObjectLocation('s3://bucket/a/b/')).toEqual({ kind: 's3', bucket: 'bucket', prefix: 'a/b' });
    for (const uri of ['mlflow-artifacts:/1/r', 'gs://b/x', '/tmp/mlruns', 'file:///tmp', 'https://host/x']) expect(isObjectStoreUri(uri)).toBe(false);
  });

  it('joins keys and child locations without doubled slashes', () => {
    expect(joinKey('', 'a/b')).toBe('a/b');
    expect(joinKey('root/1', '/a/')).toBe('root/1/a');
    expect(joinKey('root', '')).toBe('root');
    expect(childUri('s3://b/moved/', 'default', 'team/churn')).toBe('s3://b/moved/default/team/churn');
  });
});

describe("MLflow's S3 settings", () => {
  it('reads region (AWS_DEFAULT_REGION first), endpoint, TLS and extra upload arguments', () => {
    expect(
      s3SettingsFromEnv({
        AWS_DEFAULT_REGION: 'eu-west-1',
        AWS_REGION: 'us-west-2',
        MLFLOW_S3_ENDPOINT_URL: 'http://minio:9000',
        MLFLOW_S3_IGNORE_TLS: 'true',
        MLFLOW_S3_UPLOAD_EXTRA_ARGS: '{"ServerSideEncryption": "AES256"}',
      }),
    ).toEqual({ region: 'eu-west-1', endpoint: 'http://minio:9000', ignoreTls: true, uploadExtraArgs: { ServerSideEncryption: 'AES256' } });
    expect(s3SettingsFromEnv({})).toEqual({ ignoreTls: false, uploadExtraArgs: {} });
  });

  it('refuses extra upload arguments that are not a JSON object, clearly', () => {
    expect(() => s3SettingsFromEnv({ MLFLOW_S3_UPLOAD_EXTRA_ARGS: '{oops' })).toThrow(/MLFLOW_S3_UPLOAD_EXTRA_ARGS is not valid JSON/);
    expect(() => s3SettingsFromEnv({ MLFLOW_S3_UPLOAD_EXTRA_ARGS: '[1]' })).toThrow(/must be a JSON object/);
  });
});

describe('direct or through the server', () => {
  it('goes directly when the environment holds credentials for the kind of store, else through the server', () => {
    expect(accessFor('s3://b/x', {})).toBe('server');
    expect(accessFor('s3://b/x', { AWS_ACCESS_KEY_ID: 'k' })).toBe('direct');
    expect(accessFor('s3://b/x', { AWS_PROFILE: 'prod' })).toBe('direct');
    expect(accessFor('wasbs://c@a.blob.core.windows.net/x', { AWS_ACCESS_KEY_ID: 'k' })).toBe('server');
    expect(accessFor('wasbs://c@a.blob.core.windows.net/x', { AZURE_STORAGE_ACCESS_KEY: 'k' })).toBe('direct');
    expect(accessFor('mlflow-artifacts:/1', { AWS_ACCESS_KEY_ID: 'k' })).toBe('server');
  });

  it('says in the log which way files go, for sources and targets', () => {
    expect(accessNote('source', {})).toMatch(/s3:\/\/ stores go through the tracking server/);
    expect(accessNote('target', {})).toMatch(/s3:\/\/ stores go through the server's presigned upload URLs/);
    expect(accessNote('target', { AWS_PROFILE: 'p', AZURE_STORAGE_CONNECTION_STRING: 'x' })).toMatch(/s3:\/\/ stores go directly.*Azure Blob.*directly/);
  });
});
