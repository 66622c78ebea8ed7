/**
 * `inspectArchive`: what an archive holds, per project, like neptune-exporter's `summary` command
 * (format spec 6) but with on-disk numbers: runs, rows, attribute types with their counts of
 * unique paths, step range, metric points, files and bytes of the files tree, incomplete runs.
 * Streams every complete run row group by row group, reading only path, type, step and file
 * columns; nothing is written.
 */
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { listRunFiles } from './parts.js';
import { listProjectDirs } from './project-dir.js';
import { readIds } from './run-head.js';
import { sanitizePathPart } from './sanitise.js';
import { scanParts } from './scan.js';
import { formatUnscaledStep, type Column } from './schema.js';

export interface ProjectSummary {
  /** From the `project_id` column (undefined when the directory has no complete run). */
  projectId?: string;
  directory: string;
  /** Complete runs (part_0.parquet present). */
  runs: number;
  /** Runs with only `.tmp` parts or a runs-migrator sidecar: still being written or crashed. */
  incompleteRuns: Array<{ prefix: string; tmpParts: number; runId?: string; sourceRunId?: string }>;
  parts: number;
  parquetBytes: number;
  rows: number;
  /** Per attribute type: rows and unique attribute paths. */
  attributeTypes: Record<string, { rows: number; uniquePaths: number }>;
  /** Rows with a step, and the smallest and largest step (exact decimal text). */
  steps: { count: number; min?: string; max?: string };
  /** float_series rows (metric points, NaN ones included). */
  points: number;
  /** Files and bytes the file rows point to in the files tree (directories counted file by file). */
  files: { count: number; bytes: number; missing: number };
  runIds: string[];
  /** The five runs with the most rows. */
  topRuns: Array<{ runId: string; rows: number }>;
}

export interface ArchiveSummary {
  dataPath: string;
  filesPath: string;
  projects: ProjectSummary[];
}

const FILE_TYPES = new Set(['file', 'file_series', 'file_set', 'artifact']);
const STEP_TYPES = new Set(['float_series', 'string_series', 'histogram_series', 'file_series']);

function columnsFor(type: string): Column[] {
  const columns: Column[] = [];
  if (STEP_TYPES.has(type)) columns.push('step');
  if (FILE_TYPES.has(type)) columns.push('file_value');
  return columns;
}

export async function inspectArchive(dataPath: string, filesPath?: string): Promise<ArchiveSummary> {
  const data = resolve(dataPath);
  const files = resolve(filesPath ?? join(data, '..', 'files'));
  if (!(await stat(data).catch(() => undefined))?.isDirectory()) {
    throw new Error(`the Neptune archive data path ${data} does not exist or is not a directory`);
  }
  const projects: ProjectSummary[] = [];
  for (const name of await listProjectDirs(data)) {
    const summary = await inspectProject(join(data, name), files);
    if (summary.runs > 0 || summary.incompleteRuns.length > 0) projects.push(summary);
  }
  return { dataPath: data, filesPath: files, projects };
}

async function inspectProject(dir: string, filesPath: string): Promise<ProjectSummary> {
  const summary: ProjectSummary = {
    directory: dir,
    runs: 0,
    incompleteRuns: [],
    parts: 0,
    parquetBytes: 0,
    rows: 0,
    attributeTypes: {},
    steps: { count: 0 },
    points: 0,
    files: { count: 0, bytes: 0, missing: 0 },
    runIds: [],
    topRuns: [],
  };
  const uniquePaths = new Map<string, Set<string>>();
  const filePaths = new Set<string>();
  let minStep: bigint | undefined;
  let maxStep: bigint | undefined;
  const runRows: Array<{ runId: string; rows: number }> = [];

  for (const run of await listRunFiles(dir)) {
    if (!run.complete) {
      const sidecar = run.sidecar ? await readSidecar(run.sidecar) : undefined;
      summary.incompleteRuns.push({ prefix: run.prefix, tmpParts: run.tmpParts.length, ...sidecar });
      continue;
    }
    const parts = run.parts.map((part) => part.path);
    const ids = await readIds(parts[0]!);
    summary.projectId ??= ids.projectId;
    const runId = ids.runId ?? run.prefix;
    summary.runs++;
    summary.runIds.push(runId);
    summary.parts += parts.length;
    for (const part of parts) summary.parquetBytes += (await stat(part)).size;
    let rows = 0;

    for await (const { batch, constantType } of scanParts(parts, { base: ['attribute_path'], columnsFor })) {
      rows += batch.length;
      const paths = batch.raw('attribute_path')!;
      const types = batch.raw('attribute_type');
      const hasStep = batch.has('step');
      const hasFile = batch.has('file_value');
      for (let i = 0; i < batch.length; i++) {
        const type = (constantType ?? types?.[i] ?? 'null') as string;
        let entry = summary.attributeTypes[type];
        if (!entry) summary.attributeTypes[type] = entry = { rows: 0, uniquePaths: 0 };
        entry.rows++;
        let set = uniquePaths.get(type);
        if (!set) uniquePaths.set(type, (set = new Set()));
        const path = paths[i];
        if (typeof path === 'string') set.add(path);
        if (type === 'float_series') summary.points++;
        if (hasStep) {
          const step = batch.step(i);
          if (step !== null) {
            summary.steps.count++;
            if (minStep === undefined || step < minStep) minStep = step;
            if (maxStep === undefined || step > maxStep) maxStep = step;
          }
        }
        if (hasFile && FILE_TYPES.has(type)) {
          const filePath = batch.filePath(i);
          if (filePath !== null) filePaths.add(filePath);
        }
      }
    }
    summary.rows += rows;
    runRows.push({ runId, rows });
  }

  for (const [type, set] of uniquePaths) summary.attributeTypes[type]!.uniquePaths = set.size;
  if (minStep !== undefined) summary.steps.min = formatUnscaledStep(minStep);
  if (maxStep !== undefined) summary.steps.max = formatUnscaledStep(maxStep);
  summary.topRuns = runRows.sort((a, b) => b.rows - a.rows).slice(0, 5);
  if (summary.projectId !== undefined) {
    const root = resolve(filesPath, sanitizePathPart(summary.projectId));
    for (const filePath of filePaths) await countFiles(root, filePath, summary.files);
  }
  return summary;
}

async function countFiles(root: string, filePath: string, totals: ProjectSummary['files']): Promise<void> {
  const abs = resolve(root, filePath);
  if (abs !== root && !abs.startsWith(root + sep)) {
    totals.missing++;
    return;
  }
  const entry = await lstat(abs).catch(() => undefined);
  if (!entry) {
    totals.missing++;
  } else if (entry.isDirectory()) {
    for (const child of await readdir(abs)) await countFiles(root, join(filePath, child), totals);
  } else if (entry.isFile()) {
    totals.count++;
    totals.bytes += entry.size;
  }
}

async function readSidecar(path: string): Promise<{ runId?: string; sourceRunId?: string } | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as { runId?: unknown; sourceRunId?: unknown };
    return {
      runId: typeof parsed.runId === 'string' ? parsed.runId : undefined,
      sourceRunId: typeof parsed.sourceRunId === 'string' ? parsed.sourceRunId : undefined,
    };
  } catch {
    return undefined;
  }
}

