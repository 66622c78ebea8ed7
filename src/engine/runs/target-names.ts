/**
 * A source run seen under the names its copy gets in the target (key-mapping.ts): params, tags,
 * metric keys and file paths the target refuses appear renamed, and reading a renamed metric or
 * file reads the original. copy writes from this view and verify compares against it, so both
 * follow one mapping. Each rename is reported once per call as a `mapped` issue; a key no rule
 * can save is left as it is, for the usual checks to drop and report it.
 */
import type { Readable } from 'node:stream';
import type { SourceRun, Store } from '../../backends/contract.js';
import type { FileEntry, KeyValue, MetricPoint } from '../../model/run.js';
import { PROVENANCE_KEYS } from '../../model/provenance.js';
import { mapKeys, mapPath } from '../key-mapping.js';
import { PARENT_TAG } from './prepare.js';
import { unsafePathReason } from '../paths.js';
import type { RunIssue } from '../types.js';

/** Tags the engine writes itself: a renamed source tag must not land on one. */
function engineTag(name: string): boolean {
  return PROVENANCE_KEYS.has(name) || name.startsWith('runs_migrator.') || name === PARENT_TAG;
}

export function withTargetNames(source: SourceRun, target: Store, issues: RunIssue[]): SourceRun {
  const metricOrigin = new Map<string, string>();
  const fileOrigin = new Map<string, string>();

  const renameAll = (field: 'param' | 'tag' | 'metric', keys: string[]): Map<string, string> => {
    const out = new Map<string, string>();
    for (const [from, rename] of mapKeys(keys, target, field === 'tag' ? engineTag : undefined)) {
      if (rename.to === undefined) continue;
      out.set(from, rename.to);
      issues.push({ field, key: from, targetKey: rename.to, action: 'mapped', reason: `written as "${rename.to}": ${rename.reason}` });
    }
    return out;
  };
  const renameValues = (field: 'param' | 'tag', items: KeyValue[]): KeyValue[] => {
    const renames = renameAll(field, items.map((item) => item.key));
    return renames.size === 0 ? items : items.map((item) => ({ ...item, key: renames.get(item.key) ?? item.key }));
  };
  const originalFile = (path: string) => fileOrigin.get(path) ?? path;
  const originalMetric = (key: string) => metricOrigin.get(key) ?? key;

  const view: SourceRun = {
    info: source.info,
    params: async () => renameValues('param', await source.params()),
    tags: async () => renameValues('tag', await source.tags()),
    inputs: () => source.inputs(),
    async metricKeys() {
      const keys = await source.metricKeys();
      const renames = renameAll('metric', keys);
      for (const [from, to] of renames) metricOrigin.set(to, from);
      return keys.map((key) => renames.get(key) ?? key);
    },
    metricHistory: (key: string): AsyncIterable<MetricPoint[]> => source.metricHistory(originalMetric(key)),
    async *files(): AsyncIterable<FileEntry> {
      const cache = new Map<string, boolean>();
      for await (const file of source.files()) {
        if (unsafePathReason(file.path) !== undefined) {
          yield file;
          continue;
        }
        const path = mapPath(file.path, target, cache);
        if (path !== file.path) {
          fileOrigin.set(path, file.path);
          issues.push({
            field: 'file',
            key: file.path,
            targetKey: path,
            action: 'mapped',
            reason: `written as "${path}": ${target.kind} cannot take the path as it is (component over the length limit or a refused character)`,
          });
        }
        yield path === file.path ? file : { ...file, path };
      }
    },
    openFile: (path: string): Promise<Readable> => source.openFile(originalFile(path)),
  };
  if (source.fileConcurrency !== undefined) Object.assign(view, { fileConcurrency: source.fileConcurrency });
  if (source.readIssues) view.readIssues = () => source.readIssues!();
  if (source.close) view.close = () => source.close!();
  if (source.rawMetricHistory) view.rawMetricHistory = (key: string) => source.rawMetricHistory!(originalMetric(key));
  return view;
}
