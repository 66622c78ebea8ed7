/**
 * The canonical MLflow 3 trace: its info, its spans and its assessments, as every backend reads
 * and writes them. Spans are kept as the document MLflow stores (the OpenTelemetry-shaped JSON
 * object that SqlAlchemyStore keeps in `spans.content` and FileStore in `traces.json`), parsed
 * losslessly: nanosecond times beyond 2^53 keep every digit, and attribute values stay the
 * JSON-encoded strings MLflow wrote. A writer serialises that document again the way Python's
 * `json.dumps` does (python-json.ts), so a span moves byte for byte.
 */
import type { JsonDoc } from './python-json.js';

/** TraceInfo.state of MLflow 3. */
export type TraceState = 'OK' | 'ERROR' | 'IN_PROGRESS' | 'STATE_UNSPECIFIED';

export interface TraceInfo {
  /** `tr-` followed by 32 hex digits for traces MLflow made; any other string is kept as is. */
  traceId: string;
  experimentId?: string;
  /** Milliseconds since the epoch. */
  requestTime: number;
  executionDurationMs?: number;
  state: TraceState;
  requestPreview?: string;
  responsePreview?: string;
  clientRequestId?: string;
  tags: Record<string, string>;
  /** `trace_metadata` (`request_metadata` in the stores). */
  metadata: Record<string, string>;
}

export interface TraceSpan {
  /** 16 hex digits. */
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** Nanoseconds since the epoch, as decimal digits (beyond 2^53). */
  startTimeNs: string;
  endTimeNs?: string;
  /** OK, ERROR or UNSET (STATUS_CODE_ prefix removed). */
  status: string;
  /** mlflow.spanType, decoded (CHAIN, LLM, ...); absent when the span has none. */
  spanType?: string;
  /** The whole span document as the store holds it. */
  document: JsonDoc;
}

export interface AssessmentError {
  code?: string;
  message?: string;
  stackTrace?: string;
}

export interface Assessment {
  assessmentId: string;
  traceId: string;
  name: string;
  kind: 'feedback' | 'expectation';
  /** The value as a JSON document (null when the feedback has only an error). */
  value: JsonDoc;
  error?: AssessmentError;
  rationale?: string;
  sourceType: string;
  sourceId?: string;
  metadata: Record<string, string>;
  spanId?: string;
  runId?: string;
  overrides?: string;
  valid: boolean;
  createTime: number;
  lastUpdateTime: number;
}

/** A whole trace, read or to be written. One trace is held at a time per worker. */
export interface Trace {
  info: TraceInfo;
  spans: TraceSpan[];
  assessments: Assessment[];
}

/** Tags MLflow keeps on a trace. */
export const TRACE_TAGS = {
  artifactLocation: 'mlflow.artifactLocation',
  spansLocation: 'mlflow.trace.spansLocation',
  linkedPrompts: 'mlflow.linkedPrompts',
} as const;

/** Metadata keys MLflow keeps on a trace that name other objects. */
export const TRACE_METADATA = {
  sourceRun: 'mlflow.sourceRun',
  modelId: 'mlflow.modelId',
  sizeBytes: 'mlflow.trace.sizeBytes',
  infoFinalized: 'mlflow.trace.infoFinalized',
} as const;

/** The 32 hex digits of an OpenTelemetry trace id behind `tr-<hex>`, or undefined. */
export function otelTraceHex(traceId: string): string | undefined {
  const m = /^tr-([0-9a-f]{32})$/.exec(traceId);
  return m?.[1];
}

/** Span ids are base64 of 8 bytes in the documents and 16 hex digits in tables and APIs. */
export function base64ToHex(value: string): string {
  return Buffer.from(value, 'base64').toString('hex');
}

export function hexToBase64(value: string): string {
  return Buffer.from(value, 'hex').toString('base64');
}
