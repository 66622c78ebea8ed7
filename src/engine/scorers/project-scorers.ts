/**
 * The scorers part of a project copy (copy-project.ts calls it after traces): the scorers
 * registered to the source experiment go to the target experiment (copy-scorers.ts). A source
 * store without scorers (an mlruns folder, a Neptune archive) has nothing to copy; a target store
 * that cannot hold them (the same two) gets each scorer reported as not copied, with its versions.
 * Sharded copies share scorers out by name, so parallel shards never register the same version.
 */
import type { SourceProject, Store, TargetProject } from '../../backends/contract.js';
import { errorMessage } from '../../util/errors.js';
import { inShard } from '../filters.js';
import type { CopyEvent, CopyOptions } from '../types.js';
import { sourceScorersOf, targetScorersOf } from './contract.js';
import { copyScorers } from './copy-scorers.js';
import { summariseScorers, type ScorersReport } from './types.js';

export interface ProjectScorersInput {
  options: CopyOptions;
  source: SourceProject;
  target: TargetProject | undefined;
  emit(event: CopyEvent): void;
}

export const cannotHoldScorers = (store: Store) => `${store.kind} stores cannot hold scorers`;

/** Scorers go to the shard their name falls in. */
export const scorerSelector = (options: { shard?: CopyOptions['shard'] }) => (name: string) => inShard(`scorer:${name}`, options.shard);

/** Undefined when the source holds no scorers (a store without them, or an experiment without any). */
export async function copyProjectScorers(input: ProjectScorersInput): Promise<ScorersReport | undefined> {
  const { options, emit } = input;
  const source = sourceScorersOf(input.source);
  if (!source || options.signal?.aborted) return undefined;
  const dryRun = options.dryRun ?? false;
  const existing = targetScorersOf(input.target);
  // An existing target project without the abilities is a store that cannot hold scorers; a
  // project that a dry run has not created yet is planned as if it could.
  const cannotHold = input.target && !existing ? cannotHoldScorers(options.target.store) : undefined;
  try {
    const scorers = await copyScorers({
      source,
      target: dryRun ? undefined : existing,
      existing,
      ...(cannotHold ? { cannotHold } : {}),
      select: scorerSelector(options),
      onScorerDone: (result) => emit({ type: 'info', message: `scorer ${result.name}: ${result.outcome}${result.reason ? ` - ${result.reason}` : ''}` }),
    });
    if (scorers.length === 0) return undefined;
    return { summary: summariseScorers(scorers), scorers };
  } catch (error) {
    const reason = `the scorers were not copied: ${errorMessage(error)}`;
    emit({ type: 'info', message: reason });
    return { summary: summariseScorers([]), error: reason, scorers: [] };
  }
}
