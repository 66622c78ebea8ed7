import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MlflowSqliteStore, SUPPORTED_REVISIONS } from '../../src/backends/mlflow-sqlite/index.js';
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

describe('mlflow-sqlite schema revision check', () => {
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
    });
    await modern.close();

    fs.rmSync(dbPath);
    createMlflowDatabase(dbPath, { shape: 'mlflow-2.8' });
    const older = MlflowSqliteStore.open(uri());
    expect(older.features).toMatchObject({ revision: 'acf3f17fdcc7', workspaces: false, workspaceCatalog: false, inputStep: false });
    await older.close();
  });

  it('refuses an unknown revision, naming it and the supported range', () => {
    createMlflowDatabase(dbPath, { revision: 'ffffffffffff' });
    const open = () => MlflowSqliteStore.open(uri());
    expect(open).toThrow(UnreachableError);
    expect(open).toThrow(/schema revision "ffffffffffff"/);
    expect(open).toThrow(/MLflow 2\.0 \(97727af70f4d\) to MLflow 3\.11 \(c3d6457b6d8a\)/);
  });

  it('refuses MLflow 1.x databases (older than the supported range) and says how to upgrade', () => {
    createMlflowDatabase(dbPath, { shape: 'mlflow-2.8', revision: 'cc1f77228345' });
    expect(() => MlflowSqliteStore.open(uri())).toThrow(/"cc1f77228345".*mlflow db upgrade/s);
  });

  it('refuses a SQLite file that MLflow did not create', () => {
    const db = new Database(dbPath);
    db.exec('CREATE TABLE notes (text TEXT)');
    db.close();
    expect(() => MlflowSqliteStore.open(uri())).toThrow(/not an MLflow tracking database: it has no alembic_version table/);
  });

  it('refuses a database stamped with two revisions (branched alembic history)', () => {
    createMlflowDatabase(dbPath);
    const db = new Database(dbPath);
    db.prepare('INSERT INTO alembic_version VALUES (?)').run('97727af70f4d');
    db.close();
    expect(() => MlflowSqliteStore.open(uri())).toThrow(/records 2 revisions/);
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
    await expect(store.openTarget()).rejects.toBeInstanceOf(UsageError);
    await store.close();
    expect(fs.readFileSync(dbPath).equals(before)).toBe(true);
  });

  it('lists each supported revision once, as 12-13 character alembic ids', () => {
    const ids = SUPPORTED_REVISIONS.map((entry) => entry.revision);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12,13}$/);
  });
});
