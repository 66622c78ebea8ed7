/**
 * The HTML report of a whole-store copy (`copy --all-projects --html`): one page for every
 * project. Each project's copy builds its own page data as usual (collect.ts, with the usual size
 * limits per project); this joins them: a row per project (its section of the page: counts,
 * verify's verdict, exit status), the totals in the summary, and every run row and extra copy
 * marked with its project so the page can show one project or all.
 *
 * Traces are summarised per project in its JSON report only: the joined page has no trace
 * section (docs/sync.md says so).
 */
import { REPORT_DATA_FORMAT, type HtmlReportData, type ProjectRow } from './report-data.js';

export interface ProjectPage {
  project: string;
  exitStatus: number;
  /** The project's page data; absent when it was not copied at all (`error`). */
  data?: HtmlReportData;
  error?: string;
}

export interface WholeStoreInput {
  version: string;
  createdAt: string;
  source: { uri: string; kind: string };
  target: { uri: string; kind: string };
  /** What the source and target headings say instead of one project ("every project of 3 workspaces"). */
  label: string;
  durationMs: number;
  exitStatus: number;
  projects: ProjectPage[];
}

export function wholeStoreReport(input: WholeStoreInput): HtmlReportData {
  const pages = input.projects.flatMap((p) => (p.data ? [p.data] : []));
  const sum = (pick: (data: HtmlReportData) => number | undefined): number => pages.reduce((total, data) => total + (pick(data) ?? 0), 0);
  const copyCounts = pages.some((data) => data.summary.copied !== undefined);
  const verified = pages.length > 0 && pages.every((data) => data.summary.verified);
  const statuses: Record<string, number> = {};
  for (const data of pages) for (const [status, n] of Object.entries(data.summary.statuses ?? {})) statuses[status] = (statuses[status] ?? 0) + n;
  const first = pages[0];
  return {
    format: REPORT_DATA_FORMAT,
    tool: 'runs-migrator',
    version: input.version,
    command: 'copy',
    createdAt: input.createdAt,
    // A project's page names its stores as they are shown (no credentials): taken from there when there is one.
    source: { uri: first?.source.uri ?? input.source.uri, kind: first?.source.kind ?? input.source.kind, project: input.label },
    target: { uri: first?.target.uri ?? input.target.uri, kind: first?.target.kind ?? input.target.kind, project: input.label },
    summary: {
      runs: sum((d) => d.summary.runs),
      ...(copyCounts
        ? { copied: sum((d) => d.summary.copied), updated: sum((d) => d.summary.updated), skipped: sum((d) => d.summary.skipped), failed: sum((d) => d.summary.failed) }
        : {}),
      verified,
      ...(verified ? { statuses, clean: pages.every((d) => d.summary.clean === true), extra: sum((d) => d.summary.extra) } : {}),
      points: sum((d) => d.summary.points),
      files: sum((d) => d.summary.files),
      bytes: sum((d) => d.summary.bytes),
      durationMs: input.durationMs,
      exitStatus: input.exitStatus,
    },
    limits: {
      pointsPerSeries: first?.limits.pointsPerSeries ?? 0,
      detailsLeftOut: sum((d) => d.limits.detailsLeftOut),
      note: `${first?.limits.note ?? ''} The detail limits apply to each project.`.trim(),
    },
    runs: input.projects.flatMap((p) => (p.data?.runs ?? []).map((row) => ({ ...row, project: p.project }))),
    extra: input.projects.flatMap((p) => (p.data?.extra ?? []).map((row) => ({ ...row, project: p.project }))),
    projects: input.projects.map(projectRow),
  };
}

function projectRow(page: ProjectPage): ProjectRow {
  const s = page.data?.summary;
  const row: ProjectRow = {
    project: page.project,
    exitStatus: page.exitStatus,
    runs: s?.runs ?? 0,
    verified: s?.verified ?? false,
    points: s?.points ?? 0,
    files: s?.files ?? 0,
    bytes: s?.bytes ?? 0,
  };
  if (s?.copied !== undefined) Object.assign(row, { copied: s.copied, updated: s.updated ?? 0, skipped: s.skipped ?? 0, failed: s.failed ?? 0 });
  if (s?.verified) Object.assign(row, { clean: s.clean === true, statuses: s.statuses ?? {}, extra: s.extra ?? 0 });
  if (page.error !== undefined) row.error = page.error;
  return row;
}
