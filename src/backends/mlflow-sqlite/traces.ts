/**
 * MLflow 3 traces in MLflow's database, as SqlAlchemyStore keeps them (test/golden/stores/genai-sqlite):
 *
 *   trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status, previews)
 *   trace_tags / trace_request_metadata (key, value, request_id)
 *   spans (trace_id, span_id as 16 hex, parent_span_id, name, type, status, ns times, content: the
 *          span document as json.dumps wrote it)
 *   assessments (value and error as JSON text, metadata as JSON text, times in ms, valid 0/1)
 *
 * A trace whose spans are not in the spans table (tag mlflow.trace.spansLocation absent, or a
 * database without that table) has them in the traces.json artifact below mlflow.artifactLocation.
 * A copy is written in one transaction (info, tags, metadata, spans, assessments, completion
 * marker): a crash leaves nothing half-written behind. SQLite and PostgreSQL share this file.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadIssue } from '../contract.js';
import type { SourceTraces, TargetTraces, TraceCopyRecord } from '../../engine/traces/contract.js';
import { docObject, dumpPythonJson, parseJsonDoc, plainNumbers, type JsonDoc } from '../../model/python-json.js';
import { TRACE_PROVENANCE } from '../../model/trace-provenance.js';
import { traceState, toDoc } from '../../model/trace-proto.js';
import { parseSpanContent, spanContent, spanFromDocument } from '../../model/trace-span.js';
import { TRACE_TAGS, type Assessment, type Trace, type TraceInfo, type TraceSpan } from '../../model/trace.js';
import { resolveArtifactLocation, type ArtifactContext } from './artifact-location.js';
import { runArtifactDestination } from './artifact-target.js';
import type { Binding } from './metric-rows.js';
import { insertRows } from './multi-row-insert.js';
import type { TraceFeatures } from './trace-shape.js';
import type { SqlDriver, SqlExecutor, SqlReader } from './sql-driver.js';
import { bool, num, text } from './values.js';

type Row = Record<string, unknown>;
const PAGE = 500;
const SPANS_FILE = 'traces.json';
const TRACKING_STORE = 'TRACKING_STORE';

function keyValues(rows: Row[]): Record<string, string> {
  return Object.fromEntries(rows.map((row) => [text(row.key) ?? '', text(row.value) ?? '']));
}

function infoFromRow(row: Row, tags: Record<string, string>, metadata: Record<string, string>): TraceInfo {
  const info: TraceInfo = {
    traceId: text(row.request_id) ?? '',
    experimentId: text(row.experiment_id),
    requestTime: num(row.timestamp_ms) ?? 0,
    state: traceState(text(row.status) === 'TRACE_STATUS_UNSPECIFIED' ? 'STATE_UNSPECIFIED' : row.status),
    tags,
    metadata,
  };
  const duration = num(row.execution_time_ms);
  if (duration !== undefined) info.executionDurationMs = duration;
  for (const [column, field] of [['request_preview', 'requestPreview'], ['response_preview', 'responsePreview'], ['client_request_id', 'clientRequestId']] as const) {
    const value = text(row[column]);
    if (value !== undefined) info[field] = value;
  }
  return info;
}

function assessmentFromRow(row: Row): Assessment {
  const error = row.error === null || row.error === undefined ? undefined : docObject(parseJsonDoc(text(row.error)!));
  const metadataText = text(row.assessment_metadata);
  const metadata = metadataText ? docObject(parseJsonDoc(metadataText)) : undefined;
  const assessment: Assessment = {
    assessmentId: text(row.assessment_id) ?? '',
    traceId: text(row.trace_id) ?? '',
    name: text(row.name) ?? '',
    kind: text(row.assessment_type) === 'expectation' ? 'expectation' : 'feedback',
    value: plainNumbers(parseJsonDoc(text(row.value) ?? 'null')),
    sourceType: text(row.source_type) ?? 'SOURCE_TYPE_UNSPECIFIED',
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : dumpPythonJson(v)])),
    valid: bool(row.valid),
    createTime: num(row.created_timestamp) ?? 0,
    lastUpdateTime: num(row.last_updated_timestamp) ?? 0,
  };
  if (error) {
    assessment.error = {};
    if (typeof error.error_code === 'string') assessment.error.code = error.error_code;
    if (typeof error.error_message === 'string') assessment.error.message = error.error_message;
    if (typeof error.stack_trace === 'string') assessment.error.stackTrace = error.stack_trace;
  }
  for (const [column, field] of [['rationale', 'rationale'], ['source_id', 'sourceId'], ['span_id', 'spanId'], ['run_id', 'runId'], ['overrides', 'overrides']] as const) {
    const value = text(row[column]);
    if (value !== undefined) assessment[field] = value;
  }
  return assessment;
}

/** The traces of one experiment, read. */
export function sqlSourceTraces(connection: SqlReader, features: TraceFeatures, experimentId: string, artifacts: ArtifactContext): SourceTraces {
  const tagsOf = async (id: string) => keyValues(await connection.all('SELECT key, value FROM trace_tags WHERE request_id = ?', id));
  const metadataOf = async (id: string) => keyValues(await connection.all('SELECT key, value FROM trace_request_metadata WHERE request_id = ?', id));
  // The assessments of a page of listed traces, one query per page: the trace's state token (engine/traces/trace-state.ts)
  // without a query per trace, and readTrace needs none either. Keyed by the listed info object, so they go when it goes.
  const listed = new WeakMap<TraceInfo, Assessment[]>();
  const assessmentsOfPage = async (ids: string[]): Promise<Map<string, Assessment[]>> => {
    const byTrace = new Map<string, Assessment[]>();
    // A database without the assessments table: the token is the tags' alone.
    if (!features.assessments || ids.length === 0) return byTrace;
    const rows = await connection.all(`SELECT * FROM assessments WHERE trace_id IN (${ids.map(() => '?').join(', ')}) ORDER BY created_timestamp, assessment_id`, ...ids);
    for (const row of rows) {
      const assessment = assessmentFromRow(row);
      const list = byTrace.get(assessment.traceId) ?? [];
      list.push(assessment);
      byTrace.set(assessment.traceId, list);
    }
    return byTrace;
  };
  return {
    async *listTraces() {
      let after = '';
      for (;;) {
        const rows = await connection.all('SELECT * FROM trace_info WHERE experiment_id = ? AND request_id > ? ORDER BY request_id LIMIT ?', BigInt(experimentId), after, PAGE);
        const pageAssessments = await assessmentsOfPage(rows.map((row) => text(row.request_id) ?? ''));
        for (const row of rows) {
          const id = text(row.request_id) ?? '';
          const info = infoFromRow(row, await tagsOf(id), await metadataOf(id));
          listed.set(info, pageAssessments.get(id) ?? []);
          yield info;
        }
        if (rows.length < PAGE) return;
        after = text(rows[rows.length - 1]!.request_id) ?? '';
      }
    },
    async readTrace(info) {
      const issues: ReadIssue[] = [];
      let spans: TraceSpan[] = [];
      const inTable = features.spans && info.tags[TRACE_TAGS.spansLocation] === TRACKING_STORE;
      if (inTable) {
        const rows = await connection.all('SELECT content FROM spans WHERE trace_id = ? ORDER BY start_time_unix_nano, span_id', info.traceId);
        for (const row of rows) {
          try {
            spans.push(parseSpanContent(text(row.content) ?? ''));
          } catch (error) {
            issues.push({ field: `trace ${info.traceId} span`, reason: `${(error as Error).message}; not copied` });
          }
        }
      } else {
        spans = readSpansArtifact(info, artifacts, issues);
      }
      const assessments =
        listed.get(info) ??
        (features.assessments ? (await connection.all('SELECT * FROM assessments WHERE trace_id = ? ORDER BY created_timestamp, assessment_id', info.traceId)).map(assessmentFromRow) : []);
      return { info, spans, assessments, issues };
    },
    listedAssessments: (info) => listed.get(info),
  };
}

