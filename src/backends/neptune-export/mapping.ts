/**
 * Neptune atoms <-> the canonical run, both ways: the published table of docs/neptune-mapping.md in
 * code. Reading follows the seed's sys rules (reference/seed-semantics.md) generalised by DESIGN:
 * what MLflow can set (name, user, start time, status, deleted) lands in RunInfo, every other
 * read-only `sys/*` fact becomes an `old_sys/<name>` tag, user atoms become typed params.
 *
 * Writing is the exact inverse for everything the reader produces, so that
 * MLflow -> archive -> MLflow and archive -> MLflow -> archive come back identical. Fields Neptune
 * has no place for (MLflow tags, end time, exact status, dataset inputs) live under the
 * `runs_migrator/` namespace, which no Neptune client writes.
 */
import { z } from 'zod';
import type { ReadIssue, RunEnd, RunInit } from '../contract.js';
import { isRunStatus, type DatasetInput, type KeyValue, type RunInfo, type RunStatus, type ValueType } from '../../model/run.js';
import { atomText, parseAtomText, type Atom, type AtomValue } from './values.js';

/** Atom paths of the `runs_migrator/` namespace. */
export const RM_PATHS = {
  status: 'runs_migrator/status',
  endTime: 'runs_migrator/end_time',
  inputs: 'runs_migrator/inputs',
  tagPrefix: 'runs_migrator/tags/',
  paramPrefix: 'runs_migrator/params/',
} as const;

/** Canonical tags that stand for Neptune fields. */
export const NEPTUNE_TAGS = {
  description: 'mlflow.note.content',
  tags: 'neptune.tags',
  groupTags: 'neptune.group_tags',
  customRunId: 'neptune.custom_run_id',
  experiment: 'neptune.experiment',
  parent: 'mlflow.parentRunId',
} as const;

const SYS = 'sys/';
const OLD_SYS = 'old_sys/';
const RM = 'runs_migrator/';

/** Param keys that would read back as something else are kept under runs_migrator/params/. */
const RESERVED_PREFIXES = [SYS, OLD_SYS, RM];

/**
 * One row per Neptune field: the table docs/neptune-mapping.md publishes (a test keeps the two in
 * step). `neptune` is a path or pattern, `canonical` where it lands when read.
 */
export const NEPTUNE_MAPPING: ReadonlyArray<{ neptune: string; canonical: string }> = [
  { neptune: 'run_id (column)', canonical: 'RunInfo.runId (the engine records it as `old_sys/run_id`)' },
  { neptune: 'project_id (column)', canonical: 'the project `WORKSPACE/PROJECT`' },
  { neptune: 'sys/id', canonical: 'nothing more when equal to run_id (2.x); else tag `old_sys/id` (3.x legacy id)' },
  { neptune: 'sys/name', canonical: '2.x: RunInfo.name; 3.x: tag `neptune.experiment` (the run name is the run id)' },
  { neptune: 'sys/custom_run_id', canonical: 'tag `neptune.custom_run_id`' },
  { neptune: 'sys/description', canonical: 'tag `mlflow.note.content`' },
  { neptune: 'sys/tags', canonical: 'tag `neptune.tags` (string_set: sorted JSON array)' },
  { neptune: 'sys/group_tags', canonical: 'tag `neptune.group_tags` (string_set: sorted JSON array)' },
  { neptune: 'sys/owner', canonical: 'RunInfo.user' },
  { neptune: 'sys/creation_time', canonical: 'RunInfo.startTime' },
  { neptune: 'sys/failed', canonical: 'RunInfo.status FAILED when true, else FINISHED (unless `runs_migrator/status`)' },
  { neptune: 'sys/trashed', canonical: 'RunInfo.deleted' },
  { neptune: 'sys/forking/parent', canonical: 'RunInfo.parentRunId and tag `mlflow.parentRunId`' },
  { neptune: 'sys/<other>', canonical: 'tag `old_sys/<other>`, typed' },
  { neptune: 'old_sys/<name>', canonical: 'tag `old_sys/<name>`, typed (on a clash with a sys-derived tag: `old_sys/old_sys/<name>`)' },
  { neptune: 'runs_migrator/status', canonical: 'RunInfo.status' },
  { neptune: 'runs_migrator/end_time', canonical: 'RunInfo.endTime' },
  { neptune: 'runs_migrator/inputs', canonical: 'dataset inputs (JSON)' },
  { neptune: 'runs_migrator/tags/<key>', canonical: 'tag `<key>`, typed' },
  { neptune: 'runs_migrator/params/<key>', canonical: 'param `<key>`, typed' },
  { neptune: '<path> float, int, string, bool, datetime, string_set', canonical: 'param `<path>` with KeyValue.type' },
  { neptune: '<path> float_series', canonical: 'metric `<path>`' },
  { neptune: '<path> string_series', canonical: 'file `<path>/series.txt`' },
  { neptune: '<path> histogram_series', canonical: 'file `<path>/histograms.json`' },
  { neptune: '<path> file', canonical: 'file `<path>` (+ the extension of the stored file when the path lacks it)' },
  { neptune: '<path> file_series', canonical: 'files `<path>/step_<step>/<stored name>`' },
  { neptune: '<path> file_set', canonical: 'files `<path>/<tree of the stored directory>`' },
  { neptune: '<path> artifact', canonical: 'file `<path>/files_list.json`' },
];

