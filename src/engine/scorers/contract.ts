/**
 * The scorers part of the backend contract: optional abilities, discovered at run time like traces
 * (traces/contract.ts). Scorers are judges registered to an experiment: a name and numbered
 * versions, each version a serialized scorer (a JSON text MLflow stores verbatim). A project
 * object without these abilities cannot hold scorers: the engine reports them as not copied.
 *
 * Scorers are small (a few kB of JSON each, a handful per experiment), so they are listed whole.
 */

export interface ScorerVersion {
  /** 1, 2, ... per name and experiment; a deleted version leaves a gap. */
  version: number;
  /** The serialized scorer, a JSON text kept byte for byte. */
  serialized: string;
  /** Milliseconds since the epoch, where the store keeps it. */
  creationTime?: number;
}

export interface Scorer {
  name: string;
  /** The store's own id of the scorer (a UUID): never copied, each store mints its own. */
  scorerId?: string;
  /** Oldest first. */
  versions: ScorerVersion[];
}

export interface SourceScorers {
  /** Every scorer registered to the experiment, with all its versions. */
  listScorers(): Promise<Scorer[]>;
  /** Does this store let a writer choose version numbers and creation times (a database does, a server does not)? */
  readonly keepsScorerNumbers: boolean;
}

export interface TargetScorers extends SourceScorers {
  /**
   * Adds a version after the scorer's last one (creating the scorer when it has none). A store
   * that keeps numbers writes `version.version` and `version.creationTime`; a server numbers it
   * itself. Answers the number the store gave it.
   */
  addScorerVersion(name: string, version: ScorerVersion): Promise<number>;
}

export function sourceScorersOf(project: object | undefined): SourceScorers | undefined {
  const p = project as Partial<SourceScorers> | undefined;
  return p && typeof p.listScorers === 'function' && typeof p.keepsScorerNumbers === 'boolean' ? (p as SourceScorers) : undefined;
}

export function targetScorersOf(project: object | undefined): TargetScorers | undefined {
  const p = project as Partial<TargetScorers> | undefined;
  return p && typeof p.listScorers === 'function' && typeof p.addScorerVersion === 'function' ? (p as TargetScorers) : undefined;
}
