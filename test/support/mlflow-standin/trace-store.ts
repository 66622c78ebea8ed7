/**
 * MLflow 3 traces as the SQL tracking store keeps them: one trace_info row (times in ms, state,
 * previews, client request id), its tags and metadata, spans stored in the database (OTLP
 * ingest) and assessments. Trace ids are global across workspaces (a trace belongs to its
 * experiment's workspace). Kept beside the Store (one TraceStore per Store), not in it, so the
 * run/experiment state stays as it was.
 */
import { invalidParam } from './errors.js';
import type { Assessment } from './assessment-model.js';
import type { StoredSpan } from './spans.js';
import type { Experiment, Store } from './store.js';

export const ARTIFACT_LOCATION_TAG = 'mlflow.artifactLocation';
export const SPANS_LOCATION_TAG = 'mlflow.trace.spansLocation';
export const INFO_FINALIZED_KEY = 'mlflow.trace.infoFinalized';
export const SIZE_STATS_KEY = 'mlflow.trace.sizeStats';
export const SOURCE_RUN_KEY = 'mlflow.sourceRun';
export const TRACE_NAME_TAG = 'mlflow.traceName';
export const TRACKING_STORE = 'TRACKING_STORE';
export const MAX_TRACE_TAG_VALUE = 4096;

export interface Trace {
  id: string;
  experimentId: string;
  /** request_time in epoch ms (the SQL store keeps ms) */
  requestTimeMs: number;
  /** execution_duration in ms; undefined = not set */
  durationMs: number | undefined;
  state: string;
  clientRequestId: string | undefined;
  requestPreview: string | undefined;
  responsePreview: string | undefined;
  metadata: Map<string, string>;
  tags: Map<string, string>;
  /** spans stored in the tracking store, by hex span id, in arrival order */
  spans: Map<string, StoredSpan>;
  assessments: Assessment[];
  /** run ids linked with traces/link-to-run (entity associations) */
  linkedRuns: Set<string>;
}

export class TraceStore {
  readonly traces = new Map<string, Trace>();
  /** assessment id -> trace id: assessment ids are unique across the store */
  readonly assessmentTrace = new Map<string, string>();

  deleteTrace(id: string): void {
    const t = this.traces.get(id);
    if (!t) return;
    for (const a of t.assessments) this.assessmentTrace.delete(a.id);
    this.traces.delete(id);
  }
}

const byStore = new WeakMap<Store, TraceStore>();

export function tracesOf(store: Store): TraceStore {
  let t = byStore.get(store);
  if (!t) byStore.set(store, (t = new TraceStore()));
  return t;
}

/** The trace if it exists in the caller's workspace (trace ids are global; other workspaces see nothing). */
export function findTrace(store: Store, ws: string, id: string): Trace | undefined {
  const t = tracesOf(store).traces.get(id);
  if (!t) return undefined;
  const e = store.experiments.get(t.experimentId);
  return e && e.workspace === ws ? t : undefined;
}

/** `<experiment artifact location>/traces/<id>/artifacts` (posixpath.join: an empty id adds nothing). */
export function traceArtifactLocation(e: Experiment, id: string): string {
  return [e.artifactLocation, 'traces', id, 'artifacts'].filter((s) => s !== '').join('/');
}

/** Whether the trace's spans are in the tracking store (tag set by OTLP ingest). */
export const spansInStore = (t: Trace) => t.tags.get(SPANS_LOCATION_TAG) === TRACKING_STORE;

/** num_spans of the client's mlflow.trace.sizeStats metadata, if any. */
export function expectedSpanCount(t: Trace): number | undefined {
  const stats = t.metadata.get(SIZE_STATS_KEY);
  if (!stats) return undefined;
  try {
    const n = (JSON.parse(stats) as { num_spans?: unknown }).num_spans;
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}

/** "Not fully exported": the client recorded more spans than the store holds. */
export function fullyExported(t: Trace): boolean {
  const n = expectedSpanCount(t);
  return n === undefined || t.spans.size >= n;
}

// ------------------------------------------------------------ protobuf JSON times

/** google.protobuf.Timestamp JSON (RFC 3339) -> epoch ms (sub-ms digits dropped, as the SQL store does). */
export function parseTimestamp(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  const m = typeof v === 'string' ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(v) : null;
  if (!m) throw invalidParam(`Invalid value for ${field}: ${String(v)}`);
  const base = Date.parse(`${m[1]}${m[3] === 'Z' ? 'Z' : m[3]}`);
  const ms = m[2] ? Number(m[2].padEnd(9, '0').slice(0, 3)) : 0;
  return base + ms;
}

/** epoch ms -> RFC 3339 with 0 or 3 fractional digits (protobuf's shortest of 0/3/6/9). */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? iso.slice(0, -5) + 'Z' : iso;
}

/** google.protobuf.Duration JSON ("1.500s") -> ms. */
export function parseDuration(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const m = typeof v === 'string' ? /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(v) : null;
  if (!m) throw invalidParam(`Invalid value for ${field}: ${String(v)}`);
  const ms = Number(m[2]) * 1000 + (m[3] ? Number(m[3].padEnd(9, '0').slice(0, 3)) : 0);
  return m[1] ? -ms : ms;
}

export function formatDuration(ms: number): string {
  const neg = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  const s = Math.floor(a / 1000);
  const frac = a % 1000;
  return `${neg}${s}${frac ? '.' + String(frac).padStart(3, '0') : ''}s`;
}

// ------------------------------------------------------------ JSON shapes

const sortedObject = (m: Map<string, string>) => Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** v3 TraceInfo. `withMetadata` false reproduces the merge answer of StartTraceV3 (no trace_metadata). */
export function traceInfoJson(t: Trace, assessments: Record<string, unknown>[], withMetadata = true): Record<string, unknown> {
  const out: Record<string, unknown> = { trace_id: t.id };
  if (t.clientRequestId !== undefined && t.clientRequestId !== '') out.client_request_id = t.clientRequestId;
  out.trace_location = { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: t.experimentId } };
  out.request_time = formatTimestamp(t.requestTimeMs);
  if (t.durationMs !== undefined) out.execution_duration = formatDuration(t.durationMs);
  out.state = t.state;
  if (withMetadata && t.metadata.size) out.trace_metadata = sortedObject(t.metadata);
  if (assessments.length) out.assessments = assessments;
  if (t.tags.size) out.tags = sortedObject(t.tags);
  if (t.requestPreview !== undefined && t.requestPreview !== '') out.request_preview = t.requestPreview;
  if (t.responsePreview !== undefined && t.responsePreview !== '') out.response_preview = t.responsePreview;
  return out;
}

const kvList = (m: Map<string, string>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value }));

/** Deprecated v2 TraceInfo (request_id, numbers in ms, [{key, value}] lists sorted by key). */
export function traceInfoV2Json(t: Trace): Record<string, unknown> {
  const out: Record<string, unknown> = {
    request_id: t.id,
    experiment_id: t.experimentId,
    timestamp_ms: t.requestTimeMs,
  };
  if (t.durationMs !== undefined) out.execution_time_ms = t.durationMs;
  out.status = t.state;
  if (t.metadata.size) out.request_metadata = kvList(t.metadata);
  if (t.tags.size) out.tags = kvList(t.tags);
  return out;
}
