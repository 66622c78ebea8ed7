/**
 * Tags every copied run carries (DESIGN rule 2). `old_sys/*` keeps what the target cannot set, as
 * the seed did; the completion marker is written last, so its presence means "copy complete".
 * A copy is matched to its source by (old_sys/project, old_sys/run_id): run ids are unique within
 * a project, and the URI is informational because one server has many spellings.
 */
export const PROVENANCE = {
  runId: 'old_sys/run_id',
  experimentId: 'old_sys/experiment_id',
  project: 'old_sys/project',
  uri: 'old_sys/uri',
  artifactUri: 'old_sys/artifact_uri',
  parentRunId: 'old_sys/parent_run_id',
  /** Written last: ISO time the copy finished. */
  completed: 'runs_migrator.completed',
  /** The source's state token (RunInfo.stateToken) the copy is up to date with; written last by a sync. */
  sourceState: 'runs_migrator.source_state',
  /**
   * When a sync last compared the copy's files (ms since the epoch, taken before the source was
   * listed): a source file modified later was rewritten after that pass (engine/file-change.ts).
   */
  syncedAt: 'runs_migrator.synced_at',
} as const;

/** The provenance tag keys, for stores that keep them apart from user tags. */
export const PROVENANCE_KEYS: ReadonlySet<string> = new Set(Object.values(PROVENANCE));

export function copyKey(sourceProject: string, sourceRunId: string): string {
  return `${sourceProject}\u0000${sourceRunId}`;
}
