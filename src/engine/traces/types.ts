/** What a traces copy reports: one result per source trace, and totals per kind of object. */
export type TraceOutcome = 'copied' | 'updated' | 'skipped' | 'failed' | 'planned' | 'unsupported';

export interface TraceResult {
  sourceTraceId: string;
  /** mlflow.traceName, when the trace has one. */
  name?: string;
  targetTraceId?: string;
  outcome: TraceOutcome;
  reason?: string;
  spans: number;
  assessments: number;
  /** Links not pointed at a copy, ids changed, fields a store could not take: never silent. */
  notes: string[];
  /** What a sync changed (or, in a dry run, would change) in an existing copy: one line each. */
  changes?: string[];
  /** Partial copies removed before this copy. */
  discarded?: string[];
  /** Target prompt versions ("name/version") the copy is linked to (prompt-links.ts). */
  promptLinks?: string[];
  /** Target run ids the copy is linked to by link-to-run (run-links.ts). */
  runLinks?: string[];
}

/** GenAI objects of the source that this version does not copy (issue 17), with their counts. */
export interface NotCopiedKind {
  kind: 'evaluation datasets' | 'prompts' | 'scorers';
  count: number;
  reason: string;
}

export interface TracesReport {
  summary: {
    traces: number;
    copied: number;
    /** Complete copies brought up to date with their source (tags, assessments). */
    updated?: number;
    skipped: number;
    failed: number;
    planned: number;
    unsupported: number;
    /** Spans and assessments of the traces copied (or planned, in a dry run). */
    spans: number;
    assessments: number;
  };
  /** Set when the target (or the source) cannot hold traces at all, e.g. a Neptune archive. */
  notApplicable?: string;
  traces: TraceResult[];
  notCopied: NotCopiedKind[];
}

/** Like logged models: traces a target cannot hold are reported (unsupported), not a failure. */
export function tracesFailed(report: TracesReport | undefined): boolean {
  return (report?.summary.failed ?? 0) > 0;
}

export function summariseTraces(traces: TraceResult[]): TracesReport['summary'] {
  const summary = { traces: traces.length, copied: 0, updated: 0, skipped: 0, failed: 0, planned: 0, unsupported: 0, spans: 0, assessments: 0 };
  for (const trace of traces) {
    summary[trace.outcome]++;
    if (trace.outcome === 'copied' || trace.outcome === 'planned') {
      summary.spans += trace.spans;
      summary.assessments += trace.assessments;
    }
  }
  return summary;
}