function readSpansArtifact(info: TraceInfo, artifacts: ArtifactContext, issues: ReadIssue[]): TraceSpan[] {
  const location = resolveArtifactLocation(info.tags[TRACE_TAGS.artifactLocation], artifacts);
  if (location.kind !== 'local') {
    const why = location.kind === 'object-store' ? `it is in an object store (${location.uri}), which the database's trace reader does not read yet` : location.reason;
    issues.push({ field: `trace ${info.traceId} spans`, reason: `spans are in the traces.json artifact, not readable here: ${why}` });
    return [];
  }
  let textValue: string;
  try {
    textValue = readFileSync(join(location.root, SPANS_FILE), 'utf8');
  } catch {
    issues.push({ field: `trace ${info.traceId} spans`, reason: `no ${SPANS_FILE} at ${info.tags[TRACE_TAGS.artifactLocation]}: the trace has no spans to copy` });
    return [];
  }
  const list = docObject(parseJsonDoc(textValue))?.spans;
  const spans: TraceSpan[] = [];
  for (const document of Array.isArray(list) ? list : []) {
    try {
      spans.push(spanFromDocument(document));
    } catch (error) {
      issues.push({ field: `trace ${info.traceId} span`, reason: `${(error as Error).message}; not copied` });
    }
  }
  return spans;
}

