/**
 * Has a file of a copy fallen behind its source? (docs/sync.md "Files: what is compared".)
 * Listings give a path and a size everywhere; no store listing gives a sha256 (an object store's
 * ETag is an MD5 of the bytes or of the parts, not a sha256), and hashing both sides would read
 * every file of every changed run. So:
 *
 * - another size: changed;
 * - the same size, and the source listing gives a modification time (mlruns folders, local
 *   artifact folders of MLflow's database): changed when the source file was modified after the
 *   copy's file was (where the copy's listing gives a time too), else after the copy's last
 *   comparison (`runs_migrator.synced_at`, or the completion marker's time for a copy never
 *   synced);
 * - the same size, no time from the source (MLflow servers, object stores): unchanged.
 */
import type { FileEntry, KeyValue } from '../model/run.js';
import { PROVENANCE } from '../model/provenance.js';

/** The time a copy's files were last brought up to date, from its tags (undefined: unknown). */
export function lastComparedMs(copyTags: readonly KeyValue[]): number | undefined {
  let best: number | undefined;
  for (const tag of copyTags) {
    const at = tag.key === PROVENANCE.syncedAt ? Number(tag.value) : tag.key === PROVENANCE.completed ? Date.parse(tag.value) : NaN;
    if (Number.isFinite(at) && (best === undefined || at > best)) best = at;
  }
  return best;
}

export type FileChange = 'added' | 'resized' | 'rewritten' | undefined;

export function fileChange(source: FileEntry, copy: FileEntry | undefined, comparedMs: number | undefined): FileChange {
  if (!copy) return 'added';
  if (copy.size !== source.size) return 'resized';
  if (source.modifiedMs === undefined) return undefined;
  const since = copy.modifiedMs ?? comparedMs;
  return since !== undefined && source.modifiedMs > since ? 'rewritten' : undefined;
}

export function describeFileChange(path: string, change: Exclude<FileChange, undefined>, source: FileEntry, copy: FileEntry | undefined): string {
  if (change === 'added') return `file ${path} added`;
  if (change === 'resized') return `file ${path} changed (${copy!.size} -> ${source.size} bytes)`;
  return `file ${path} rewritten (same size, ${source.size} bytes, modified after the copy)`;
}

/**
 * Whether files left only in the copy may be deleted, from what the source reported while listing
 * its files: nothing is deleted when the listing was incomplete (data lost, or the files as a
 * whole unreadable - e.g. an artifact folder missing on this machine), and a path the source
 * reported on its own (a symlink, an unsafe name) is never deleted.
 */
export function deletionGuard(issues: ReadonlyArray<{ field: string; reason: string; lost?: boolean }>): { blocked?: string; keep: Set<string> } {
  const whole = issues.filter((issue) => issue.lost || issue.field === 'files');
  const keep = new Set<string>();
  for (const issue of issues) {
    const match = /^(?:files|artifacts)\/(.+)$/.exec(issue.field);
    if (match) keep.add(match[1]!);
  }
  return whole.length > 0 ? { blocked: `the source could not list all its files (${whole.map((issue) => issue.reason).join('; ')}); no file of the copy is deleted`, keep } : { keep };
}
