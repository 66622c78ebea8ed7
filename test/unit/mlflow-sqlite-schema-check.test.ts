import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KNOWN_REVISIONS, MlflowSqliteStore } from '../../src/backends/mlflow-sqlite/index.js';
import { UnreachableError, UsageError } from '../../src/util/errors.js';
import { createMlflowDatabase, SHAPE_REVISION } from '../support/mlflow-sqlite-schema.js';

let dir: string;
let dbPath: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlflow-sqlite-schema-'));
  dbPath = path.join(dir, 'mlflow.db');
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const uri = () => `sqlite:///${dbPath}`;

describe('mlflow-sqlite schema check by shape', () => {
  it('opens the newest supported shape (MLflow 3.11) and an MLflow 2.8 one', async () => {
    createMlflowDatabase(dbPath, { shape: 'mlflow-3.11' });
    const modern = MlflowSqliteStore.open(uri());
    expect(modern.features).toEqual({
      revision: SHAPE_REVISION['mlflow-3.11'],
      workspaces: true,
      workspaceCatalog: true,
      experimentCreationTime: true,
      datasets: true,
      inputStep: true,
      loggedModels: true,
      registry: true,
      registryAliases: true,
      registryWorkspace: true,
      versionStorageLocation: true,
    });
    await modern.close();

    fs.rmSync(dbPath);
    createMlflowDatabase(dbPath, { shape: 'mlflow-2.8' });
    const older = MlflowSqliteStore.open(uri());
    expect(older.features).toMatchObject({ revision: 'acf3f17fdcc7', workspaces: false, workspaceCatalog: false, inputStep: false, loggedModels: false });
    await older.close();
  });

  it('reads a revision it has never seen when the tables and columns fit, and names the revision in its note', async () => {
    createMlflowDatabase(dbPath, { revision: 'ffffffffffff' });
    const store = MlflowSqliteStore.open(uri());
    expect(store.features.revision).toBe('ffffffffffff');
    expect(store.notes.join('\n')).toMatch(/alembic revision ffffffffffff \(not one this tool has seen/);
    await expect(store.openSource({ workspace: 'default', project: 'Default' })).resolves.toBeDefined();
    await store.close();
  });

  it('names a known revision with its MLflow release', async () => {
    createMlflowDatabase(dbPath);
    const store = MlflowSqliteStore.open(uri());
    expect(store.notes[0]).toMatch(/c3d6457b6d8a \(MLflow 3\.11/);
    await store.close();
  });

  it('refuses a shape it cannot read, naming the table and column that are missing', () => {
    createMlflowDatabase(dbPath, { revision: 'cc1f77228345' });
    const db = new Database(dbPath);
    db.exec('ALTER TABLE runs DROP COLUMN artifact_uri; DROP TABLE experiment_tags');
    db.close();
    const open = () => MlflowSqliteStore.open(uri());
    expect(open).toThrow(UnreachableError);
    expect(open).toThrow(/alembic revision cc1f77228345.*table experiment_tags, column runs\.artifact_uri missing/s);
  });

  it('refuses dataset tables of an unknown shape rather than reading inputs wrongly', () => {
    createMlflowDatabase(dbPath);
    const db = new Database(dbPath);
    db.exec('ALTER TABLE input_tags RENAME COLUMN name TO tag_name');
    db.close();
    expect(() => MlflowSqliteStore.open(uri())).toThrow(/column input_tags\.name missing/);
  });

  it('refuses a SQLite file that MLflow did not create', () => {
    const db = new Database(dbPath);
    db.exec('CREATE TABLE notes (text TEXT)');
    db.close();
    expect(() => MlflowSqliteStore.open(uri())).toThrow(/no alembic_version table\): none of MLflow's tracking tables/);
  });

  it('reads a database stamped with two revisions (branched alembic history) and names both', async () => {
    createMlflowDatabase(dbPath);
    const db = new Database(dbPath);
    db.prepare('INSERT INTO alembic_version VALUES (?)').run('97727af70f4d');
    db.close();
    const store = MlflowSqliteStore.open(uri());
    expect(store.features.revision).toBe('97727af70f4d, c3d6457b6d8a');
    await store.close();
  });

  it('refuses a file that is not SQLite at all, and a missing file, without creating one', () => {
    fs.writeFileSync(dbPath, 'just some text, long enough to not look like an empty database file'.repeat(20));
    expect(() => MlflowSqliteStore.open(uri())).toThrow(/is not a SQLite database/);

    const missing = path.join(dir, 'absent.db');
    expect(() => MlflowSqliteStore.open(`sqlite:///${missing}`)).toThrow(/no MLflow database at/);
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('never writes: the file is byte-identical after open, read and close', async () => {
    createMlflowDatabase(dbPath);
    const before = fs.readFileSync(dbPath);
    const store = MlflowSqliteStore.open(uri());
    await expect(store.openSource({ workspace: 'default', project: 'Default' })).resolves.toBeDefined();
    await expect(store.openTarget({ workspace: 'default', project: 'x' }, { tags: [] }, { create: true })).rejects.toBeInstanceOf(UsageError);
    await store.close();
    expect(fs.readFileSync(dbPath).equals(before)).toBe(true);
  });

  it('lists each known revision once, as 12-13 character alembic ids', () => {
    const ids = KNOWN_REVISIONS.map((entry) => entry.revision);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12,13}$/);
  });
});
