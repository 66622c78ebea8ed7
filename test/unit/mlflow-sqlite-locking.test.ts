import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MlflowSqliteStore } from '../../src/backends/mlflow-sqlite/index.js';
import type { KeyValue, MetricPoint } from '../../src/model/run.js';
import { UnreachableError } from '../../src/util/errors.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { MlflowSqliteSeeder } from '../support/mlflow-sqlite-seed.js';

// A running MLflow server writes the same file while we read it. These tests hold real locks
// from other connections (SQLite's default rollback journal, which MLflow leaves on, and WAL).

const POINTS: MetricPoint[] = Array.from({ length: 1_000 }, (_, i) => ({ value: i, timestamp: 1_000 + i, step: i }));

let dir: string;
let dbPath: string;
let runId: string;
const closers: Array<() => void> = [];

function setUp(journalMode: 'delete' | 'wal'): void {
  createMlflowDatabase(dbPath, { journalMode });
  const seed = new MlflowSqliteSeeder(dbPath);
  const experimentId = seed.experiment({ name: 'live' });
  runId = seed.run({ experimentId, name: 'training' });
  seed.metrics(runId, 'loss', POINTS);
  seed.close();
}

/** Another connection, as the MLflow server would hold it; never waits for a lock itself. */
function writer(): Database.Database {
  const db = new Database(dbPath, { timeout: 0 });
  closers.push(() => db.close());
  return db;
}

function open(settings: { metricChunk?: number; busyTimeoutMs?: number } = {}): MlflowSqliteStore {
  const store = MlflowSqliteStore.open(`sqlite:///${dbPath}`, settings);
  closers.push(() => void store.close());
  return store;
}

async function tags(store: MlflowSqliteStore): Promise<KeyValue[]> {
  const source = await store.openSource({ workspace: 'default', project: 'live' });
  const run = await source.openRun({ runId, status: 'RUNNING', deleted: false });
  return run.tags();
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlflow-sqlite-lock-'));
  dbPath = path.join(dir, 'mlflow.db');
});

afterEach(() => {
  for (const close of closers.splice(0).reverse()) close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(['delete', 'wal'] as const)('mlflow-sqlite next to a writer (journal_mode=%s)', (journalMode) => {
  it('opens and reads while another connection holds an open write transaction, seeing only committed rows', async () => {
    setUp(journalMode);
    const server = writer();
    server.exec('BEGIN IMMEDIATE');
    server.prepare("INSERT INTO tags (key, value, run_uuid) VALUES ('uncommitted', 'x', ?)").run(runId);

    const store = open();
    expect((await tags(store)).map((tag) => tag.key)).not.toContain('uncommitted');

    server.exec('COMMIT');
    expect((await tags(store)).map((tag) => tag.key)).toContain('uncommitted');
  });

  it('holds no lock between metric chunks: a writer commits while the reader is mid-history', async () => {
    setUp(journalMode);
    const store = open({ metricChunk: 100 });
    const source = await store.openSource({ workspace: 'default', project: 'live' });
    const run = await source.openRun({ runId, status: 'RUNNING', deleted: false });
    const history = run.metricHistory('loss')[Symbol.asyncIterator]();

    const first = await history.next();
    expect(first.value).toHaveLength(100);
    // BEGIN EXCLUSIVE needs every other connection's read lock gone (in rollback mode); with a
    // timeout of 0 it fails at once if the reader still held one.
    const server = writer();
    server.exec('BEGIN EXCLUSIVE');
    server.prepare("INSERT INTO params (key, value, run_uuid) VALUES ('written', 'mid-read', ?)").run(runId);
    server.exec('COMMIT');

    let count = first.value.length;
    for (let next = await history.next(); !next.done; next = await history.next()) count += next.value.length;
    expect(count).toBe(POINTS.length);
  });
});

describe('mlflow-sqlite lock behaviour, rollback journal', () => {
  it('control: an open cursor (what the reader avoids) does block an exclusive writer', () => {
    setUp('delete');
    const reader = new Database(dbPath, { readonly: true });
    closers.push(() => reader.close());
    const cursor = reader.prepare('SELECT * FROM metrics').iterate();
    cursor.next();
    expect(() => writer().exec('BEGIN EXCLUSIVE')).toThrow(/database is locked/);
    cursor.return?.();
  });

  it('waits out a writer\'s short exclusive lock (busy timeout), and says so clearly when it lasts too long', async () => {
    setUp('delete');
    const store = open({ busyTimeoutMs: 5_000 });
    await holdExclusiveLock(300, async () => {
      const started = Date.now();
      expect((await tags(store)).map((tag) => tag.key)).toContain('mlflow.runName');
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    });

    const impatient = open({ busyTimeoutMs: 50 });
    await holdExclusiveLock(1_000, async () => {
      await expect(tags(impatient)).rejects.toBeInstanceOf(UnreachableError);
      await expect(tags(impatient)).rejects.toThrow(/stayed locked by another connection for more than 50 ms/);
    });
  });
});

/**
 * Runs `whileLocked` while a worker thread (a separate connection, as another process would be)
 * holds an EXCLUSIVE lock for `ms` milliseconds. A thread is needed because the reader's busy wait
 * blocks this one.
 */
async function holdExclusiveLock(ms: number, whileLocked: () => Promise<void>): Promise<void> {
  const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const Database = require(workerData.module);
     const db = new Database(workerData.dbPath);
     db.exec('BEGIN EXCLUSIVE');
     db.prepare("UPDATE runs SET end_time = 1").run();
     parentPort.postMessage('locked');
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.ms);
     db.exec('COMMIT');
     db.close();`,
    { eval: true, workerData: { module: betterSqlite, dbPath, ms } },
  );
  const done = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  try {
    await whileLocked();
  } finally {
    await done;
  }
}
