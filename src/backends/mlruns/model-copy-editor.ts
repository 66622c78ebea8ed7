/**
 * A sync's writes to a complete logged-model copy in an mlruns store (models.ts has the layout),
 * as MLflow's FileStore makes them: one file per param and tag (a param file is never rewritten:
 * the engine sends new keys only), the status in meta.yaml (rewritten atomically, with
 * last_updated_timestamp), metric rows appended to their key's file, files below the model's
 * artifact folder replaced or removed.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { LoggedModelStatus, ModelCopyEditor, ModelMetric } from '../model-contract.js';
import type { KeyValue } from '../../model/run.js';
import { deleteArtifact, writeArtifact } from './artifacts.js';
import { readTextIfExists, writeFileAtomic, writePrivateFile } from './fs-util.js';
import { writeKeyValue } from './key-value-dir.js';
import { keyPath, META_FILE, METRICS_DIR, PARAMS_DIR, TAGS_DIR } from './layout.js';
import { CODE_BY_STATUS, formatModelMetricLine, modelArtifactRoot, readModelFolder } from './models.js';
import { dumpPyYaml } from './pyyaml.js';

export async function openMlrunsModelCopy(dir: string, now: () => number): Promise<ModelCopyEditor> {
  const folder = await readModelFolder(dir);
  if (!folder) throw new Error(`the logged-model copy in ${dir} has no readable meta.yaml`);
  const artifacts = await modelArtifactRoot(folder);
  return {
    async logParams(params: KeyValue[]): Promise<void> {
      for (const param of params) await writeKeyValue(join(dir, PARAMS_DIR), param.key, param.value);
    },
    async setTags(tags: KeyValue[]): Promise<void> {
      for (const tag of tags) await writeKeyValue(join(dir, TAGS_DIR), tag.key, tag.value);
    },
    async deleteTags(keys: string[]): Promise<void> {
      for (const key of keys) await rm(keyPath(join(dir, TAGS_DIR), key), { force: true });
    },
    async setStatus(status: LoggedModelStatus): Promise<void> {
      const meta = { ...folder.meta, status: CODE_BY_STATUS[status], last_updated_timestamp: now() };
      await writeFileAtomic(join(dir, META_FILE), dumpPyYaml(meta));
    },
    async logMetrics(metrics: ModelMetric[]): Promise<void> {
      const byKey = new Map<string, string>();
      for (const m of metrics) byKey.set(m.key, (byKey.get(m.key) ?? '') + formatModelMetricLine(m));
      for (const [key, lines] of byKey) {
        const file = keyPath(join(dir, METRICS_DIR), key);
        const before = (await readTextIfExists(file)) ?? '';
        // A torn last line (a killed append) is completed before the new rows.
        await writePrivateFile(file, before === '' || before.endsWith('\n') ? before + lines : `${before}\n${lines}`);
      }
    },
    writeFile(path: string, data: Readable, size: number): Promise<void> {
      return writeArtifact(artifacts, path, data, size);
    },
    deleteFile(path: string): Promise<void> {
      return deleteArtifact(artifacts, path);
    },
  };
}
