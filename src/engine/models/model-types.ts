/**
 * What copying logged models, run<->model links and the registry reports (the `models` part of
 * the copy report). Every model, link and version is listed with its outcome.
 */
import type { PromptResult } from '../prompts/copy-prompts.js';
import type { RunIssue } from '../types.js';

export type ModelOutcome = 'copied' | 'updated' | 'skipped' | 'failed' | 'planned' | 'unsupported';

export interface ModelCounts {
  params: number;
  tags: number;
  metrics: number;
  files: number;
  bytes: number;
}

export interface ModelResult {
  sourceModelId: string;
  name: string;
  sourceRunId?: string;
  targetModelId?: string;
  outcome: ModelOutcome;
  reason?: string;
  counts: ModelCounts;
  issues: RunIssue[];
  discarded?: string[];
  /** A sync of an existing copy: what changed (or would, in a dry run), one line each. */
  changes?: string[];
  /** Params whose value changed in the source (write-once): the copy was left as it is. */
  conflicts?: string[];
}

/** The links of one run copy to logged models. */
export interface LinkResult {
  sourceRunId: string;
  targetRunId?: string;
  outcome: 'linked' | 'failed' | 'planned' | 'skipped';
  outputs: number;
  inputs: number;
  reason?: string;
  /** Links to models that were not copied: reported, old ids kept in old_sys/* tags of the run. */
  unresolved: Array<{ kind: 'output' | 'input'; modelId: string }>;
}

export type VersionOutcome = 'copied' | 'skipped' | 'failed' | 'planned' | 'outside';

export interface VersionResult {
  name: string;
  sourceVersion: string;
  targetVersion?: string;
  outcome: VersionOutcome;
  reason?: string;
  issues: RunIssue[];
}

export interface RegisteredModelResult {
  name: string;
  /** not-copied: a prompt, which the registered-model copy leaves alone (reported with the reason). */
  outcome: 'created' | 'existing' | 'failed' | 'planned' | 'not-copied';
  reason?: string;
  versions: VersionResult[];
  aliases: Array<{ alias: string; sourceVersion: string; targetVersion?: string; outcome: 'set' | 'failed' | 'skipped' | 'planned'; reason?: string }>;
}

export interface ModelsReport {
  summary: {
    models: number;
    copied: number;
    updated: number;
    skipped: number;
    failed: number;
    planned: number;
    unsupported: number;
    files: number;
    bytes: number;
    links: number;
    linkFailures: number;
    unresolvedLinks: number;
    registeredModels: number;
    versions: number;
    versionsCopied: number;
    versionsFailed: number;
    versionsOutside: number;
  };
  models: ModelResult[];
  links: LinkResult[];
  /** Present with --registry. */
  registry?: RegisteredModelResult[];
  /** Present with --registry: the prompts of the experiment (engine/prompts/copy-prompts.ts). */
  prompts?: PromptResult[];
}

export function emptyModelCounts(): ModelCounts {
  return { params: 0, tags: 0, metrics: 0, files: 0, bytes: 0 };
}

export function summariseModels(report: Omit<ModelsReport, 'summary'>): ModelsReport['summary'] {
  const s: ModelsReport['summary'] = {
    models: report.models.length, copied: 0, updated: 0, skipped: 0, failed: 0, planned: 0, unsupported: 0, files: 0, bytes: 0,
    links: 0, linkFailures: 0, unresolvedLinks: 0, registeredModels: 0, versions: 0, versionsCopied: 0, versionsFailed: 0, versionsOutside: 0,
  };
  for (const m of report.models) {
    s[m.outcome]++;
    s.files += m.counts.files;
    s.bytes += m.counts.bytes;
  }
  for (const l of report.links) {
    s.links += l.outputs + l.inputs;
    if (l.outcome === 'failed') s.linkFailures++;
    s.unresolvedLinks += l.unresolved.length;
  }
  for (const rm of report.registry ?? []) {
    s.registeredModels++;
    if (rm.outcome === 'failed') s.versionsFailed++;
    for (const v of rm.versions) {
      s.versions++;
      if (v.outcome === 'copied' || v.outcome === 'skipped') s.versionsCopied++;
      if (v.outcome === 'failed') s.versionsFailed++;
      if (v.outcome === 'outside') s.versionsOutside++;
    }
  }
  return s;
}

/** Anything here that makes the copy a failure (exit code != 0). */
export function modelsFailed(report: ModelsReport | undefined): boolean {
  if (!report) return false;
  const s = report.summary;
  const promptFailed = (report.prompts ?? []).some(
    (p) => p.outcome === 'failed' || p.versions.some((v) => v.outcome === 'failed') || p.aliases.some((a) => a.outcome === 'failed'),
  );
  return promptFailed || s.failed > 0 || s.linkFailures > 0 || s.versionsFailed > 0 || (report.registry ?? []).some((rm) => rm.aliases.some((a) => a.outcome === 'failed'));
}
