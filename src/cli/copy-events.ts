/**
 * What `copy` makes of the engine's events: the seed's log lines (one per run, retries and every
 * issue at WARNING), and a record of them from which a report is built when the copy is
 * interrupted before the engine returns its own.
 */
import type { CopyEvent, CopyReport, Endpoint, RunResult } from '../engine/types.js';
import { formatProjectRef } from '../model/project-ref.js';
import { sumCounts } from './format.js';
import type { Logger } from './log-file.js';

export interface PartialReportContext {
  source: Endpoint;
  target: Endpoint;
  startedAt: string;
  finishedAt: string;
  dryRun: boolean;
  version: string;
}

/** The seed's log lines, one per run, plus retries and every issue at WARNING. */
export function logEvent(event: CopyEvent, log: Logger): void {
  switch (event.type) {
    case 'plan':
      log.info(
        `Plan: ${event.toCopy} to copy, ${event.alreadyDone} already copied, ${event.filteredOut} filtered out, ${event.outOfShard} out of shard`,
      );
      for (const issue of event.projectIssues ?? []) log.warning(`${issue.side} project: ${issue.field}: ${issue.reason}`);
      break;
    case 'run-done': {
      const { result, sourceProject, targetProject } = event;
      const run = `${sourceProject}/${result.sourceRunId}`;
      if (result.outcome === 'copied') log.info(`Copied ${run} to ${targetProject}/${result.targetRunId ?? '?'}`);
      if (result.outcome === 'updated') log.info(`Updated ${run} in ${targetProject}/${result.targetRunId ?? '?'}: ${(result.changes ?? []).join('; ')}`);
      if (result.outcome === 'skipped') {
        log.info(`Skipped ${run}: ${result.reason ?? `already copied to ${targetProject}/${result.targetRunId ?? '?'}`}`);
      }
      if (result.outcome === 'failed') log.error(`Failed to copy ${run}: ${result.reason ?? 'unknown error'}`);
      for (const discarded of result.discarded ?? []) log.warning(`${run}: discarded partial copy ${targetProject}/${discarded}`);
      for (const issue of result.issues) {
        log.warning(`${run}: ${issue.field}${issue.key !== undefined ? ` ${issue.key}` : ''} ${issue.action}: ${issue.reason}`);
      }
      break;
    }
    case 'retry':
      log.warning(`Retrying ${event.what} (attempt ${event.attempt}): ${event.reason}`);
      break;
    case 'info':
      log.info(event.message);
      break;
    default:
      break;
  }
}

/** What the events told so far: enough to write a report when the copy is interrupted. */
export class EventRecord {
  private plan?: Extract<CopyEvent, { type: 'plan' }>;
  /** One entry per run-done event (the engine sends one per run): an array costs 8 bytes a run, a Map about 40. */
  private readonly results: RunResult[] = [];
  private readonly failed = new Set<string>();
  private retries = 0;

  add(event: CopyEvent): void {
    if (event.type === 'plan') this.plan = event;
    if (event.type === 'run-done') {
      this.results.push(event.result);
      if (event.result.outcome === 'failed') this.failed.add(event.result.sourceRunId);
    }
    if (event.type === 'retry') this.retries += 1;
  }

  /** Whether a failure of this run was already told (and logged) by an event. */
  toldFailed(runId: string): boolean {
    return this.failed.has(runId);
  }

  report(context: PartialReportContext): CopyReport {
    const { source, target, startedAt } = context;
    const runs = [...this.results];
    const count = (outcome: RunResult['outcome']) => runs.filter((run) => run.outcome === outcome).length;
    const plan = this.plan;
    return {
      tool: 'runs-migrator',
      version: context.version,
      startedAt,
      finishedAt: context.finishedAt,
      dryRun: context.dryRun,
      source: { uri: source.store.displayUri, project: formatProjectRef(source.project), kind: source.store.kind },
      target: { uri: target.store.displayUri, project: formatProjectRef(target.project), kind: target.store.kind },
      summary: {
        listed: plan ? plan.toCopy + plan.alreadyDone + plan.filteredOut + plan.outOfShard : runs.length,
        filteredOut: plan?.filteredOut ?? 0,
        outOfShard: plan?.outOfShard ?? 0,
        copied: count('copied'),
        updated: count('updated'),
        skipped: count('skipped'),
        failed: count('failed'),
        planned: count('planned'),
        totals: sumCounts(runs),
        retries: this.retries,
      },
      projectIssues: plan?.projectIssues ?? [],
      runs,
    };
  }
}
