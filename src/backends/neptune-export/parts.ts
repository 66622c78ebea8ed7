/**
 * Which files of a project directory make up which run (format spec 1.2-1.3):
 * `<S(run_id)>_part_<n>.parquet` are a run's parts in integer order; `part_0` existing means the
 * run is complete; `.parquet.tmp` parts are a run still being written (invisible to readers).
 * A prefix is the file name with the last `_part_<n>` suffix stripped (not `str.replace`, which
 * would mangle a run id that itself contains `_part_0`).
 *
 * Our writer also leaves `<prefix>.runs-migrator.json` next to a run it is writing: the one place a
 * partial copy's source run id can be read before its Parquet footer exists.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveError } from './parquet-part.js';

const PART = /^(.*)_part_(\d+)\.parquet(\.tmp)?$/s;
export const SIDECAR_SUFFIX = '.runs-migrator.json';
/** The pre-2025-11-11 layout: many runs per `part_<n>.parquet`, no run prefix. */
const LEGACY_PART = /^part_\d+\.parquet$/;

export interface RunFiles {
  prefix: string;
  /** Complete parts, in part order. */
  parts: Array<{ index: number; path: string }>;
  tmpParts: Array<{ index: number; path: string }>;
  /** part_0.parquet exists. */
  complete: boolean;
  sidecar?: string;
}

export function partName(prefix: string, index: number, tmp = false): string {
  return `${prefix}_part_${index}.parquet${tmp ? '.tmp' : ''}`;
}

/** Every run found in a project directory, by prefix, in name order. */
export async function listRunFiles(projectDir: string): Promise<RunFiles[]> {
  let names: string[];
  try {
    names = await readdir(projectDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const runs = new Map<string, RunFiles>();
  const runFor = (prefix: string): RunFiles => {
    let run = runs.get(prefix);
    if (!run) runs.set(prefix, (run = { prefix, parts: [], tmpParts: [], complete: false }));
    return run;
  };
  for (const name of names) {
    if (LEGACY_PART.test(name)) {
      throw new ArchiveError(
        `${join(projectDir, name)} uses neptune-exporter's pre-2025-11-11 layout (many runs per part file), which is not supported: re-export with a current neptune-exporter`,
      );
    }
    const match = PART.exec(name);
    if (match) {
      const run = runFor(match[1]!);
      const entry = { index: Number(match[2]), path: join(projectDir, name) };
      if (match[3]) run.tmpParts.push(entry);
      else run.parts.push(entry);
      continue;
    }
    if (name.endsWith(SIDECAR_SUFFIX)) runFor(name.slice(0, -SIDECAR_SUFFIX.length)).sidecar = join(projectDir, name);
  }
  const out = [...runs.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  for (const run of out) {
    run.parts.sort((a, b) => a.index - b.index);
    run.tmpParts.sort((a, b) => a.index - b.index);
    run.complete = run.parts.some((part) => part.index === 0);
  }
  return out;
}
