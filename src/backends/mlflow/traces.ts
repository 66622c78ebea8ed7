/**
 * MLflow 3 traces over REST, as the 3.11 server answers (test/golden/cases/traces-*,
 * assessments-*, workspaces-genai; test/golden/README.md "MLflow 3 GenAI"):
 *
 * - read: traces/search (POST, locations, 500 a page) lists infos with tags and metadata; the
 *   spans come from get-trace-artifact (under /ajax-api only), which serves the span documents as
 *   MLflow's json.dumps text whether they are in the database or in traces.json (/traces/get
 *   answers 500 for the latter); assessments come with each listed info (traces/search answers
 *   them), else with GET /api/3.0/mlflow/traces/<id>.
 * - write: StartTraceV3 with the source's whole info and the provenance tags (so that an
 *   interrupted copy is found), then the spans through OTLP (/v1/traces, OTLP/JSON, otlp-spans.ts;
 *   several traces' spans share a request when the server is busy, otlp-batch.ts), which leave a
 *   finalized info as it is and add the spansLocation tag (traces-client-exchange), then the
 *   assessments in create-time order (an override flips the one it overrides to invalid, as in
 *   the source), and the completion marker tag last.
 * - look before writing: trace ids are global to a server and StartTraceV3 on an existing id
 *   merges into, or moves, that trace; GET of another workspace's trace is 404, so an id is
 *   looked up in every workspace the server lists.
 */
import type { ReadIssue } from '../contract.js';
import type { SourceTraces, TargetTraces, TraceCopyRecord, TraceUpdate } from '../../engine/traces/contract.js';
import { fastParseJsonDoc } from '../../model/fast-json-doc.js';
import { docObject, parseJsonDoc } from '../../model/python-json.js';
import { TRACE_PROVENANCE } from '../../model/trace-provenance.js';
import { assessmentFromProto, assessmentToProto, timestampText, traceInfoFromProto } from '../../model/trace-proto.js';
import { spanFromDocument } from '../../model/trace-span.js';
import { TRACE_TAGS, type Assessment, type Trace, type TraceInfo, type TraceSpan } from '../../model/trace.js';
import { MlflowRequestError } from './errors.js';
import { NotFoundError } from '../../util/errors.js';
import type { CallSpec, MlflowHttpClient } from './http-client.js';
import { asArray, asRecord, toStr } from './json.js';
import { OtlpBatcher } from './otlp-batch.js';
import { otlpSpan } from './otlp-spans.js';

const V3 = '/api/3.0/mlflow/traces';
const SEARCH_PAGE = 500;
/** Ids per batchGetInfos request (no limit recorded; kept well under the search page). */
const LOOKUP_IDS = 100;

function stringRecord(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(asRecord(value)).map(([k, v]) => [k, toStr(v) ?? '']));
}

export function parseTraceInfo(value: unknown): TraceInfo {
  const dict = asRecord(value);
  return traceInfoFromProto(dict, stringRecord(dict.tags), stringRecord(dict.trace_metadata));
}

const isNotFound = (error: unknown) => error instanceof NotFoundError || (error instanceof MlflowRequestError && (error.status === 404 || error.errorCode === 'RESOURCE_DOES_NOT_EXIST' || error.errorCode === 'NOT_FOUND'));

/**
 * The assessments a listed trace came with: traces/search answers each info with its assessments
 * (assessments-create-get), so a trace is read with one request (its spans), not two. Keyed by
 * the listed info object, so they go when it goes.
 */
const listedAssessments = new WeakMap<TraceInfo, Assessment[]>();

async function* searchTraces(client: MlflowHttpClient, workspace: string, experimentId: string): AsyncIterable<TraceInfo> {
  let pageToken: string | undefined;
  do {
    const body: Record<string, unknown> = {
      locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }],
      max_results: SEARCH_PAGE,
      order_by: ['timestamp_ms ASC'],
    };
    if (pageToken) body.page_token = pageToken;
    let answer: Record<string, unknown>;
    try {
      answer = asRecord(await client.post(`${V3}/search`, body, 'traces/search', workspace));
    } catch (error) {
      // A server older than MLflow 3 has no v3 trace search: it holds no traces to copy.
      if (pageToken === undefined && isNotFound(error)) return;
      throw error;
    }
    for (const listed of asArray(answer.traces)) {
      const info = parseTraceInfo(listed);
      // proto3 JSON leaves an empty list out: no key means no assessments.
      listedAssessments.set(info, asArray(asRecord(listed).assessments).map((a) => assessmentFromProto(asRecord(a))));
      yield info;
    }
    pageToken = toStr(answer.next_page_token) || undefined;
  } while (pageToken);
}

