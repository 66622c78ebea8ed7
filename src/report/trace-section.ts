/**
 * The HTML report's traces section: copy's and verify's counts, and one row per trace with
 * verify's differences and the copy's notes. Bounded like the runs: at most `traceRows` rows
 * (traces with a problem kept first), lists capped at `listRows` entries of `textLength`
 * characters, and all listed texts together within `traceBytes`. What is left out is counted.
 */
import type { TraceResult, TracesReport } from '../engine/traces/types.js';
import type { VerifyTraceResult, VerifyTracesReport } from '../engine/traces/verify-traces.js';
import { clip } from './run-detail.js';
import type { TraceRow, TracesSection } from './report-data.js';

export interface TraceLimits {
  traceRows: number;
  traceBytes: number;
  listRows: number;
  textLength: number;
}

export function traceSection(copy: TracesReport | undefined, verify: VerifyTracesReport | undefined, limits: TraceLimits): TracesSection | undefined {
  if (!copy && !verify) return undefined;
  const verified = new Map((verify?.traces ?? []).map((trace) => [trace.sourceTraceId, trace]));
  const pairs: Array<[TraceResult | undefined, VerifyTraceResult | undefined]> = [];
  const seen = new Set<string>();
  for (const trace of copy?.traces ?? []) {
    seen.add(trace.sourceTraceId);
    pairs.push([trace, verified.get(trace.sourceTraceId)]);
  }
  for (const trace of verify?.traces ?? []) if (!seen.has(trace.sourceTraceId)) pairs.push([undefined, trace]);

  // Problems first when not every trace fits, then back in the reports' order.
  const indexed = pairs.map((pair, index) => ({ pair, index, problem: isProblem(pair[0], pair[1]) }));
  const chosen = [...indexed.filter((p) => p.problem), ...indexed.filter((p) => !p.problem)].slice(0, limits.traceRows);
  chosen.sort((x, y) => x.index - y.index);
  let room = limits.traceBytes;
  const rows = chosen.map(({ pair }) => {
    const row = traceRow(pair[0], pair[1], limits, room);
    room -= listedBytes(row);
    return row;
  });

  const section: TracesSection = { notCopied: (copy?.notCopied ?? verify?.notCopied ?? []).map((kind) => ({ ...kind })), rows,
    rowsLeftOut: pairs.length - rows.length,
    extra: (verify?.extra ?? []).slice(0, limits.traceRows).map((e) => ({ sourceTraceId: e.sourceTraceId, targetTraceId: e.targetTraceId })),
  };
  if (copy) {
    section.copy = { ...copy.summary };
    if (copy.notApplicable) section.copy.notApplicable = copy.notApplicable;
  }
  if (verify) {
    const { traces, extra, spans, assessments, ...byStatus } = verify.summary;
    const statuses: Record<string, number> = {};
    for (const [status, n] of Object.entries(byStatus)) if (n > 0) statuses[status] = n;
    section.verify = { clean: verify.clean, traces, statuses, extra, spans, assessments };
    if (verify.notCompared) section.verify.notCompared = verify.notCompared;
  }
  return section;
}

function isProblem(copied: TraceResult | undefined, checked: VerifyTraceResult | undefined): boolean {
  return copied?.outcome === 'failed' || (checked !== undefined && checked.status !== 'ok');
}

function traceRow(copied: TraceResult | undefined, checked: VerifyTraceResult | undefined, limits: TraceLimits, room: number): TraceRow {
  const differences = checked?.differences ?? [];
  const row: TraceRow = {
    id: copied?.sourceTraceId ?? checked!.sourceTraceId,
    targets: checked?.targetTraceIds ?? (copied?.targetTraceId ? [copied.targetTraceId] : []),
    spans: checked?.spans ?? copied?.spans ?? 0,
    assessments: checked?.assessments ?? copied?.assessments ?? 0,
    differences: differences.length,
    differenceList: [],
    notes: [],
  };
  const name = copied?.name ?? checked?.name;
  if (name !== undefined) row.name = clip(name, limits.textLength);
  if (copied) row.outcome = copied.outcome;
  if (checked) row.status = checked.status;
  if (copied?.reason) row.reason = clip(copied.reason, limits.textLength);
  let leftOut = 0;
  const keep = (texts: string[], into: string[]) => {
    for (const text of texts) {
      const kept = clip(text, limits.textLength);
      if (into.length >= limits.listRows || kept.length > room) leftOut++;
      else {
        into.push(kept);
        room -= kept.length;
      }
    }
  };
  keep(differences, row.differenceList);
  keep(copied?.notes ?? [], row.notes);
  if (leftOut) row.leftOut = leftOut;
  return row;
}

function listedBytes(row: TraceRow): number {
  let n = 0;
  for (const text of row.differenceList) n += text.length;
  for (const text of row.notes) n += text.length;
  return n;
}