export interface TraceTargetSettings {
  driver: SqlDriver;
  bind: Binding;
  features: TraceFeatures;
  experimentId: string;
  experimentLocation: string;
  artifactContext: ArtifactContext;
}

/** A trace is a few dozen kilobytes: 256 of them in flight stay a few megabytes. */
const TRACES_IN_FLIGHT = 256;

const stateColumn = (state: string) => (state === 'STATE_UNSPECIFIED' ? 'TRACE_STATUS_UNSPECIFIED' : state);

/** Writing traces into one experiment. */
export function sqlTargetTraces(settings: TraceTargetSettings): TargetTraces {
  const { driver, bind, features } = settings;
  const experiment = () => bind.int(BigInt(settings.experimentId));
  return {
    // Enough traces in flight to fill a group commit (group-commit.ts) while the next ones are read.
    writeConcurrency: TRACES_IN_FLIGHT,
    async *listTraceCopies(): AsyncIterable<TraceCopyRecord> {
      const sql = `SELECT t.request_id, p.value AS project, s.value AS source_trace, c.value AS marker, st.value AS source_state
        FROM trace_info t
        JOIN trace_tags s ON s.request_id = t.request_id AND s.key = ?
        JOIN trace_tags p ON p.request_id = t.request_id AND p.key = ?
        LEFT JOIN trace_tags c ON c.request_id = t.request_id AND c.key = ?
        LEFT JOIN trace_tags st ON st.request_id = t.request_id AND st.key = ?
        WHERE t.experiment_id = ? AND t.request_id > ? ORDER BY t.request_id LIMIT ?`;
      let after = '';
      for (;;) {
        const rows = await driver.query(sql, [TRACE_PROVENANCE.traceId, TRACE_PROVENANCE.project, TRACE_PROVENANCE.completed, TRACE_PROVENANCE.sourceState, experiment(), after, PAGE]);
        for (const row of rows) {
          const sourceState = text(row.source_state);
          yield {
            sourceProject: text(row.project) ?? '',
            sourceTraceId: text(row.source_trace) ?? '',
            targetTraceId: text(row.request_id) ?? '',
            complete: row.marker !== null && row.marker !== undefined,
            ...(sourceState !== undefined ? { sourceState } : {}),
          };
        }
        if (rows.length < PAGE) return;
        after = text(rows[rows.length - 1]!.request_id) ?? '';
      }
    },
    // No traceIdsTaken (a page of ids at once): a local query per trace costs next to nothing,
    // and measured with bench/traces-copy.ts the page-wise lookup made the copy slower, not faster.
    async traceIdTaken(traceId) {
      return (await driver.query('SELECT 1 AS one FROM trace_info WHERE request_id = ?', [traceId])).length > 0;
    },
    async assessmentIdsTaken(ids) {
      if (!features.assessments || ids.length === 0) return new Set();
      const rows = await driver.query(`SELECT assessment_id FROM assessments WHERE assessment_id IN (${ids.map(() => '?').join(', ')})`, ids);
      return new Set(rows.map((row) => text(row.assessment_id) ?? ''));
    },
    async writeTrace(trace, marker) {
      const { info } = trace;
      const artifactLocation = `${settings.experimentLocation.replace(/\/+$/, '')}/traces/${info.traceId}/artifacts`;
      const tags: Record<string, string> = { ...info.tags, [TRACE_TAGS.artifactLocation]: artifactLocation };
      if (features.spans) tags[TRACE_TAGS.spansLocation] = TRACKING_STORE;
      else {
        delete tags[TRACE_TAGS.spansLocation];
        writeSpansArtifact(trace, artifactLocation, settings.artifactContext);
      }
      if (trace.assessments.length > 0 && !features.assessments) throw new Error(`${driver.label} has no assessments table: the trace's ${trace.assessments.length} assessments cannot be written`);
      await driver.transaction(async (tx) => {
        // A few multi-row statements per trace (multi-row-insert.ts), the marker's row last.
        await insertInfo(tx, settings, info);
        await insertRows(tx, 'trace_tags', KEY_VALUE_COLUMNS, Object.entries(tags).map(([key, value]) => [key, value, info.traceId]));
        await insertRows(tx, 'trace_request_metadata', KEY_VALUE_COLUMNS, Object.entries(info.metadata).map(([key, value]) => [key, value, info.traceId]));
        if (features.spans) await insertRows(tx, 'spans', SPAN_COLUMNS, trace.spans.map((span) => spanRow(settings, info.traceId, span)));
        await insertRows(tx, 'assessments', ASSESSMENT_COLUMNS, trace.assessments.map((assessment) => assessmentRow(settings, assessment)));
        await tx.run('INSERT INTO trace_tags (key, value, request_id) VALUES (?, ?, ?)', [marker.key, marker.value, info.traceId]);
        // Statements only: it may share a commit without a savepoint, and run again if a neighbour fails.
      }, { replayable: true });
    },
    async readTraceCopy(traceId) {
      const tags = keyValues(await driver.query('SELECT key, value FROM trace_tags WHERE request_id = ?', [traceId]));
      const assessments = features.assessments ? (await driver.query('SELECT * FROM assessments WHERE trace_id = ?', [traceId])).map(assessmentFromRow) : [];
      return { tags, assessments };
    },
    // The difference and the new token in one transaction: a sync killed midway leaves the copy as it was.
    async updateTrace(traceId, update, token) {
      const touched = update.createAssessments.length + update.updateAssessments.length + update.deleteAssessments.length;
      if (touched > 0 && !features.assessments) throw new Error(`${driver.label} has no assessments table: the trace's assessments cannot be updated`);
      await driver.transaction(async (tx) => {
        for (const [key, value] of [...Object.entries(update.setTags), [token.key, token.value] as const]) {
          await tx.run('DELETE FROM trace_tags WHERE request_id = ? AND key = ?', [traceId, key]);
          await tx.run('INSERT INTO trace_tags (key, value, request_id) VALUES (?, ?, ?)', [key, value, traceId]);
        }
        for (const key of update.deleteTags) await tx.run('DELETE FROM trace_tags WHERE request_id = ? AND key = ?', [traceId, key]);
        for (const id of [...update.deleteAssessments, ...update.updateAssessments.map((a) => a.assessmentId)]) await tx.run('DELETE FROM assessments WHERE assessment_id = ?', [id]);
        for (const assessment of [...update.updateAssessments, ...update.createAssessments]) await insertAssessment(tx, settings, assessment);
      });
    },
    async discardTrace(traceId) {
      await driver.transaction(async (tx) => {
        const marker = await tx.query('SELECT 1 AS one FROM trace_tags WHERE request_id = ? AND key = ?', [traceId, TRACE_PROVENANCE.completed]);
        if (marker.length > 0) throw new Error(`refusing to discard trace ${traceId}: it carries the completion marker`);
        if (features.assessments) await tx.run('DELETE FROM assessments WHERE trace_id = ?', [traceId]);
        if (features.spans) await tx.run('DELETE FROM spans WHERE trace_id = ?', [traceId]);
        await tx.run('DELETE FROM trace_tags WHERE request_id = ?', [traceId]);
        await tx.run('DELETE FROM trace_request_metadata WHERE request_id = ?', [traceId]);
        await tx.run('DELETE FROM trace_info WHERE request_id = ?', [traceId]);
      });
    },
  };
}

