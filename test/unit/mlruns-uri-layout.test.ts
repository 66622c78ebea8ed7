/** Which URIs are mlruns stores, and how keys and paths map to files. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlrunsFactory } from '../../src/backends/mlruns/index.js';
import { keyPath, safeSegments } from '../../src/backends/mlruns/layout.js';
import { fileUriToPath, mlrunsRootFromUri, pathToFileUri } from '../../src/backends/mlruns/uri.js';
import { UsageError } from '../../src/util/errors.js';

describe('mlruns URIs', () => {
  it('claims plain paths and file: URIs only', () => {
    for (const uri of ['./mlruns', 'mlruns', '/data/mlruns', '../x/mlruns', 'file:///data/mlruns', 'file:./mlruns', 'FILE:/x', 'C:\\mlruns']) {
      expect(mlrunsFactory.handles(uri), uri).toBe(true);
    }
    for (const uri of ['http://host:5000', 'https://host', 'sqlite:///mlflow.db', 'neptune-export:/data', 's3://bucket/x', '', '  ']) {
      expect(mlrunsFactory.handles(uri), uri).toBe(false);
    }
  });

  it('resolves the root as MLflow does (urlparse path + url2pathname)', () => {
    expect(mlrunsRootFromUri('file:///data/ml%20runs')).toBe('/data/ml runs');
    expect(mlrunsRootFromUri('file://localhost/data/mlruns')).toBe('/data/mlruns');
    expect(mlrunsRootFromUri('file:/data/mlruns')).toBe('/data/mlruns');
    expect(mlrunsRootFromUri('file:rel/mlruns')).toBe(join(process.cwd(), 'rel/mlruns'));
    expect(mlrunsRootFromUri('./mlruns')).toBe(join(process.cwd(), 'mlruns'));
    expect(() => mlrunsRootFromUri('file://otherhost/data')).toThrow(UsageError);
    expect(fileUriToPath('file:///a/%zz')).toBe('/a/%zz');
  });

  it('writes file: URIs like pathlib as_uri, percent-encoding all but unreserved characters', () => {
    expect(pathToFileUri('/tmp/a b:c@d~e+f')).toBe('file:///tmp/a%20b%3Ac%40d~e%2Bf');
    expect(pathToFileUri('/tmp/é')).toBe('file:///tmp/%C3%A9');
  });
});

describe('key files', () => {
  it('stores keys with "/" as sub-directories', () => {
    expect(keyPath('/run/metrics', 'train/loss')).toBe('/run/metrics/train/loss');
    expect(keyPath('/run/tags', 'mlflow.note.content')).toBe('/run/tags/mlflow.note.content');
  });

  it('refuses keys and paths that would leave their folder', () => {
    for (const bad of ['../x', 'a/../../x', '/abs', 'a//b', './a', 'a/', '', 'a\0b']) {
      expect(() => keyPath('/run/params', bad), JSON.stringify(bad)).toThrow(/refusing key/);
      expect(() => safeSegments(bad, 'artifact path')).toThrow(/refusing artifact path/);
    }
  });
});
