/**
 * A re-run meets a run that has a complete copy: is the copy up to date, and if not, bring it up to
 * date (sync-run.ts). Deciding is cheap: the source's listing gives each run a state token
 * (RunInfo.stateToken) and the copy records the token it was last synced with (CopyRecord
 * .sourceState, the `runs_migrator.source_state` tag); equal tokens and the same deleted state
 * mean nothing is read and nothing is written. Otherwise the run and its copy are compared in
 * full, the differences written, then the new token - last, so a pass killed before it is
 * compared again by the next one - and finally the copy is deleted when its source was.
 */
import type { CopyEditor, CopyRecord, SourceProject, SourceRun, Store, TargetProject } from '../../backends/contract.js';
import type { ProjectRef } from '../../model/project-ref.js';
import { PROVENANCE } from '../../model/provenance.js';
import type { KeyValue, RunInfo } from '../../model/run.js';
import { emptyCounts } from './copy-run.js';
import type { Provenance } from './prepare.js';
import { syncRun, type RunSync } from './sync-run.js';
import type { RunOutcome } from '../types.js';

/** True when the copy may be behind its source: only then is it opened and compared. */
export function copyMayBeBehind(info: RunInfo, kept: CopyRecord, target: Store): boolean {
  if (info.deleted && kept.deleted) return false; // a deleted run takes no writes (MLflow); nothing to follow
  if (target.capabilities.keepsDeletedRuns && info.deleted !== kept.deleted) return true;
  return info.stateToken === undefined || kept.sourceState !== info.stateToken;
}

/** Opens copies through the target store's reader, opened once on first use. */
export class CopyReader {
  private project: Promise<SourceProject> | undefined;

  constructor(private readonly store: Store, private readonly ref: ProjectRef) {}

  async open(kept: CopyRecord): Promise<SourceRun> {
    this.project ??= this.store.openSource(this.ref);
    // Readers look a run up by id; the rest of the info comes from the copy itself.
    return (await this.project).openRun({ runId: kept.targetRunId, status: 'FINISHED', deleted: kept.deleted });
  }

  async close(): Promise<void> {
    const project = this.project;
    this.project = undefined;
    if (project) await (await project.catch(() => undefined))?.close?.();
  }
}

export interface CopySync {
  outcome: RunOutcome;
  reason?: string;
  sync: RunSync;
}

export interface CopySyncContext {
  sourceProject: SourceProject;
  target: TargetProject;
  targetStore: Store;
  reader: CopyReader;
  origin: Provenance;
  dryRun: boolean;
  onProgress(points: number, bytes: number): void;
  signal?: AbortSignal;
}

export async function syncCopy(context: CopySyncContext, info: RunInfo, kept: CopyRecord, parentTargetId: string | undefined, sync: RunSync): Promise<CopySync> {
  const { target, dryRun } = context;
  // Before the source is read: a file modified after this moment is found by the next pass.
  const started = Date.now();
  const source = await context.sourceProject.openRun(info);
  try {
    const copy = await context.reader.open(kept);
    try {
      const editor = dryRun ? undefined : lazyEditor(() => target.openCopy!(kept.targetRunId));
      await syncRun(
        { targetStore: context.targetStore, origin: context.origin, editor, onProgress: context.onProgress, signal: context.signal },
        source,
        copy,
        parentTargetId,
        sync,
      );
      if (sync.conflicts.length > 0) {
        return { outcome: 'failed', reason: `params changed in the source, the copy was left as it is: ${sync.conflicts.join('; ')}`, sync };
      }
      if (sync.problems.length > 0) {
        return { outcome: 'failed', reason: `not brought fully up to date: ${sync.problems.join('; ')}`, sync };
      }
      const token = info.stateToken;
      const bookkeeping: KeyValue[] = [];
      if (token !== undefined && token !== kept.sourceState) bookkeeping.push({ key: PROVENANCE.sourceState, value: token });
      // When the files were last compared (engine/file-change.ts), with anything written.
      if (bookkeeping.length > 0 || sync.changes.length > 0) bookkeeping.push({ key: PROVENANCE.syncedAt, value: String(started) });
      if (editor && bookkeeping.length > 0) await editor.setTags(bookkeeping);
      if (source.info.deleted && !copy.info.deleted && context.targetStore.capabilities.keepsDeletedRuns) {
        if (!dryRun) await target.deleteRun(kept.targetRunId);
        sync.changes.push('deleted like its source');
      }
    } finally {
      await copy.close?.();
    }
  } finally {
    await source.close?.();
  }
  if (sync.changes.length === 0) return { outcome: 'skipped', reason: `already copied to ${kept.targetRunId}, up to date`, sync };
  return { outcome: dryRun ? 'planned' : 'updated', reason: `${dryRun ? 'would update' : 'updated'}: ${sync.changes.join('; ')}`, sync };
}

export function emptySync(): RunSync {
  return { changes: [], conflicts: [], problems: [], counts: emptyCounts(), issues: [] };
}

/** The copy is reopened for writing (one request on a server) only when a write is due. */
function lazyEditor(open: () => Promise<CopyEditor>): CopyEditor {
  let opened: Promise<CopyEditor> | undefined;
  const editor = (): Promise<CopyEditor> => (opened ??= open());
  return {
    get runId(): string {
      throw new Error('the copy editor has no run id before it is opened');
    },
    logParams: async (params) => (await editor()).logParams(params),
    setTags: async (tags) => (await editor()).setTags(tags),
    logMetrics: async (batches) => (await editor()).logMetrics(batches),
    logInputs: async (inputs) => (await editor()).logInputs(inputs),
    writeFile: async (path, data, size) => (await editor()).writeFile(path, data, size),
    finish: async (end) => (await editor()).finish(end),
    deleteTags: async (keys) => (await editor()).deleteTags(keys),
    updateInfo: async (change) => (await editor()).updateInfo(change),
    restore: async () => (await editor()).restore(),
    deleteFile: async (path) => {
      const opened = await editor();
      if (!opened.deleteFile) throw new Error('this target cannot delete a file of a copy');
      await opened.deleteFile(path);
    },
  };
}