async function insertInfo(tx: SqlExecutor, settings: TraceTargetSettings, info: TraceInfo): Promise<void> {
  const columns = ['request_id', 'experiment_id', 'timestamp_ms', 'execution_time_ms', 'status'];
  const values: unknown[] = [
    info.traceId,
    settings.bind.int(BigInt(settings.experimentId)),
    settings.bind.int(BigInt(info.requestTime)),
    info.executionDurationMs === undefined ? null : settings.bind.int(BigInt(info.executionDurationMs)),
    stateColumn(info.state),
  ];
  if (settings.features.previews) {
    columns.push('client_request_id', 'request_preview', 'response_preview');
    values.push(info.clientRequestId ?? null, info.requestPreview ?? null, info.responsePreview ?? null);
  }
  await tx.run(`INSERT INTO trace_info (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, values);
}

const KEY_VALUE_COLUMNS = ['key', 'value', 'request_id'] as const;
const SPAN_COLUMNS = ['trace_id', 'experiment_id', 'span_id', 'parent_span_id', 'name', 'type', 'status', 'start_time_unix_nano', 'end_time_unix_nano', 'content'] as const;
const ASSESSMENT_COLUMNS = [
  'assessment_id', 'trace_id', 'name', 'assessment_type', 'value', 'error', 'created_timestamp', 'last_updated_timestamp',
  'source_type', 'source_id', 'run_id', 'span_id', 'rationale', 'overrides', 'valid', 'assessment_metadata',
] as const;

function spanRow(settings: TraceTargetSettings, traceId: string, span: TraceSpan): unknown[] {
  return [
    traceId,
    settings.bind.int(BigInt(settings.experimentId)),
    span.spanId,
    span.parentSpanId ?? null,
    span.name,
    span.spanType ?? null,
    span.status,
    settings.bind.int(BigInt(span.startTimeNs)),
    span.endTimeNs === undefined ? null : settings.bind.int(BigInt(span.endTimeNs)),
    // The document's text as read where that is json.dumps form (trace-span.ts), else dumped.
    spanContent(span),
  ];
}

function assessmentRow(settings: TraceTargetSettings, a: Assessment): unknown[] {
  const error = a.error
    ? dumpPythonJson({ error_code: a.error.code ?? null, error_message: a.error.message ?? null, stack_trace: a.error.stackTrace ?? null })
    : null;
  const metadata = Object.keys(a.metadata).length > 0 ? dumpPythonJson(toDoc(a.metadata)) : null;
  return [
    a.assessmentId, a.traceId, a.name, a.kind, dumpPythonJson(a.value as JsonDoc), error,
    settings.bind.int(BigInt(a.createTime)), settings.bind.int(BigInt(a.lastUpdateTime)),
    a.sourceType, a.sourceId ?? null, a.runId ?? null, a.spanId ?? null, a.rationale ?? null, a.overrides ?? null,
    settings.bind.bool(a.valid), metadata,
  ];
}

async function insertAssessment(tx: SqlExecutor, settings: TraceTargetSettings, a: Assessment): Promise<void> {
  await insertRows(tx, 'assessments', ASSESSMENT_COLUMNS, [assessmentRow(settings, a)]);
}

/** A database without the spans table: spans go to the traces.json artifact, as MLflow did then. */
function writeSpansArtifact(trace: Trace, artifactLocation: string, context: ArtifactContext): void {
  const destination = runArtifactDestination(artifactLocation, context);
  if (destination.kind === 'object-store') {
    throw new Error(`spans of trace ${trace.info.traceId} cannot be written: its traces.json would go to an object store (${destination.uri}), which the database's trace writer does not write yet`);
  }
  if (destination.kind !== 'local') throw new Error(`spans of trace ${trace.info.traceId} cannot be written: ${destination.reason}`);
  mkdirSync(destination.root, { recursive: true, mode: 0o700 });
  // dumpPythonJson({ spans: documents }), each document as read where it was kept (spanContent).
  writeFileSync(join(destination.root, SPANS_FILE), `{"spans": [${trace.spans.map(spanContent).join(', ')}]}`, { mode: 0o600 });
}
