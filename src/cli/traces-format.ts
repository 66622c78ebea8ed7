/** The lines a copy says about traces: counts per kind, failures, and what was not copied. */
import type { TracesReport } from '../engine/traces/types.js';
import type { VerifyTracesReport } from '../engine/traces/verify-traces.js';

export function tracesLines(report: TracesReport | undefined): string[] {
  if (!report) return [];
  const lines: string[] = [];
  const s = report.summary;
  if (report.notApplicable && s.traces === 0) lines.push(`Traces: ${report.notApplicable}`);
  else if (s.traces > 0) {
    const parts = [`${s.copied} copied`, ...(s.updated ? [`${s.updated} updated`] : []), `${s.skipped} already copied`];
    // In a dry run, a complete copy that would be brought up to date is planned too: said apart.
    const toUpdate = report.traces.filter((trace) => trace?.outcome === 'planned' && trace.changes?.length).length;
    if (s.planned - toUpdate) parts.push(`${s.planned - toUpdate} planned`);
    if (toUpdate) parts.push(`${toUpdate} to update`);
    if (s.failed) parts.push(`${s.failed} FAILED`);
    if (s.unsupported) parts.push(`${s.unsupported} not copied (${report.notApplicable ?? 'unsupported'})`);
    lines.push(`Traces: ${s.traces} (${parts.join(', ')}); ${s.spans} spans, ${s.assessments} assessments ${s.planned ? 'to copy' : 'copied'}`);
  }
  for (const trace of report.traces) {
    if (!trace?.changes?.length) continue;
    const verb = trace.outcome === 'updated' ? 'updated' : trace.outcome === 'planned' ? 'would update' : 'behind its source, not updated:';
    lines.push(`${verb} trace ${trace.sourceTraceId} -> ${trace.targetTraceId ?? '?'}: ${trace.changes.join(', ')}`);
  }
  for (const kind of report.notCopied) lines.push(`Not copied: ${kind.count} ${kind.kind} (${kind.reason})`);
  return lines;
}

export function verifyTracesLines(report: VerifyTracesReport | undefined): string[] {
  if (!report) return [];
  const lines: string[] = [];
  const s = report.summary;
  if (report.notCompared && s.traces === 0) lines.push(`Traces: ${report.notCompared}`);
  else if (s.traces > 0 || s.extra > 0) {
    const bad = (['missing', 'partial', 'duplicated', 'different', 'error'] as const).filter((k) => s[k] > 0).map((k) => `${s[k]} ${k}`);
    lines.push(`Traces: ${s.ok} of ${s.traces} identical (${s.spans} spans, ${s.assessments} assessments compared)${bad.length ? `; ${bad.join(', ')}` : ''}${s.extra ? `; ${s.extra} copies without a source trace` : ''}`);
    for (const trace of report.traces) {
      if (trace.status !== 'ok') lines.push(`  trace ${trace.name ?? ''} (${trace.sourceTraceId}): ${trace.status}: ${trace.differences.slice(0, 5).join('; ')}`);
    }
  }
  for (const kind of report.notCopied) lines.push(`Not compared: ${kind.count} ${kind.kind} (${kind.reason})`);
  return lines;
}
