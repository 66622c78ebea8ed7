/**
 * A run's artifact tree as the canonical model sees it, built from the archive's file rows (paths
 * relative to `<files-path>/<S(project_id)>`, format spec 4) and the generated series files:
 *
 * - `file` -> `<attribute path>`, plus the stored file's extension when the path lacks it
 *   (3.x stores `files/model` as `.../model.bin`; 2.x stores no extension);
 * - `file_series` -> `<attribute path>/step_<step>/<stored name>`;
 * - `file_set` -> the stored directory's tree under `<attribute path>/` (2.x: a ZIP inside);
 * - `artifact` -> `<attribute path>/files_list.json` (2.x stores only the list, not the files).
 *
 * A stored path that leaves the files root, a symlink, or a missing file is reported and skipped;
 * of two entries with the same artifact path the first is kept and the second reported.
 */
import { lstat, readdir } from 'node:fs/promises';
import { basename, extname, join, resolve, sep } from 'node:path';
import type { IssueLog } from './issues.js';

export interface FileRow {
  type: 'file' | 'file_series' | 'file_set' | 'artifact';
  attributePath: string;
  filePath: string;
  /** file_series only: the exact step text (after the step multiplier). */
  step: string | null;
}

export interface RunFile {
  path: string;
  size: number;
  source: { kind: 'disk'; abs: string } | { kind: 'spill'; channel: number };
}

export async function resolveFiles(
  rows: readonly FileRow[],
  generated: readonly RunFile[],
  filesRoot: string,
  issues: IssueLog,
): Promise<RunFile[]> {
  const root = resolve(filesRoot);
  const out = new Map<string, RunFile>();
  const add = (file: RunFile, field: string): void => {
    if (out.has(file.path)) {
      issues.add(field, `artifact path "${file.path}" is already taken by another attribute; not copied`);
      return;
    }
    out.set(file.path, file);
  };
  const seriesIndex = new Map<string, number>();

  for (const row of rows) {
    const abs = resolve(root, row.filePath);
    if (abs !== root && !abs.startsWith(root + sep)) {
      issues.add(row.attributePath, `stored file path "${row.filePath}" leaves the files root; not copied`);
      continue;
    }
    const stat = await lstat(abs).catch(() => undefined);
    if (!stat) {
      issues.add(row.attributePath, `stored file ${abs} is missing from the archive's files tree; not copied`);
      continue;
    }
    if (stat.isSymbolicLink()) {
      issues.add(row.attributePath, `stored file ${abs} is a symbolic link; not followed`);
      continue;
    }
    switch (row.type) {
      case 'file': {
        if (stat.isDirectory()) {
          await addTree(abs, row.attributePath, add, issues);
          break;
        }
        const ext = extname(basename(abs));
        const path = ext && !row.attributePath.endsWith(ext) ? row.attributePath + ext : row.attributePath;
        add({ path, size: stat.size, source: { kind: 'disk', abs } }, row.attributePath);
        break;
      }
      case 'file_series': {
        // 2.x rows always carry the item index as step; a row without one keeps its order.
        const index = seriesIndex.get(row.attributePath) ?? 0;
        seriesIndex.set(row.attributePath, index + 1);
        const step = row.step ?? `unknown_${index}`;
        if (stat.isDirectory()) await addTree(abs, `${row.attributePath}/step_${step}`, add, issues);
        else add({ path: `${row.attributePath}/step_${step}/${basename(abs)}`, size: stat.size, source: { kind: 'disk', abs } }, row.attributePath);
        break;
      }
      case 'file_set': {
        if (stat.isDirectory()) await addTree(abs, row.attributePath, add, issues);
        else add({ path: `${row.attributePath}/${basename(abs)}`, size: stat.size, source: { kind: 'disk', abs } }, row.attributePath);
        break;
      }
      case 'artifact': {
        const list = stat.isDirectory() ? join(abs, 'files_list.json') : abs;
        const listStat = stat.isDirectory() ? await lstat(list).catch(() => undefined) : stat;
        if (!listStat || !listStat.isFile()) {
          issues.add(row.attributePath, `artifact file list ${list} is missing; not copied`);
          break;
        }
        add({ path: `${row.attributePath}/files_list.json`, size: listStat.size, source: { kind: 'disk', abs: list } }, row.attributePath);
        break;
      }
    }
  }
  for (const file of generated) add(file, file.path);
  return [...out.values()];
}

/** Every regular file below `dir`, as `<prefix>/<relative path>`, in name order. */
async function addTree(
  dir: string,
  prefix: string,
  add: (file: RunFile, field: string) => void,
  issues: IssueLog,
): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const abs = join(dir, entry.name);
    const path = `${prefix}/${entry.name}`;
    if (entry.isSymbolicLink()) issues.add(prefix, `stored file ${abs} is a symbolic link; not followed`);
    else if (entry.isDirectory()) await addTree(abs, path, add, issues);
    else if (entry.isFile()) add({ path, size: (await lstat(abs)).size, source: { kind: 'disk', abs } }, prefix);
  }
}
