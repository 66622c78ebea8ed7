/**
 * What verify could not compare in one run. Such a run is never called clean: a value dropped
 * because no rule could write it, a file with an unsafe path, or anything the source or the copy
 * could not read (an artifact store the server does not serve, a history that stopped early, a
 * listing entry without a readable size) is named as a difference.
 */
import type { SourceRun } from '../../backends/contract.js';
import { PARENT_TAG } from './prepare.js';
import type { RunIssue } from '../types.js';

export function notCompared(issues: readonly RunIssue[], source: SourceRun, copy: SourceRun): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    // A parent left out keeps its id in old_sys/parent_run_id, which is compared.
    if (issue.action !== 'dropped' || (issue.field === 'tag' && issue.key === PARENT_TAG)) continue;
    out.push(`${issue.field}${issue.key !== undefined ? ` ${issue.key}` : ''}: not compared, the copy cannot hold it (${issue.reason})`);
  }
  for (const issue of source.readIssues?.() ?? []) out.push(`${issue.field}: not compared, the source could not read it (${issue.reason})`);
  for (const issue of copy.readIssues?.() ?? []) out.push(`${issue.field}: not compared, the copy could not be read (${issue.reason})`);
  return out;
}