export interface MappedRun {
  info: RunInfo;
  params: KeyValue[];
  tags: KeyValue[];
  inputs: DatasetInput[];
  issues: ReadIssue[];
}

/** True for the atoms RunInfo (and a listing) needs: the rest can wait until a run is opened. */
export function isRunInfoPath(path: string): boolean {
  return (
    path.startsWith(SYS) ||
    path === RM_PATHS.status ||
    path === RM_PATHS.endTime ||
    path === RM_PATHS.tagPrefix + NEPTUNE_TAGS.parent
  );
}

/** A canonical key-value from an atom: `type` is left out for strings ("absent means string"). */
function keyValue(key: string, atom: AtomValue): KeyValue {
  const kv: KeyValue = { key, value: atomText(atom) };
  if (atom.type !== 'string') kv.type = atom.type;
  return kv;
}

/** Reads one run's atoms (last value per path already chosen) into the canonical run. */
export function mapNeptuneRun(runId: string, atoms: Iterable<Atom>): MappedRun {
  const byPath = new Map<string, Atom>();
  for (const atom of atoms) byPath.set(atom.path, atom);

  const issues: ReadIssue[] = [];
  const info: RunInfo = { runId, status: 'FINISHED', deleted: false };
  const params: KeyValue[] = [];
  const tags = new Map<string, KeyValue>();
  const storedOldSys: Atom[] = [];
  let inputs: DatasetInput[] = [];
  let failed = false;
  let explicitStatus: RunStatus | undefined;
  let forkParent: string | undefined;

  const sysId = byPath.get('sys/id');
  const customId = byPath.get('sys/custom_run_id');
  // 3.x archives name runs by sys/custom_run_id and keep the experiment name in sys/name;
  // 2.x archives (and ours) carry sys/id == run_id and a display name in sys/name.
  const isNeptune3 = customId?.type === 'string' && customId.value === runId && !(sysId?.type === 'string' && sysId.value === runId);

  const addTag = (kv: KeyValue, from: string): void => {
    const existing = tags.get(kv.key);
    if (existing && (existing.value !== kv.value || existing.type !== kv.type)) {
      issues.push({ field: from, reason: `tag "${kv.key}" is already set from another field; this value was not copied` });
      return;
    }
    tags.set(kv.key, kv);
  };

  for (const atom of byPath.values()) {
    const path = atom.path;
    if (path.startsWith(SYS)) {
      const name = path.slice(SYS.length);
      const text = atomText(atom);
      switch (name) {
        case 'id':
          if (text !== runId) addTag(keyValue(OLD_SYS + name, atom), path);
          continue;
        case 'name':
          if (isNeptune3) addTag({ key: NEPTUNE_TAGS.experiment, value: text }, path);
          else info.name = text;
          continue;
        case 'custom_run_id':
          addTag({ key: NEPTUNE_TAGS.customRunId, value: text }, path);
          continue;
        case 'description':
          addTag({ key: NEPTUNE_TAGS.description, value: text }, path);
          continue;
        case 'tags':
          addTag(keyValue(NEPTUNE_TAGS.tags, atom), path);
          continue;
        case 'group_tags':
          addTag(keyValue(NEPTUNE_TAGS.groupTags, atom), path);
          continue;
        case 'owner':
          info.user = text;
          continue;
        case 'creation_time':
          if (atom.type === 'datetime') {
            info.startTime = atom.value;
            continue;
          }
          break;
        case 'failed':
          if (atom.type === 'bool') {
            failed = atom.value;
            continue;
          }
          break;
        case 'trashed':
          if (atom.type === 'bool') {
            info.deleted = atom.value;
            continue;
          }
          break;
        case 'forking/parent':
          forkParent = text;
          continue;
      }
      addTag(keyValue(OLD_SYS + name, atom), path);
    } else if (path.startsWith(OLD_SYS)) {
      storedOldSys.push(atom);
    } else if (path.startsWith(RM)) {
      if (path === RM_PATHS.status) {
        if (atom.type === 'string' && isRunStatus(atom.value)) explicitStatus = atom.value;
        else issues.push({ field: path, reason: `"${atomText(atom)}" is not a run status; status taken from sys/failed` });
      } else if (path === RM_PATHS.endTime && atom.type === 'datetime') {
        info.endTime = atom.value;
      } else if (path === RM_PATHS.inputs && atom.type === 'string') {
        const parsed = parseInputs(atom.value);
        if (parsed) inputs = parsed;
        else issues.push({ field: path, reason: 'not a JSON list of dataset inputs; not copied' });
      } else if (path.startsWith(RM_PATHS.tagPrefix)) {
        addTag(keyValue(path.slice(RM_PATHS.tagPrefix.length), atom), path);
      } else if (path.startsWith(RM_PATHS.paramPrefix)) {
        params.push(keyValue(path.slice(RM_PATHS.paramPrefix.length), atom));
      } else {
        params.push(keyValue(path, atom));
      }
    } else {
      params.push(keyValue(path, atom));
    }
  }

  // Older provenance (e.g. from the seed migrator) keeps its key unless a fact about this very
  // run claims it; then it moves one level down instead of being overwritten.
  for (const atom of storedOldSys) {
    if (tags.has(atom.path)) {
      const moved = OLD_SYS + atom.path;
      issues.push({ field: atom.path, reason: `clashes with this run's own sys field; copied as tag "${moved}"` });
      addTag(keyValue(moved, atom), atom.path);
    } else {
      addTag(keyValue(atom.path, atom), atom.path);
    }
  }

  info.status = explicitStatus ?? (failed ? 'FAILED' : 'FINISHED');
  if (isNeptune3) info.name = runId;
  const parentTag = tags.get(NEPTUNE_TAGS.parent);
  if (parentTag) info.parentRunId = parentTag.value;
  else if (forkParent !== undefined) {
    info.parentRunId = forkParent;
    tags.set(NEPTUNE_TAGS.parent, { key: NEPTUNE_TAGS.parent, value: forkParent });
  }
  return { info, params, tags: [...tags.values()], inputs, issues };
}