async function readSpans(client: MlflowHttpClient, workspace: string, traceId: string, issues: ReadIssue[]): Promise<TraceSpan[]> {
  let text: string;
  try {
    text = await client.text({ method: 'GET', path: '/ajax-api/2.0/mlflow/get-trace-artifact', query: { request_id: traceId }, workspace, what: 'get-trace-artifact' });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    issues.push({ field: `trace ${traceId} spans`, reason: 'the server holds no spans for this trace (neither in its database nor in traces.json)' });
    return [];
  }
  const spans: TraceSpan[] = [];
  // The built-in parser with each number's digits put back (fast-json-doc.ts), else the lossless one.
  const list = docObject(fastParseJsonDoc(text) ?? parseJsonDoc(text))?.spans;
  for (const document of Array.isArray(list) ? list : []) {
    try {
      spans.push(spanFromDocument(document));
    } catch (error) {
      issues.push({ field: `trace ${traceId} span`, reason: `${(error as Error).message}; not copied` });
    }
  }
  return spans;
}

export function mlflowSourceTraces(client: MlflowHttpClient, workspace: string, experimentId: string): SourceTraces {
  return {
    listTraces: () => searchTraces(client, workspace, experimentId),
    async readTrace(info) {
      const issues: ReadIssue[] = [];
      const spans = await readSpans(client, workspace, info.traceId, issues);
      let assessments = listedAssessments.get(info);
      if (!assessments) {
        // An info that was not listed here (e.g. built by the caller): ask for the trace's own.
        const answer = asRecord(await client.json({ method: 'GET', path: `${V3}/${encodeURIComponent(info.traceId)}`, workspace, what: 'traces/get-info' }));
        assessments = asArray(asRecord(asRecord(answer.trace).trace_info).assessments).map((a) => assessmentFromProto(asRecord(a)));
      }
      return { info, spans, assessments, issues };
    },
    listedAssessments: (info) => listedAssessments.get(info),
  };
}

