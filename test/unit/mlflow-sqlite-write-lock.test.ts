/**
 * Writing into a mlflow.db that a running MLflow server also writes: our transactions take the
 * write lock up front and wait for another writer's commit (busy timeout) instead of failing.
 * The other writer is a separate process, as a server would be.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MlflowSqliteStore } from '../../src/backends/mlflow-sqlite/index.js';
import { PROVENANCE } from '../../src/model/provenance.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlflow-sqlite-lock-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Another process holding SQLite's write lock for `ms`; resolves once it holds it (a marker file says so). */
async function holdWriteLock(dbPath: string, ms: number): Promise<{ exited: Promise<unknown> }> {
  const marker = `${dbPath}.locked`;
  const script = `const fs = require('node:fs'); const D = require('better-sqlite3'); const db = new D(process.argv[1]);
    db.exec('BEGIN IMMEDIATE'); db.prepare("INSERT INTO experiment_tags (key, value, experiment_id) VALUES ('server', 'busy', 0)").run();
    fs.writeFileSync(process.argv[3], ''); const until = Date.now() + Number(process.argv[2]); while (Date.now() < until) {}
    db.exec('COMMIT'); db.close();`;
  const child = spawn(process.execPath, ['-e', script, dbPath, String(ms), marker], { cwd: process.cwd(), stdio: 'inherit' });
  const exited = once(child, 'exit');
  while (!fs.existsSync(marker)) await new Promise((resolve) => setTimeout(resolve, 10));
  return { exited };
}

describe('mlflow.db target beside another writer', () => {
  it('waits for the other writer to commit, then writes', async () => {
    const dbPath = path.join(dir, 'mlflow.db');
    createMlflowDatabase(dbPath);
    const store = MlflowSqliteStore.openTarget(`sqlite:///${dbPath}`, { busyTimeoutMs: 10_000 });
    try {
      const { exited } = await holdWriteLock(dbPath, 700);
      const started = Date.now();
      const project = (await store.openTarget({ workspace: 'default', project: 'busy' }, { tags: [] }, { create: true }))!;
      const run = await project.createRun({ name: 'r', startTime: 1, tags: [{ key: PROVENANCE.runId, value: 's' }, { key: PROVENANCE.project, value: 'p' }], source: { project: 'p', runId: 's' } });
      await run.finish({ status: 'FINISHED', endTime: 2, deleted: false, marker: { key: PROVENANCE.completed, value: 'x' } });
      expect(Date.now() - started).toBeGreaterThan(300);
      await exited;
      const source = await store.openSource({ workspace: 'default', project: 'busy' });
      const runs = [];
      for await (const info of source.listRuns({ includeDeleted: false })) runs.push(info);
      expect(runs.map((info) => info.status)).toEqual(['FINISHED']);
    } finally {
      await store.close();
    }
  });
});
