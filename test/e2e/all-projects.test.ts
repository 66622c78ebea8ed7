/**
 * `copy --all-projects`: the file-store move of the README in one command - every experiment of
 * the real mlruns folder into an MLflow database, each to the experiment of the same name,
 * verified per experiment; a second run copies nothing; flags that name one project are refused.
 */
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { runCli, tempDir } from '../support/cli-process.js';

describe('copy --all-projects', () => {
  it('moves every experiment of an mlruns folder into mlflow.db, verified per experiment, and a second run copies nothing', async () => {
    const cwd = tempDir('all-projects');
    cpSync(join(GOLDEN_STORES_DIR, 'mlruns'), join(cwd, 'mlruns'), { recursive: true });
    createMlflowDatabase(join(cwd, 'mlflow.db'));
    const args = ['copy', '--source-uri', './mlruns', '--target-uri', 'sqlite:///mlflow.db', '--all-projects', '--include-deleted', '--no-progress'];
    const first = await runCli([...args, '--verify'], { cwd });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('3 project(s) in');
    expect(first.stdout.match(/Verify clean/g)).toHaveLength(3);
    expect(first.stdout).toContain('All 3 project(s) done');
    // One log and one report per project.
    expect(readdirSync(cwd).filter((name) => name.endsWith('.report.json'))).toHaveLength(3);

    const db = new Database(join(cwd, 'mlflow.db'), { readonly: true });
    const perExperiment = db
      .prepare('SELECT e.name, COUNT(r.run_uuid) AS runs FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.experiment_id GROUP BY e.name ORDER BY e.name')
      .all();
    db.close();
    expect(perExperiment).toEqual([
      { name: 'Default', runs: 0 },
      { name: 'fixture', runs: 4 },
      { name: 'second', runs: 1 },
    ]);

    const again = await runCli(args, { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Copied 0, skipped 4\b/);
    expect(again.stdout).toMatch(/Copied 0, skipped 1\b/);
  });

  it('refuses --all-projects together with a project name', async () => {
    const cwd = tempDir('all-projects-usage');
    const result = await runCli(['copy', '--source-uri', join(GOLDEN_STORES_DIR, 'mlruns'), '--target-uri', join(cwd, 'out'), '--all-projects', '--source-project', 'default/fixture'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--all-projects copies every project into the project of the same name/);
  });
});
