import { describe, expect, it } from 'vitest';
import { backendKindOf, backendKinds, openStore } from '../../src/backends/registry.js';
import { UsageError } from '../../src/util/errors.js';

describe('the backend registry', () => {
  it('picks the backend by the URI form, loading none of them to decide', () => {
    expect(backendKindOf('http://mlflow:5000')).toBe('mlflow');
    expect(backendKindOf('https://host/prefix')).toBe('mlflow');
    expect(backendKindOf('sqlite:///mlflow.db')).toBe('mlflow-sqlite');
    expect(backendKindOf('postgresql://mlflow@db:5432/mlflow')).toBe('mlflow-postgres');
    expect(backendKindOf('postgresql+psycopg2://mlflow@db/mlflow')).toBe('mlflow-postgres');
    expect(backendKindOf('neptune-export:./exports/data?files=./exports/files')).toBe('neptune-export');
    expect(backendKindOf('./mlruns')).toBe('mlruns');
    expect(backendKindOf('file:///tmp/mlruns')).toBe('mlruns');
    expect(backendKindOf('ftp://example/x')).toBeUndefined();
    expect(backendKinds()).toEqual(['mlflow', 'mlflow-sqlite', 'mlflow-postgres', 'neptune-export', 'mlruns']);
  });

  it('refuses an empty or unsupported URI with a usage error naming the side', async () => {
    await expect(openStore('  ', { credentials: {}, role: 'target' })).rejects.toThrow(/the target URI is empty/);
    await expect(openStore('ftp://example/x', { credentials: {}, role: 'source' })).rejects.toBeInstanceOf(UsageError);
  });
});
