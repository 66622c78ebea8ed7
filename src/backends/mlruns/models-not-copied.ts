/**
 * MLflow 3 logged models, their links to runs and the model registry are not copied yet (issue
 * 11). Until they are, what a store holds of them is reported - per project and per run - so that
 * nothing is left out silently and verify does not call a run with model links clean.
 *
 * Where the FileStore keeps them: `<exp>/models/<model_id>/meta.yaml` (logged models),
 * `<run>/outputs/<model_id>/meta.yaml` (a run's model outputs; model inputs are `inputs/` links
 * with source_type MODEL, reported by inputs.ts), `<root>/models/<name>/version-<n>/meta.yaml`
 * (registry versions, with the `run_id` they were made from).
 */
import { dirname, join } from 'node:path';
import type { ReadIssue } from '../contract.js';
import { listSubdirs, readTextIfExists } from './fs-util.js';
import { parsePyYaml } from './pyyaml.js';

const META_FILE = 'meta.yaml';
const NOT_YET = 'runs-migrator does not copy logged models and the model registry yet';

async function metaOf(path: string): Promise<Record<string, unknown> | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  try {
    const value = parsePyYaml(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Project-level issues: the experiment's logged models, and registry versions made from `runIds`. */
export async function projectModelIssues(experimentDir: string, runIds: ReadonlySet<string>): Promise<ReadIssue[]> {
  const issues: ReadIssue[] = [];
  const models = [];
  for (const name of await listSubdirs(join(experimentDir, 'models'))) {
    if (await metaOf(join(experimentDir, 'models', name, META_FILE))) models.push(name);
  }
  if (models.length > 0) {
    issues.push({ field: 'logged models', reason: `${models.length} logged model(s) not copied (${models.join(', ')}): ${NOT_YET}` });
  }
  const registry = join(dirname(experimentDir), 'models');
  const versions: string[] = [];
  for (const model of await listSubdirs(registry)) {
    for (const version of await listSubdirs(join(registry, model))) {
      if (!version.startsWith('version-')) continue;
      const meta = await metaOf(join(registry, model, version, META_FILE));
      if (meta && typeof meta.run_id === 'string' && runIds.has(meta.run_id)) versions.push(`${model} ${version.slice('version-'.length)}`);
    }
  }
  if (versions.length > 0) {
    issues.push({ field: 'model registry', reason: `${versions.length} registered model version(s) made from runs of this project not copied (${versions.join(', ')}): ${NOT_YET}` });
  }
  return issues;
}

/** Run-level issues: the run's links to the logged models it produced. */
export async function runModelOutputIssues(runDir: string, issues: ReadIssue[]): Promise<void> {
  for (const name of await listSubdirs(join(runDir, 'outputs'))) {
    const meta = await metaOf(join(runDir, 'outputs', name, META_FILE));
    const step = meta?.step !== undefined ? ` at step ${String(meta.step)}` : '';
    issues.push({ field: `outputs/${name}`, reason: `output link to logged model ${String(meta?.destination_id ?? name)}${step} not copied: ${NOT_YET}` });
  }
}
