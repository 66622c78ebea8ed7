/**
 * The library API: open stores by URI, copy a project, read the report.
 *
 *   const source = await openStore('http://mlflow-a:5000', { credentials: {}, role: 'source' });
 *   const target = await openStore('./mlruns', { credentials: {}, role: 'target' });
 *   const report = await copyProject({ source: { store: source, project: parseProjectRef('team-a/churn') },
 *                                      target: { store: target, project: parseProjectRef('default/churn') } });
 */
export { copyProject } from './engine/copy-project.js';
export type * from './engine/types.js';
export { openStore, backendKinds } from './backends/registry.js';
export type * from './backends/contract.js';
export { parseProjectRef, formatProjectRef, DEFAULT_WORKSPACE, type ProjectRef } from './model/project-ref.js';
export type * from './model/run.js';
export { PROVENANCE } from './model/provenance.js';
export { UserError, UsageError, AuthError, NotFoundError, UnreachableError } from './util/errors.js';
export { verifyProject, type VerifyOptions, type VerifyReport, type VerifyRunResult, type VerifyStatus } from './engine/verify.js';
export { HtmlReportCollector, DEFAULT_REPORT_LIMITS, type ReportLimits, type BuildInput } from './report/collect.js';
export { renderHtmlReport, writeHtmlReport } from './report/html.js';
export type * from './report/report-data.js';
export type { CompareObserver, FileCheck } from './engine/runs/compare-observer.js';
