/**
 * The state token of a trace folder of an mlruns store (docs/traces.md "Re-runs follow changes"),
 * made while listing, so that a re-run compares a copied trace again only when its source changed.
 *
 * What MLflow's FileStore changes in a complete trace, and where:
 * - set_trace_tag / delete_trace_tag: a file of `tags/` written in place or removed. The listing
 *   reads every tag file anyway, so the tags go into the token by content (exact).
 * - create_assessment / update_assessment / delete_assessment (an override rewrites the overridden
 *   one with valid: false, deleting the override rewrites it valid again): a file of
 *   `assessments/` written (write_yaml, in place: same inode, truncated) or removed. These are not
 *   opened: each one's name, inode, size, and modification and change times in nanoseconds go
 *   into the token (one readdir and one stat per assessment file).
 *
 * A write in place that leaves the size as it was changes the modification and change times,
 * unless it lands in the same tick of the file system's clock as the write before it (a coarse
 * clock: a few ms on ext4, 1 s on ext3 or HFS+, 2 s on FAT). So a file modified or changed less
 * than RACY_WINDOW_MS before the token is made could still change without its stat moving: such
 * a token ends with a random suffix, which no later token equals, so the next pass compares the
 * trace again (as Git does with an index entry as new as the index). Once its files are older,
 * the token is stable again.
 */
import { randomBytes, createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { traceStateToken } from '../../engine/traces/trace-state.js';
import { isErrorCode } from './fs-util.js';

export const ASSESSMENTS_DIR = 'assessments';

/** Older than this, a file's stat moves with any later write (coarsest clocks: 2 s on FAT, plus slack). */
export const RACY_WINDOW_MS = 3_000;

/** The `.yaml` files of a trace's assessments folder, sorted; none when it has no such folder. */
export function assessmentFileNames(traceDir: string): string[] {
  try {
    return readdirSync(join(traceDir, ASSESSMENTS_DIR))
      .filter((name) => name.endsWith('.yaml'))
      .sort();
  } catch (error) {
    if (isErrorCode(error, 'ENOENT', 'ENOTDIR')) return [];
    throw error;
  }
}

/**
 * The token of the trace in `traceDir` whose tags (as listed) are `tags`. `nowMs` is the moment
 * the stats are taken (a parameter for tests).
 */
export function traceFolderStateToken(traceDir: string, tags: Record<string, string>, nowMs = Date.now()): string {
  const hash = createHash('sha256');
  // The tags by content, with the same rule as every other source (store-owned and runs_migrator.* left out).
  hash.update(traceStateToken(tags, []));
  const racyFrom = BigInt(nowMs - RACY_WINDOW_MS) * 1_000_000n;
  let racy = false;
  for (const name of assessmentFileNames(traceDir)) {
    let stat;
    try {
      // Followed like the reader follows it: a link's target is what would be copied.
      stat = statSync(join(traceDir, ASSESSMENTS_DIR, name), { bigint: true });
    } catch (error) {
      // Removed between the readdir and the stat: a change, seen as one.
      if (isErrorCode(error, 'ENOENT')) {
        hash.update(`gone\u0000${name}\n`);
        racy = true;
        continue;
      }
      throw error;
    }
    hash.update(`${name}\u0000${stat.ino}\u0000${stat.size}\u0000${stat.mtimeNs}\u0000${stat.ctimeNs}\n`);
    // The change time too: a tool that sets the modification time back (touch -r, rsync -t) cannot set it.
    if (stat.mtimeNs >= racyFrom || stat.ctimeNs >= racyFrom) racy = true;
  }
  const token = `m1:${hash.digest('hex').slice(0, 32)}`;
  return racy ? `${token}~${randomBytes(6).toString('hex')}` : token;
}
