/**
 * What OTLP span ingest does to the tracking store (recorded: traces-otlp-json,
 * traces-otlp-protobuf, traces-client-exchange, workspaces-genai):
 * - spans are grouped by MLflow trace id (mlflow.traceRequestId attribute, else "tr-" + hex id)
 *   and upserted by span id;
 * - a trace that does not exist yet is created in the header's experiment with info derived
 *   from its spans: request_time = earliest start, execution_duration = latest end - earliest
 *   start, state from the root span, previews = the root's stored inputs / outputs text, tags
 *   mlflow.artifactLocation and mlflow.trace.spansLocation=TRACKING_STORE, no metadata;
 * - a trace created by spans alone is re-derived as more spans arrive; a trace whose info was
 *   finalized by StartTraceV3 keeps its info and only gains the spansLocation tag.
 * Not recorded (chosen): a root span with status UNSET gives state STATE_UNSPECIFIED, and a
 * trace whose root has not arrived yet is IN_PROGRESS; previews are cut at 1000 characters.
 */
import { cpSlice } from './pyfmt.js';
import { mlflowTraceId, SPAN_INPUTS_ATTR, SPAN_OUTPUTS_ATTR, storeSpan, type OtlpSpan, type StoredSpan } from './spans.js';
import type { Experiment, Store } from './store.js';
import {
  ARTIFACT_LOCATION_TAG,
  INFO_FINALIZED_KEY,
  SPANS_LOCATION_TAG,
  traceArtifactLocation,
  tracesOf,
  TRACKING_STORE,
  type Trace,
} from './trace-store.js';

const PREVIEW_MAX = 1000;
const NS_PER_MS = 1_000_000n;

function deriveInfo(t: Trace): void {
  const spans = [...t.spans.values()];
  if (spans.length === 0) return;
  let start = spans[0]!.startNs;
  let end = spans[0]!.endNs;
  for (const s of spans) {
    if (s.startNs < start) start = s.startNs;
    if (s.endNs > end) end = s.endNs;
  }
  t.requestTimeMs = Number(start / NS_PER_MS);
  t.durationMs = Number((end - start) / NS_PER_MS);
  const root: StoredSpan | undefined = spans.find((s) => !s.parentIdHex);
  if (!root) {
    t.state = 'IN_PROGRESS';
    return;
  }
  t.state = root.statusCode === 'STATUS_CODE_OK' ? 'OK' : root.statusCode === 'STATUS_CODE_ERROR' ? 'ERROR' : 'STATE_UNSPECIFIED';
  const preview = (k: string) => {
    const v = root.attributes.get(k);
    return v === undefined ? undefined : cpSlice(v, PREVIEW_MAX);
  };
  t.requestPreview = preview(SPAN_INPUTS_ATTR);
  t.responsePreview = preview(SPAN_OUTPUTS_ATTR);
}

/** Store the spans of one export request in `exp`. Spans must have a trace id (checked by the caller). */
export function ingestSpans(store: Store, exp: Experiment, spans: OtlpSpan[]): void {
  const all = tracesOf(store).traces;
  const byTrace = new Map<string, OtlpSpan[]>();
  for (const s of spans) {
    const id = mlflowTraceId(s);
    const list = byTrace.get(id);
    if (list) list.push(s);
    else byTrace.set(id, [s]);
  }
  for (const [id, list] of byTrace) {
    let t = all.get(id);
    if (!t) {
      t = {
        id,
        experimentId: exp.id,
        requestTimeMs: 0,
        durationMs: undefined,
        state: 'IN_PROGRESS',
        clientRequestId: undefined,
        requestPreview: undefined,
        responsePreview: undefined,
        metadata: new Map(),
        tags: new Map([[ARTIFACT_LOCATION_TAG, traceArtifactLocation(exp, id)]]),
        spans: new Map(),
        assessments: [],
        linkedRuns: new Set(),
      };
      all.set(id, t);
    }
    for (const s of list) {
      const stored = storeSpan(s, id);
      t.spans.set(stored.spanIdHex, stored);
    }
    t.tags.set(SPANS_LOCATION_TAG, TRACKING_STORE);
    if (t.metadata.get(INFO_FINALIZED_KEY) !== 'true') deriveInfo(t);
  }
}
