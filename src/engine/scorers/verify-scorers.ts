/**
 * `verify` for scorers: each source scorer (of this shard) has a scorer of the same name in the
 * target experiment with a copy of every version (paired as the copy pairs them:
 * pair-versions.ts), each with the same serialized scorer, byte for byte, and no other version. Version numbers may differ where the target numbered them itself (a
 * server, after a deleted source version): that is a note, not a difference. Target scorers that
 * the source does not have are listed (they may be the target's own) without failing verify.
 */
import type { SourceProject, Store } from '../../backends/contract.js';
import { errorMessage } from '../../util/errors.js';
import type { VerifyStatus } from '../verify.js';
import { sourceScorersOf, type Scorer } from './contract.js';
import { cannotHoldScorers } from './project-scorers.js';
import { pairVersions } from './pair-versions.js';

export interface VerifyScorerResult {
  name: string;
  status: Extract<VerifyStatus, 'ok' | 'missing' | 'different' | 'error'>;
  differences: string[];
  notes: string[];
  /** Source versions compared. */
  versions: number;
}

export interface VerifyScorersReport {
  clean: boolean;
  /** Why nothing was compared (the source's scorers could not be read). */
  notCompared?: string;
  summary: { scorers: number; ok: number; missing: number; different: number; error: number; versions: number };
  scorers: VerifyScorerResult[];
  /** Names of target scorers the source does not have. */
  extra: string[];
}

export interface VerifyScorersInput {
  targetStore: Store;
  source: SourceProject;
  target: SourceProject;
  select(name: string): boolean;
}

/** Undefined when the source holds no scorers (a store without them, or an experiment without any). */
export async function verifyScorers(input: VerifyScorersInput): Promise<VerifyScorersReport | undefined> {
  const source = sourceScorersOf(input.source);
  if (!source) return undefined;
  const summary: VerifyScorersReport['summary'] = { scorers: 0, ok: 0, missing: 0, different: 0, error: 0, versions: 0 };
  let sourceScorers: Scorer[];
  try {
    sourceScorers = (await source.listScorers()).filter((s) => input.select(s.name));
  } catch (error) {
    return { clean: false, notCompared: `the source's scorers could not be read: ${errorMessage(error)}`, summary, scorers: [], extra: [] };
  }
  if (sourceScorers.length === 0) return undefined;
  const target = sourceScorersOf(input.target);
  const scorers: VerifyScorerResult[] = [];
  const extra: string[] = [];
  if (!target) {
    for (const s of sourceScorers) scorers.push({ name: s.name, status: 'missing', differences: [cannotHoldScorers(input.targetStore)], notes: [], versions: s.versions.length });
  } else {
    let copies: Map<string, Scorer> | undefined;
    let failure: string | undefined;
    try {
      copies = new Map((await target.listScorers()).map((s) => [s.name, s]));
    } catch (error) {
      failure = `the target's scorers could not be read: ${errorMessage(error)}`;
    }
    for (const s of sourceScorers) scorers.push(failure || !copies ? { name: s.name, status: 'error', differences: [failure ?? ''], notes: [], versions: s.versions.length } : compareScorer(s, copies.get(s.name), target.keepsScorerNumbers));
    const names = new Set(sourceScorers.map((s) => s.name));
    for (const name of copies?.keys() ?? []) if (!names.has(name) && input.select(name)) extra.push(name);
  }
  for (const s of scorers) {
    summary.scorers++;
    summary[s.status]++;
    summary.versions += s.versions;
  }
  return { clean: summary.ok === summary.scorers, summary, scorers, extra };
}

export function compareScorer(source: Scorer, copy: Scorer | undefined, byNumber: boolean): VerifyScorerResult {
  const result: VerifyScorerResult = { name: source.name, status: 'ok', differences: [], notes: [], versions: source.versions.length };
  if (!copy) {
    result.status = 'missing';
    result.differences.push('no scorer of that name in the target experiment');
    return result;
  }
  const renumbered: string[] = [];
  const { pairs, unpaired } = pairVersions(source.versions, copy.versions, byNumber);
  for (const { source: version, target: paired } of pairs) {
    if (!paired) result.differences.push(`version ${version.version}: no copy`);
    else if (paired.serialized !== version.serialized) result.differences.push(`version ${version.version}: the copy's version ${paired.version} holds another serialized scorer`);
    else if (paired.version !== version.version) renumbered.push(`${version.version} -> ${paired.version}`);
  }
  if (unpaired.length) result.differences.push(`the copy has version(s) the source has not: ${unpaired.map((v) => v.version).join(', ')}`);
  if (renumbered.length) result.notes.push(`numbered by the target: ${renumbered.join(', ')}`);
  if (result.differences.length) result.status = 'different';
  return result;
}