const keyValueSchema = z.object({
  key: z.string(),
  value: z.string(),
  type: z.enum(['string', 'float', 'int', 'bool', 'datetime', 'string_set']).optional(),
});
const inputsSchema = z.array(
  z.object({
    dataset: z.object({
      name: z.string(),
      digest: z.string(),
      sourceType: z.string(),
      source: z.string(),
      schema: z.string().optional(),
      profile: z.string().optional(),
    }),
    tags: z.array(keyValueSchema),
  }),
);

function parseInputs(text: string): DatasetInput[] | undefined {
  try {
    const result = inputsSchema.safeParse(JSON.parse(text));
    return result.success ? (result.data as DatasetInput[]) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// canonical -> Neptune atoms (the writer)

/** A typed value from a canonical key-value; a value that is not of its declared type throws. */
function typedValue(kv: KeyValue, what: string): AtomValue {
  const type: ValueType = kv.type ?? 'string';
  const parsed = parseAtomText(type, kv.value);
  if (!parsed) throw new Error(`${what} "${kv.key}" is declared ${type} but its value "${kv.value.slice(0, 80)}" is not`);
  return parsed;
}

export function paramAtom(kv: KeyValue): Atom {
  const reserved = RESERVED_PREFIXES.some((prefix) => kv.key.startsWith(prefix));
  const path = reserved ? RM_PATHS.paramPrefix + kv.key : kv.key;
  return { path, ...typedValue(kv, 'param') };
}

export function tagAtom(kv: KeyValue): Atom {
  const type: ValueType = kv.type ?? 'string';
  // Special places only when the type matches what the reader gives back, so the way back is exact.
  if (type === 'string') {
    if (kv.key === NEPTUNE_TAGS.description) return { path: 'sys/description', type: 'string', value: kv.value };
    if (kv.key === NEPTUNE_TAGS.customRunId) return { path: 'sys/custom_run_id', type: 'string', value: kv.value };
  }
  if (type === 'string_set' && kv.key === NEPTUNE_TAGS.tags) return { path: 'sys/tags', ...typedValue(kv, 'tag') };
  if (type === 'string_set' && kv.key === NEPTUNE_TAGS.groupTags) return { path: 'sys/group_tags', ...typedValue(kv, 'tag') };
  if (kv.key.startsWith(OLD_SYS)) return { path: kv.key, ...typedValue(kv, 'tag') };
  return { path: RM_PATHS.tagPrefix + kv.key, ...typedValue(kv, 'tag') };
}

/** The atoms a new run starts with. `sys/id == run_id` marks the archive as 2.x-shaped. */
export function runInitAtoms(runId: string, init: RunInit): Atom[] {
  const atoms: Atom[] = [{ path: 'sys/id', type: 'string', value: runId }];
  if (init.name !== undefined) atoms.push({ path: 'sys/name', type: 'string', value: init.name });
  if (init.user !== undefined) atoms.push({ path: 'sys/owner', type: 'string', value: init.user });
  if (init.startTime !== undefined) atoms.push({ path: 'sys/creation_time', type: 'datetime', value: init.startTime });
  for (const tag of init.tags) atoms.push(tagAtom(tag));
  return atoms;
}

/** The atoms `finish` writes, the completion marker last. */
export function runEndAtoms(end: RunEnd, inputs: DatasetInput[]): Atom[] {
  const atoms: Atom[] = [
    { path: RM_PATHS.status, type: 'string', value: end.status },
    { path: 'sys/failed', type: 'bool', value: end.status === 'FAILED' },
    { path: 'sys/trashed', type: 'bool', value: end.deleted },
  ];
  if (end.endTime !== undefined) atoms.push({ path: RM_PATHS.endTime, type: 'datetime', value: end.endTime });
  if (inputs.length > 0) atoms.push({ path: RM_PATHS.inputs, type: 'string', value: JSON.stringify(inputs) });
  atoms.push(tagAtom(end.marker));
  return atoms;
}
