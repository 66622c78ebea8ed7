import { describe, expect, it } from 'vitest';
import { mlflowSqliteFactory } from '../../src/backends/mlflow-sqlite/index.js';
import { parseSqliteUri } from '../../src/backends/mlflow-sqlite/uri.js';
import { backendKindOf } from '../../src/backends/registry.js';
import { UsageError } from '../../src/util/errors.js';

describe('mlflow-sqlite URIs (SQLAlchemy spelling)', () => {
  it('reads sqlite:///name.db as relative to the working directory', () => {
    expect(parseSqliteUri('sqlite:///mlflow.db', '/srv/work')).toEqual({
      dbPath: '/srv/work/mlflow.db',
      artifactsRoot: '/srv/work/mlartifacts',
      artifactsRootGiven: false,
    });
    expect(parseSqliteUri('sqlite:///data/sub/mlflow.db', '/srv/work').dbPath).toBe('/srv/work/data/sub/mlflow.db');
  });

  it('reads sqlite:////abs/path.db (four slashes) as absolute', () => {
    const location = parseSqliteUri('sqlite:////var/lib/mlflow/mlflow.db', '/elsewhere');
    expect(location.dbPath).toBe('/var/lib/mlflow/mlflow.db');
    expect(location.artifactsRoot).toBe('/var/lib/mlflow/mlartifacts');
  });

  it('takes the mlflow-artifacts root from ?artifacts=, relative to the working directory', () => {
    const location = parseSqliteUri('sqlite:////data/mlflow.db?artifacts=store/mlartifacts', '/srv');
    expect(location.artifactsRoot).toBe('/srv/store/mlartifacts');
    expect(location.artifactsRootGiven).toBe(true);
  });

  it('accepts the scheme in any case and surrounding spaces', () => {
    expect(parseSqliteUri('  SQLite:///m.db ', '/w').dbPath).toBe('/w/m.db');
  });

  it.each([
    ['sqlite://', /names no database file/],
    ['sqlite:///', /names no database file/],
    ['sqlite:///:memory:', /in-memory/],
    ['sqlite://host/mlflow.db', /no host part/],
    ['sqlite:mlflow.db', /must follow "sqlite:\/\/\/"/],
    ['sqlite:///m.db?mode=ro', /unknown option "mode"/],
    ['sqlite:///m.db?artifacts=', /is empty/],
  ])('refuses %s with a UsageError saying why', (uri, message) => {
    expect(() => parseSqliteUri(uri, '/w')).toThrow(UsageError);
    expect(() => parseSqliteUri(uri, '/w')).toThrow(message);
  });

  it('is the backend the registry picks for sqlite: URIs, ahead of the path backend', () => {
    expect(backendKindOf('sqlite:///mlflow.db')).toBe('mlflow-sqlite');
    expect(mlflowSqliteFactory.handles('./mlruns')).toBe(false);
    expect(mlflowSqliteFactory.handles('http://localhost:5000')).toBe(false);
  });

  it('as a target, refuses a missing database without creating it, saying how MLflow creates one', async () => {
    await expect(
      mlflowSqliteFactory.open('sqlite:////no/such/dir/mlflow.db', { credentials: {}, role: 'target' }),
    ).rejects.toThrow(/no MLflow database at \/no\/such\/dir\/mlflow\.db: let MLflow create it by starting `mlflow server --backend-store-uri sqlite:\/\/\/\/no\/such\/dir\/mlflow\.db` once/);
  });
});
