/** The text form of `inspectArchive`'s summary, as `runs-migrator inspect` prints it. */
import type { ArchiveSummary } from './inspect.js';

export function formatArchiveSummary(archive: ArchiveSummary): string {
  const lines = [`Neptune archive ${archive.dataPath} (files: ${archive.filesPath})`, `${archive.projects.length} project(s)`];
  for (const project of archive.projects) {
    lines.push('');
    lines.push(`Project ${project.projectId ?? '(no complete run)'}  [${project.directory}]`);
    lines.push(`  runs: ${project.runs} complete, ${project.incompleteRuns.length} incomplete`);
    lines.push(`  parts: ${project.parts} (${project.parquetBytes} bytes), rows: ${project.rows}, metric points: ${project.points}`);
    const steps = project.steps.count > 0 ? `${project.steps.count} rows with a step, ${project.steps.min} .. ${project.steps.max}` : 'none';
    lines.push(`  steps: ${steps}`);
    lines.push(`  files: ${project.files.count} (${project.files.bytes} bytes)${project.files.missing ? `, ${project.files.missing} missing from the files tree` : ''}`);
    lines.push('  attribute types:');
    for (const [type, counts] of Object.entries(project.attributeTypes).sort()) {
      lines.push(`    ${type.padEnd(17)} ${String(counts.rows).padStart(10)} rows  ${String(counts.uniquePaths).padStart(6)} paths`);
    }
    if (project.topRuns.length > 0) lines.push(`  largest runs: ${project.topRuns.map((run) => `${run.runId} (${run.rows} rows)`).join(', ')}`);
    if (project.runIds.length <= 10) lines.push(`  run ids: ${project.runIds.join(', ')}`);
    for (const incomplete of project.incompleteRuns) {
      lines.push(`  INCOMPLETE ${incomplete.runId ?? incomplete.prefix}: ${incomplete.tmpParts} .tmp part(s)${incomplete.sourceRunId ? `, copy of ${incomplete.sourceRunId}` : ''}`);
    }
  }
  return lines.join('\n');
}
