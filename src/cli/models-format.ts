/** One-line summaries of the logged-model / registry part of copy and verify reports. */
import type { ModelsReport } from '../engine/models/model-types.js';
import type { VerifyModelsReport } from '../engine/models/verify-models.js';

/** Undefined when the project had nothing of the kind (no line for a runs-only project). */
export function modelsLine(report: ModelsReport): string | undefined {
  const s = report.summary;
  if (s.models === 0 && report.links.length === 0 && !report.registry) return undefined;
  const parts = [
    `Logged models: ${s.models} (${s.copied} copied, ${s.updated ? `${s.updated} updated, ` : ''}${s.skipped} already there, ${s.failed} failed${s.planned ? `, ${s.planned} planned` : ''}${s.unsupported ? `, ${s.unsupported} not supported by the target` : ''}), ${s.files} files, ${s.bytes} bytes`,
    `${s.links} run-model links${s.unresolvedLinks ? ` (${s.unresolvedLinks} to models not copied, kept in old_sys/*)` : ''}${s.linkFailures ? `, ${s.linkFailures} run(s) not linked` : ''}`,
  ];
  if (report.registry) {
    parts.push(`registry: ${s.registeredModels} registered model(s), ${s.versions} version(s): ${s.versionsCopied} copied, ${s.versionsOutside} outside the project, ${s.versionsFailed} failed`);
  }
  if (report.prompts) {
    const versions = report.prompts.flatMap((p) => p.versions);
    const count = (outcome: string) => versions.filter((v) => v.outcome === outcome).length;
    parts.push(
      `prompts: ${report.prompts.length} (${report.prompts.filter((p) => p.outcome === 'failed').length} failed), ${versions.length} version(s): ${count('copied')} copied, ${count('skipped')} already there, ${count('failed')} failed${count('planned') ? `, ${count('planned')} planned` : ''}`,
    );
  }
  // A sync says what it changed (or, in a dry run, would change) in each model copy.
  const changed = report.models.filter((m) => m.changes?.length || m.conflicts?.length);
  const lines = changed.map((m) => `  ${m.outcome === 'planned' ? 'would update' : m.outcome} logged model ${m.name} (${m.sourceModelId}) -> ${m.targetModelId ?? '?'}: ${[...(m.conflicts ?? []), ...(m.changes ?? [])].join('; ')}`);
  return [parts.join('; '), ...lines].join('\n');
}

export function verifyModelsText(report: VerifyModelsReport): string | undefined {
  if (report.notCompared) return `Models not compared: ${report.notCompared}`;
  if (report.models.length === 0 && report.links.length === 0 && report.extra.length === 0 && !report.registry) return undefined;
  const lines: string[] = [];
  for (const m of report.models) {
    if (m.notCompared?.length) lines.push(`NOT COMPARED logged model ${m.name} (${m.sourceModelId}): ${m.notCompared.join('; ')}`);
    if (m.status === 'ok') continue;
    lines.push(`${m.status.toUpperCase()} logged model ${m.name} (${m.sourceModelId})${m.targetModelIds.length ? ` -> ${m.targetModelIds.join(', ')}` : ''}`);
    for (const d of m.differences) lines.push(`  - ${d}`);
  }
  for (const l of report.links) {
    if (l.status === 'ok') continue;
    if (l.status === 'skipped') {
      lines.push(`NOT COMPARED model links of run ${l.sourceRunId} -> ${l.targetRunId}: ${l.differences.join('; ')}`);
      continue;
    }
    lines.push(`${l.status.toUpperCase()} model links of run ${l.sourceRunId} -> ${l.targetRunId}`);
    for (const d of l.differences) lines.push(`  - ${d}`);
  }
  for (const e of report.extra) lines.push(`EXTRA logged model ${e.targetModelId}: copy of ${e.sourceModelId}, which is not in the source project`);
  for (const r of report.registry ?? []) {
    if (r.status === 'ok') continue;
    lines.push(`${r.status.toUpperCase()} registered model ${r.name}`);
    for (const d of r.differences) lines.push(`  - ${d}`);
  }
  for (const p of report.prompts ?? []) {
    if (p.status === 'ok') continue;
    lines.push(`${p.status.toUpperCase()} prompt ${p.name}`);
    for (const d of p.differences) lines.push(`  - ${d}`);
  }
  const ok = report.models.filter((m) => m.status === 'ok').length;
  const prompts = report.prompts ? `, ${report.prompts.filter((p) => p.status === 'ok').length}/${report.prompts.length} prompt(s) ok` : '';
  const reg = (report.registry ? `, ${report.registry.filter((r) => r.status === 'ok').length}/${report.registry.length} registered model(s) ok` : '') + prompts;
  lines.push(`${report.clean ? 'Models clean' : 'Models FAILED'}: ${ok}/${report.models.length} logged model(s) ok, ${report.links.filter((l) => l.status === 'ok').length}/${report.links.length} linked run(s) ok${reg}`);
  return lines.join('\n');
}
