/**
 * The HTML report's "Prompts and scorers" section: one row per prompt (copy --registry) and per
 * scorer, with copy's outcome, verify's status, the number of versions, and verify's differences
 * and copy's reasons and notes. Prompts and scorers are few (tens per experiment), so every one
 * gets a row; each list is capped at `listRows` entries of `textLength` characters.
 */
import type { CopyReport } from '../engine/types.js';
import type { VerifyReport } from '../engine/verify.js';
import { clip } from './run-detail.js';

export interface GenaiObjectRow {
  kind: 'prompt' | 'scorer';
  name: string;
  /** copy's outcome, when the copy reported the object. */
  outcome?: string;
  /** verify's status, when verify compared it. */
  status?: string;
  versions: number;
  /** Versions copied by this copy. */
  copied: number;
  differences: string[];
  notes: string[];
  /** Texts not listed (the cap). */
  leftOut: number;
}

export interface GenaiObjectsSection {
  rows: GenaiObjectRow[];
  /** Why the scorers were not copied or compared at all. */
  notes: string[];
  /** Target scorers the source does not have (verify). */
  extraScorers: string[];
}

export interface GenaiObjectLimits {
  listRows: number;
  textLength: number;
}

export function genaiObjectsSection(copy: CopyReport | undefined, verify: VerifyReport | undefined, limits: GenaiObjectLimits): GenaiObjectsSection | undefined {
  const rows = new Map<string, GenaiObjectRow>();
  const rowOf = (kind: GenaiObjectRow['kind'], name: string) => {
    const key = `${kind}\u0000${name}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { kind, name: clip(name, limits.textLength), versions: 0, copied: 0, differences: [], notes: [], leftOut: 0 }));
    return row;
  };
  const add = (row: GenaiObjectRow, list: string[], texts: string[]) => {
    for (const text of texts) {
      if (list.length < limits.listRows) list.push(clip(text, limits.textLength));
      else row.leftOut++;
    }
  };

  for (const prompt of copy?.models?.prompts ?? []) {
    const row = rowOf('prompt', prompt.name);
    row.outcome = prompt.outcome;
    row.versions = prompt.versions.length;
    row.copied = prompt.versions.filter((v) => v.outcome === 'copied').length;
    add(row, row.notes, [
      ...(prompt.reason ? [prompt.reason] : []),
      ...prompt.versions.filter((v) => v.reason && v.outcome !== 'skipped').map((v) => `version ${v.sourceVersion}: ${v.reason}`),
      ...prompt.aliases.filter((a) => a.outcome === 'failed' || (a.outcome === 'skipped' && a.reason !== 'already set')).map((a) => `alias ${a.alias}: ${a.reason ?? a.outcome}`),
      ...prompt.issues,
    ]);
  }
  for (const prompt of verify?.models?.prompts ?? []) {
    const row = rowOf('prompt', prompt.name);
    row.status = prompt.status;
    row.versions = Math.max(row.versions, prompt.versions);
    add(row, row.differences, prompt.differences);
  }
  for (const scorer of copy?.scorers?.scorers ?? []) {
    const row = rowOf('scorer', scorer.name);
    row.outcome = scorer.outcome;
    row.versions = scorer.versions.length;
    row.copied = scorer.versions.filter((v) => v.outcome === 'copied').length;
    add(row, row.notes, [...(scorer.reason ? [scorer.reason] : []), ...scorer.versions.filter((v) => v.outcome === 'copied' && v.reason).map((v) => `version ${v.sourceVersion}: ${v.reason}`), ...scorer.notes]);
  }
  for (const scorer of verify?.scorers?.scorers ?? []) {
    const row = rowOf('scorer', scorer.name);
    row.status = scorer.status;
    row.versions = Math.max(row.versions, scorer.versions);
    add(row, row.differences, scorer.differences);
    add(row, row.notes, scorer.notes);
  }
  const notes = [copy?.scorers?.error, verify?.scorers?.notCompared].filter((n): n is string => Boolean(n)).map((n) => clip(n, limits.textLength));
  const extraScorers = (verify?.scorers?.extra ?? []).slice(0, limits.listRows).map((n) => clip(n, limits.textLength));
  if (rows.size === 0 && notes.length === 0 && extraScorers.length === 0) return undefined;
  return { rows: [...rows.values()], notes, extraScorers };
}