export function mlflowTargetTraces(client: MlflowHttpClient, workspace: string, experimentId: string): TargetTraces {
  let workspaces: Promise<string[]> | undefined;
  const allWorkspaces = () =>
    (workspaces ??= (async () => {
      try {
        const answer = asRecord(await client.json({ method: 'GET', path: '/api/3.0/mlflow/workspaces', what: 'workspaces/list' }));
        const names = asArray(answer.workspaces).map((w) => toStr(asRecord(w).name) ?? '').filter((n) => n !== '');
        return names.length > 0 ? names : [workspace];
      } catch {
        // A server without workspaces: one namespace.
        return [workspace];
      }
    })());
  const spanBatcher = new OtlpBatcher(async (body) => {
    await client.text({
      method: 'POST',
      path: '/v1/traces',
      json: body,
      contentType: 'application/json',
      workspace,
      what: 'otlp/v1/traces',
      headers: { 'x-mlflow-experiment-id': experimentId },
    });
  });
  const exists = async (traceId: string, ws: string): Promise<boolean> => {
    try {
      await client.json({ method: 'GET', path: `${V3}/${encodeURIComponent(traceId)}`, workspace: ws, what: 'traces/get-info' });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  };
  return {
    async *listTraceCopies(): AsyncIterable<TraceCopyRecord> {
      for await (const info of searchTraces(client, workspace, experimentId)) {
        const sourceTraceId = info.tags[TRACE_PROVENANCE.traceId];
        if (sourceTraceId === undefined) continue;
        yield {
          sourceProject: info.tags[TRACE_PROVENANCE.project] ?? '',
          sourceTraceId,
          targetTraceId: info.traceId,
          complete: info.tags[TRACE_PROVENANCE.completed] !== undefined,
          ...(info.tags[TRACE_PROVENANCE.sourceState] !== undefined ? { sourceState: info.tags[TRACE_PROVENANCE.sourceState] } : {}),
        };
      }
    },
    async traceIdTaken(traceId) {
      if (await exists(traceId, workspace)) return true;
      for (const ws of await allWorkspaces()) if (ws !== workspace && (await exists(traceId, ws))) return true;
      return false;
    },
    async traceIdsTaken(traceIds) {
      // batchGetInfos leaves unknown ids out (traces-start-v3). That it answers only the traces the
      // caller's workspace sees, like GET, is assumed (not recorded): every other workspace is asked
      // for what is left. Were it to answer all workspaces, an id would only be taken sooner.
      const taken = new Set<string>();
      for (const ws of [workspace, ...(await allWorkspaces()).filter((name) => name !== workspace)]) {
        const left = traceIds.filter((id) => !taken.has(id));
        for (let i = 0; i < left.length; i += LOOKUP_IDS) {
          const answer = asRecord(await client.post(`${V3}/batchGetInfos`, { trace_ids: left.slice(i, i + LOOKUP_IDS) }, 'traces/batch-get-infos', ws));
          for (const found of asArray(answer.trace_infos)) taken.add(toStr(asRecord(found).trace_id) ?? '');
        }
      }
      return taken;
    },
    async writeTrace(trace, marker) {
      const { info } = trace;
      const notes: string[] = [];
      // 1. The trace, whole: its info, the source's tags with the provenance, its metadata. From
      //    here on a crash leaves a trace the next copy finds (provenance, no marker) and redoes.
      //    The info is final at once: spans that arrive for a trace StartTraceV3 has finalized leave
      //    its info as it is and only add the mlflow.trace.spansLocation tag (traces-client-exchange,
      //    the asynchronous export: StartTraceV3 first, then the spans), so no second StartTraceV3
      //    (a merge) is needed after them - one request per trace less for the target. The tag the
      //    spans set goes with the info too, whatever the source's says (its spans may have been in
      //    traces.json), so that it does not depend on the span ingest overwriting a tag.
      const tags: Record<string, string> = trace.spans.length > 0 ? { ...info.tags, [TRACE_TAGS.spansLocation]: 'TRACKING_STORE' } : info.tags;
      await writeOnly(client, { method: 'POST', path: V3, json: JSON.stringify({ trace: { trace_info: startInfo(info, experimentId, tags) } }), workspace, what: 'traces/start-v3' });
      // 2. The spans, into the server's database: with other traces' spans in one request when
      //    the server is busy (otlp-batch.ts); resolves once this trace's spans are stored.
      await spanBatcher.write(trace.spans.map((span) => JSON.stringify(otlpSpan(span, notes))));
      // 3. The assessments, after the info: what StartTraceV3's merge does to the assessments of
      //    a trace it merges into is not recorded, so no StartTraceV3 follows them. Then the marker.
      await writeAssessments(client, workspace, info.traceId, trace.assessments, notes);
      await writeOnly(client, { method: 'PATCH', path: `${V3}/${encodeURIComponent(info.traceId)}/tags`, json: JSON.stringify(marker), contentType: 'application/json', workspace, what: 'traces/set-tag' });
      return notes;
    },
    async readTraceCopy(traceId) {
      const answer = asRecord(await client.json({ method: 'GET', path: `${V3}/${encodeURIComponent(traceId)}`, workspace, what: 'traces/get-info' }));
      const dict = asRecord(asRecord(answer.trace).trace_info);
      return { tags: stringRecord(dict.tags), assessments: asArray(dict.assessments).map((a) => assessmentFromProto(asRecord(a))) };
    },
    async updateTrace(traceId, update, token) {
      const notes: string[] = [];
      const tagsPath = `${V3}/${encodeURIComponent(traceId)}/tags`;
      for (const [key, value] of Object.entries(update.setTags)) {
        await client.json({ method: 'PATCH', path: tagsPath, json: JSON.stringify({ key, value }), contentType: 'application/json', workspace, what: 'traces/set-tag' });
      }
      for (const key of update.deleteTags) {
        try {
          await client.json({ method: 'DELETE', path: tagsPath, json: JSON.stringify({ key }), contentType: 'application/json', workspace, what: 'traces/delete-tag' });
        } catch (error) {
          // Gone already (a sync killed after this delete): what the delete wanted.
          if (!isNotFound(error)) throw error;
        }
      }
      await syncAssessments(client, workspace, traceId, update, notes);
      await client.json({ method: 'PATCH', path: tagsPath, json: JSON.stringify(token), contentType: 'application/json', workspace, what: 'traces/set-tag' });
      return notes;
    },
    async discardTrace(traceId) {
      await client.post(`${V3}/delete-traces`, { experiment_id: experimentId, request_ids: [traceId] }, 'traces/delete-traces', workspace);
    },
  };
}

/**
 * A write whose answer is not used (the stored trace, assessment or tag echoed back): read and
 * checked to be JSON, but not parsed (a parse per write was CPU spent for nothing, a few per trace).
 */
function writeOnly(client: MlflowHttpClient, spec: CallSpec): Promise<void> {
  return client.jsonUnused(spec);
}

/**
 * Assessments in create-time order, so that an override names one already there. The server
 * ignores `valid` and `run_id` on create: invalid comes from being overridden, as in the source;
 * anything else is a note.
 */
async function writeAssessments(client: MlflowHttpClient, workspace: string, traceId: string, assessments: Assessment[], notes: string[]): Promise<void> {
  const ordered = overriddenFirst([...assessments].sort((a, b) => a.createTime - b.createTime || a.assessmentId.localeCompare(b.assessmentId)));
  const overridden = new Set(assessments.map((a) => a.overrides).filter((id): id is string => id !== undefined));
  for (const a of ordered) {
    const dict = assessmentToProto(a);
    delete dict.valid;
    delete dict.run_id;
    if (!a.valid && !overridden.has(a.assessmentId)) notes.push(`assessment ${a.assessmentId}: invalid in the source without an override; the server makes every new assessment valid`);
    if (a.runId !== undefined) notes.push(`assessment ${a.assessmentId}: the server does not take run_id ${a.runId} on create; not copied`);
    await writeOnly(client, { method: 'POST', path: `${V3}/${encodeURIComponent(traceId)}/assessments`, json: JSON.stringify({ assessment: dict }), workspace, what: 'assessments/create' });
  }
}

/**
 * Assessments of a copy brought up to date. An update through PATCH would stamp the server's own
 * last_update_time (assessments-update-override-delete), so a changed assessment is deleted and
 * created again whole, under the same id, with the source's times. Its overriders are taken out
 * and put back with it: deleting an overrider makes the one it overrode valid again, creating it
 * makes that one invalid, as in the source.
 */
async function syncAssessments(client: MlflowHttpClient, workspace: string, traceId: string, update: TraceUpdate, notes: string[]): Promise<void> {
  const base = `${V3}/${encodeURIComponent(traceId)}/assessments`;
  // A rewritten assessment takes its overriders with it (transitively).
  const rewritten = new Set(update.updateAssessments.map((a) => a.assessmentId));
  for (let grew = true; grew; ) {
    grew = false;
    for (const a of update.wantedAssessments) {
      if (a.overrides !== undefined && rewritten.has(a.overrides) && !rewritten.has(a.assessmentId) && !update.createAssessments.includes(a)) {
        rewritten.add(a.assessmentId);
        grew = true;
      }
    }
  }
  const copyIds = new Set(update.copyAssessments.map((a) => a.assessmentId));
  const pending = new Set([...update.deleteAssessments, ...rewritten].filter((id) => copyIds.has(id)));
  // Overriders first: deleting one restores the one it overrides, which must still be there.
  while (pending.size > 0) {
    const overridden = new Set(update.copyAssessments.filter((a) => pending.has(a.assessmentId) && a.overrides !== undefined).map((a) => a.overrides));
    const ready = [...pending].filter((id) => !overridden.has(id));
    for (const id of ready.length > 0 ? ready : [...pending]) {
      pending.delete(id);
      try {
        await client.json({ method: 'DELETE', path: `${base}/${encodeURIComponent(id)}`, workspace, what: 'assessments/delete' });
      } catch (error) {
        // Gone already (a sync killed after this delete): what the delete wanted.
        if (!isNotFound(error)) throw error;
      }
    }
  }
  const recreate = [...update.wantedAssessments.filter((a) => rewritten.has(a.assessmentId)), ...update.createAssessments];
  await writeAssessments(client, workspace, traceId, recreate, notes);
}

/** An assessment that overrides another goes after it (equal create times are common). */
function overriddenFirst(sorted: Assessment[]): Assessment[] {
  const ids = new Set(sorted.map((a) => a.assessmentId));
  const done = new Set<string>();
  const out: Assessment[] = [];
  let pending = sorted;
  while (pending.length > 0) {
    const next: Assessment[] = [];
    for (const a of pending) {
      if (a.overrides === undefined || !ids.has(a.overrides) || done.has(a.overrides) || a.overrides === a.assessmentId) {
        out.push(a);
        done.add(a.assessmentId);
      } else next.push(a);
    }
    // A cycle of overrides: the rest in create order.
    if (next.length === pending.length) return [...out, ...next];
    pending = next;
  }
  return out;
}

/** StartTraceV3's trace_info for a copy (protobuf JSON: RFC 3339 time, "1.500s" duration). */
export function startInfo(info: TraceInfo, experimentId: string, tags: Record<string, string>): Record<string, unknown> {
  const traceInfo: Record<string, unknown> = {
    trace_id: info.traceId,
    trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
    request_time: timestampText(info.requestTime),
    state: info.state,
    trace_metadata: info.metadata,
    tags,
  };
  if (info.executionDurationMs !== undefined) traceInfo.execution_duration = `${(info.executionDurationMs / 1000).toFixed(3)}s`;
  if (info.clientRequestId !== undefined) traceInfo.client_request_id = info.clientRequestId;
  if (info.requestPreview !== undefined) traceInfo.request_preview = info.requestPreview;
  if (info.responsePreview !== undefined) traceInfo.response_preview = info.responsePreview;
  return traceInfo;
}
