/**
 * The cheap read of a run that listing needs: its ids and a few atoms (RunInfo, provenance),
 * without decoding its series. Row groups that statistics show to hold only series or file rows
 * are skipped unread; `run_id` / `project_id` come from the footer statistics when the column is
 * constant, else from the first rows read.
 */
import { atomAt } from './atoms.js';
import { ArchiveError, PartReader } from './parquet-part.js';
import { isAtomType, type Column } from './schema.js';
import { constantTypeOf, scanParts, valueColumns } from './scan.js';
import type { Atom } from './values.js';

export interface RunHead {
  runId: string;
  projectId: string | undefined;
  /** The wanted atoms, last value per path. */
  atoms: Map<string, Atom>;
}

const NON_ATOM_TYPES = new Set([
  'float_series',
  'string_series',
  'histogram_series',
  'file',
  'file_series',
  'file_set',
  'artifact',
]);

export async function readRunHead(parts: readonly string[], wanted: (path: string) => boolean): Promise<RunHead> {
  const first = parts[0];
  if (first === undefined) throw new Error('a run without parts');
  let runId: string | undefined;
  let projectId: string | undefined;

  const atoms = new Map<string, Atom>();
  const idColumns: Column[] = ['run_id', 'project_id'];
  for await (const { batch, constantType } of scanParts(parts, {
    base: ['attribute_path', ...idColumns],
    columnsFor: (type) => (isAtomType(type) ? valueColumns(type) : []),
    skip: (group) => NON_ATOM_TYPES.has(constantTypeOf(group) ?? ''),
  })) {
    const paths = batch.raw('attribute_path')!;
    const types = batch.raw('attribute_type');
    for (let i = 0; i < batch.length; i++) {
      runId ??= batch.text('run_id', i) ?? undefined;
      projectId ??= batch.text('project_id', i) ?? undefined;
      const path = paths[i];
      const type = constantType ?? types?.[i];
      if (typeof path !== 'string' || typeof type !== 'string' || !isAtomType(type) || !wanted(path)) continue;
      const atom = atomAt(batch, i, path, type);
      if (atom) atoms.set(path, atom);
    }
  }

  if (runId === undefined || projectId === undefined) {
    // Only series rows (no atoms at all): read the ids from the first rows of the run.
    const ids = await readIds(first);
    runId ??= ids.runId;
    projectId ??= ids.projectId;
  }
  if (runId === undefined) throw new ArchiveError(`Neptune archive part ${first} has no run_id value`);
  return { runId, projectId, atoms };
}

/** run_id and project_id of a part's first row group. */
export async function readIds(path: string): Promise<{ runId?: string; projectId?: string }> {
  const part = await PartReader.open(path);
  try {
    const group = part.rowGroups[0];
    if (!group) return {};
    if (group.runIdRange?.[0] === group.runIdRange?.[1] && group.projectIdRange?.[0] === group.projectIdRange?.[1] && group.runIdRange && group.projectIdRange) {
      return { runId: group.runIdRange[0], projectId: group.projectIdRange[0] };
    }
    const batch = await part.read(group, ['run_id', 'project_id']);
    let runId: string | undefined;
    let projectId: string | undefined;
    for (let i = 0; i < batch.length && (runId === undefined || projectId === undefined); i++) {
      runId ??= batch.text('run_id', i) ?? undefined;
      projectId ??= batch.text('project_id', i) ?? undefined;
    }
    return { runId, projectId };
  } finally {
    await part.close();
  }
}
