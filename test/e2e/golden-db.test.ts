/**
 * The mlflow.db written by real MLflow 3.11 (with its mlartifacts/) copied through the CLI into
 * mlruns, every experiment, verified clean (its logged models and their run links with it); a
 * second copy copies nothing.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { runCli, tempDir } from '../support/cli-process.js';

describe('the real MLflow 3.11 mlflow.db through the CLI', () => {
  it('copies each experiment into mlruns, verifies clean with its logged models, and copies nothing the second time', async () => {
    const cwd = tempDir('golden-db');
    cpSync(join(GOLDEN_STORES_DIR, 'sqlite'), join(cwd, 'store'), { recursive: true });
    const source = `sqlite:///${join(cwd, 'store', 'mlflow.db')}`;
    for (const [project, runs] of [['fixture', 4], ['second', 1]] as const) {
      const locations = ['--source-uri', source, '--source-project', `default/${project}`, '--target-uri', join(cwd, 'mlruns'), '--target-project', `default/${project}`];
      const log = join(cwd, `${project}.log`);
      const copy = await runCli(['copy', ...locations, '--include-deleted', '--no-progress', '--verify', '--log-file', log], { cwd });
      expect(copy.stdout, copy.stderr).toContain('Verify clean');
      expect(copy.code).toBe(0);
      expect(copy.stdout).toMatch(new RegExp(`Copied ${runs}\\b`));
      expect(readFileSync(log, 'utf8')).toMatch(/alembic revision 7d34483879f0/);
      if (project === 'fixture') {
        const report = JSON.parse(readFileSync(join(cwd, `${project}.report.json`), 'utf8'));
        expect(report.models.summary).toMatchObject({ models: 2, copied: 2, failed: 0 });
      }
      const again = await runCli(['copy', ...locations, '--include-deleted', '--no-progress'], { cwd });
      expect(again.stdout).toMatch(new RegExp(`Copied 0, skipped ${runs}\\b`));
    }
  });
});
