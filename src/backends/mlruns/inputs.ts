/**
 * Dataset inputs of a run (file_store.py `log_inputs`, `_get_all_inputs`):
 *
 *   <experiment>/datasets/<md5(name + digest)>/meta.yaml      the dataset: dict(Dataset), i.e.
 *       digest, name, profile, schema, source, source_type (schema/profile null when absent)
 *   <run>/inputs/<md5(dataset id + run id)>/meta.yaml          the link:
 *       destination_id, destination_type: RUN, source_id: <dataset id>, source_type: DATASET,
 *       tags: {key: value}
 * MLflow writes the dataset id as `destination_id` too (`_FileStoreInput.write_yaml` passes
 * source_id twice); readers ignore that field, and it is kept here so the files match MLflow's.
 * A dataset shared by several runs is written once; a later run with the same name and digest
 * reuses it, as in MLflow.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReadIssue } from '../contract.js';
import type { Dataset, DatasetInput } from '../../model/run.js';
import { exists, isErrorCode, listSubdirs, mkdirPrivate, readTextIfExists, tempName, writePrivateFile } from './fs-util.js';
import { DATASETS_DIR, INPUTS_DIR, META_FILE } from './layout.js';
import { datasetFromFields } from '../mlflow-dataset.js';
import { dumpPyYaml, parsePyYaml, type YamlValue } from './pyyaml.js';

function md5(...parts: string[]): string {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part, 'utf8');
  return hash.digest('hex');
}

export function datasetId(dataset: Pick<Dataset, 'name' | 'digest'>): string {
  return md5(dataset.name, dataset.digest);
}

export function inputId(dataset: string, runId: string): string {
  return md5(dataset, runId);
}

export function formatDatasetMeta(dataset: Dataset): string {
  return dumpPyYaml({
    digest: dataset.digest,
    name: dataset.name,
    profile: dataset.profile ?? null,
    schema: dataset.schema ?? null,
    source: dataset.source,
    source_type: dataset.sourceType,
  });
}

export function formatInputMeta(dataset: string, input: DatasetInput): string {
  const tags: { [key: string]: YamlValue } = {};
  for (const tag of input.tags) tags[tag.key] = tag.value;
  return dumpPyYaml({
    destination_id: dataset,
    destination_type: 'RUN',
    source_id: dataset,
    source_type: 'DATASET',
    tags,
  });
}

/**
 * Write the inputs of run `runId`, whose directory is `runDir`, into experiment `experimentDir`.
 * `scratchDir` is a private dir on the same file system where a new dataset is assembled, so
 * concurrent writers never see a dataset dir without its meta.yaml.
 */
export async function writeRunInputs(
  experimentDir: string,
  runDir: string,
  runId: string,
  inputs: DatasetInput[],
  scratchDir: string,
): Promise<void> {
  for (const input of inputs) {
    const id = datasetId(input.dataset);
    const datasetDir = join(experimentDir, DATASETS_DIR, id);
    if (!(await exists(datasetDir))) {
      await mkdirPrivate(join(experimentDir, DATASETS_DIR));
      const temp = join(scratchDir, tempName(`dataset-${id}`));
      await writePrivateFile(join(temp, META_FILE), formatDatasetMeta(input.dataset));
      try {
        await rename(temp, datasetDir);
      } catch (error) {
        await rm(temp, { recursive: true, force: true });
        // Another writer created the same dataset first: theirs is identical by construction.
        if (!isErrorCode(error, 'EEXIST', 'ENOTEMPTY')) throw error;
      }
    }
    const linkFile = join(runDir, INPUTS_DIR, inputId(id, runId), META_FILE);
    await writePrivateFile(linkFile, formatInputMeta(id, input));
  }
}

function asRecord(value: YamlValue): { [key: string]: YamlValue } | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

function optionalText(value: YamlValue | undefined): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

export async function readRunInputs(
  experimentDir: string,
  runDir: string,
  issues: ReadIssue[],
): Promise<DatasetInput[]> {
  const inputs: DatasetInput[] = [];
  for (const name of await listSubdirs(join(runDir, INPUTS_DIR))) {
    const link = asRecord(parsePyYaml(await readFile(join(runDir, INPUTS_DIR, name, META_FILE), 'utf8')));
    // A logged model used by the run: a link, read with the run's model links (models.ts).
    if (link?.source_type === 'MODEL') continue;
    if (!link || link.source_type !== 'DATASET' || typeof link.source_id !== 'string') {
      issues.push({ field: `inputs/${name}`, reason: 'run input that is not a dataset link; not copied' });
      continue;
    }
    const datasetText = await readTextIfExists(join(experimentDir, DATASETS_DIR, link.source_id, META_FILE));
    const data = datasetText === undefined ? undefined : asRecord(parsePyYaml(datasetText));
    if (!data) {
      issues.push({ field: `inputs/${name}`, reason: `dataset ${link.source_id} is missing; input not copied` });
      continue;
    }
    inputs.push({
      dataset: datasetFromFields(data, (value) => optionalText(value as YamlValue | undefined)),
      tags: Object.entries(asRecord(link.tags ?? {}) ?? {}).map(([key, value]) => ({ key, value: String(value) })),
    });
  }
  return inputs;
}
