/**
 * Which trace tables a database has, judged by shape like the rest of the schema: trace_info with
 * its tags and request metadata (MLflow 2.14+) are the traces; the spans table (3.2+ keeps span
 * documents in the database instead of the traces.json artifact) and the assessments table (3.0+)
 * are optional parts. A table of an unknown shape is treated as absent and said in the log line.
 */
import type { Catalog } from './schema-shape.js';

export interface TraceFeatures {
  /** trace_info.client_request_id, request_preview, response_preview (3.0+). */
  previews: boolean;
  /** The spans table with the columns in SPAN_COLUMNS. */
  spans: boolean;
  /** The assessments table with the columns in ASSESSMENT_COLUMNS. */
  assessments: boolean;
}

const TRACE_COLUMNS: Record<string, readonly string[]> = {
  trace_info: ['request_id', 'experiment_id', 'timestamp_ms', 'execution_time_ms', 'status'],
  trace_tags: ['key', 'value', 'request_id'],
  trace_request_metadata: ['key', 'value', 'request_id'],
};

const SPAN_COLUMNS = ['trace_id', 'experiment_id', 'span_id', 'parent_span_id', 'name', 'type', 'status', 'start_time_unix_nano', 'end_time_unix_nano', 'content'];
const ASSESSMENT_COLUMNS = [
  'assessment_id', 'trace_id', 'name', 'assessment_type', 'value', 'error', 'created_timestamp', 'last_updated_timestamp',
  'source_type', 'source_id', 'run_id', 'span_id', 'rationale', 'overrides', 'valid', 'assessment_metadata',
];

const has = (catalog: Catalog, table: string, columns: readonly string[]) => columns.every((column) => catalog.get(table)?.has(column) ?? false);

export function traceFeatures(catalog: Catalog): TraceFeatures | undefined {
  if (!Object.entries(TRACE_COLUMNS).every(([table, columns]) => has(catalog, table, columns))) return undefined;
  return {
    previews: has(catalog, 'trace_info', ['client_request_id', 'request_preview', 'response_preview']),
    spans: has(catalog, 'spans', SPAN_COLUMNS),
    assessments: has(catalog, 'assessments', ASSESSMENT_COLUMNS),
  };
}
