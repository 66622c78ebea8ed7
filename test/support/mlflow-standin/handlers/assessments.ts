/**
 * Assessments on traces (recorded: assessments-create-get, assessments-update-override-delete):
 * create (client-chosen ids and times kept), get, update by FieldMask, override, delete.
 * Assessment ids are unique across the whole store (a duplicate is the SQLite UNIQUE error).
 */
import { randomBytes } from 'node:crypto';
import { assessmentJson, SOURCE_TYPES, type Assessment } from '../assessment-model.js';
import type { Ctx } from '../context.js';
import { invalidParam, MlflowError, notFound, SQLA_BACKGROUND } from '../errors.js';
import { json } from '../http.js';
import { pyRepr } from '../pyfmt.js';
import { fromRequestJson, pyDumps } from '../pyvalue.js';
import { type Router, API3 } from '../router.js';
import { findTrace, parseTimestamp, tracesOf, type Trace } from '../trace-store.js';
import { Fields, missingValue } from '../validation.js';

const INSERT_SQL =
  'INSERT INTO assessments (assessment_id, trace_id, name, assessment_type, value, error, created_timestamp, last_updated_timestamp, source_type, source_id, run_id, span_id, rationale, overrides, valid, assessment_metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

const unknownType = () => invalidParam('Unknown assessment type: None');
const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const strOrUndef = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
/** protobuf Value: every number is a double. */
const valueText = (v: unknown) => (v === undefined ? undefined : pyDumps(fromRequestJson(v, true)));

function stringMap(v: unknown): Map<string, string> {
  return new Map(Object.entries(obj(v) ?? {}).map(([k, x]) => [k, typeof x === 'string' ? x : String(x)]));
}

function integrityError(kind: string, a: Assessment): MlflowError {
  const row = [
    a.id, a.traceId, a.name, a.kind, a.valueText ?? null, a.error ? pyDumps(fromRequestJson(a.error)) : null,
    a.createMs, a.updateMs, a.sourceType, a.sourceId ?? null, null, a.spanId ?? null, a.rationale ?? null,
    a.overrides ?? null, a.valid ? 1 : 0, a.metadata.size ? pyDumps(Object.fromEntries(a.metadata)) : null,
  ];
  return new MlflowError(
    'BAD_REQUEST',
    `(sqlite3.IntegrityError) ${kind}\n[SQL: ${INSERT_SQL}]\n[parameters: (${row.map(pyRepr).join(', ')})]\n${SQLA_BACKGROUND}`,
  );
}

/** The typed part of an assessment (feedback or expectation); "Unknown assessment type: None" otherwise. */
function valuePart(f: Fields): Pick<Assessment, 'kind' | 'valueText' | 'serialized' | 'error'> {
  const feedback = obj(f.raw('feedback'));
  const expectation = obj(f.raw('expectation'));
  if (feedback) {
    const error = obj(feedback.error);
    return { kind: 'feedback', valueText: valueText(feedback.value ?? undefined), serialized: undefined, error };
  }
  if (expectation) {
    const sv = obj(expectation.serialized_value);
    if (sv)
      return {
        kind: 'expectation',
        valueText: undefined,
        serialized: { format: String(sv.serialization_format ?? ''), value: String(sv.value ?? '') },
        error: undefined,
      };
    return { kind: 'expectation', valueText: valueText(expectation.value ?? null), serialized: undefined, error: undefined };
  }
  throw unknownType();
}

async function create(ctx: Ctx) {
  const f = await ctx.fields();
  const body = f.raw('assessment');
  if (!obj(body)) throw missingValue('assessment');
  const a = Fields.body(body);
  const source = obj(a.raw('source')) ?? {};
  const sourceType = (source.source_type as string | undefined) ?? 'SOURCE_TYPE_UNSPECIFIED';
  // An unknown enum name makes the whole source unreadable: the server then sees no type at all.
  if (!SOURCE_TYPES.includes(sourceType)) throw unknownType();
  const part = valuePart(a);
  const now = Date.now();
  const createMs = a.has('create_time') ? parseTimestamp(a.raw('create_time'), 'create_time') : now;
  const traceId = ctx.params.trace_id!;
  const assessment: Assessment = {
    id: strOrUndef(a.raw('assessment_id')) ?? `a-${randomBytes(16).toString('hex')}`,
    traceId,
    name: String(a.raw('assessment_name') ?? ''),
    ...part,
    createMs,
    updateMs: a.has('last_update_time') ? parseTimestamp(a.raw('last_update_time'), 'last_update_time') : now,
    sourceType,
    sourceId: strOrUndef(source.source_id),
    spanId: strOrUndef(a.raw('span_id')),
    rationale: strOrUndef(a.raw('rationale')),
    overrides: strOrUndef(a.raw('overrides')),
    valid: true, // `valid` and `run_id` of the request are ignored (recorded)
    metadata: stringMap(a.raw('metadata')),
  };
  const { store } = ctx.state;
  const trace = findTrace(store, ctx.ws, traceId);
  if (!trace) throw integrityError('FOREIGN KEY constraint failed', assessment);
  const ids = tracesOf(store).assessmentTrace;
  if (ids.has(assessment.id)) throw integrityError('UNIQUE constraint failed: assessments.assessment_id', assessment);
  if (assessment.overrides) {
    const old = trace.assessments.find((x) => x.id === assessment.overrides);
    // the real message leaves its {trace_id} placeholder unfilled (recorded)
    if (!old) throw notFound(`Assessment with ID '${assessment.overrides}' not found for trace '{trace_id}'`);
    old.valid = false;
  }
  trace.assessments.push(assessment);
  ids.set(assessment.id, trace.id);
  return json({ assessment: assessmentJson(assessment) });
}

function lookup(ctx: Ctx): { trace: Trace; a: Assessment } {
  const traceId = ctx.params.trace_id!;
  const id = ctx.params.assessment_id!;
  const trace = findTrace(ctx.state.store, ctx.ws, traceId);
  if (!trace) throw notFound(`Trace with request_id '${traceId}' not found`);
  const a = trace.assessments.find((x) => x.id === id);
  if (!a) throw notFound(`Assessment with ID '${id}' not found for trace '${traceId}'`);
  return { trace, a };
}

async function get(ctx: Ctx) {
  return json({ assessment: assessmentJson(lookup(ctx).a) });
}

const snake = (s: string) => s.trim().replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

/** PATCH with a FieldMask: only masked fields change; metadata is merged; "valid" crashes the real handler. */
async function update(ctx: Ctx) {
  const f = await ctx.fields();
  const mask = f.raw('update_mask');
  const paths =
    typeof mask === 'string' ? mask.split(',') : Array.isArray(obj(mask)?.paths) ? (obj(mask)!.paths as unknown[]).map(String) : undefined;
  if (!paths || paths.every((p) => !p.trim())) throw missingValue('update_mask');
  const { a } = lookup(ctx);
  const body = Fields.body(f.raw('assessment'));
  const fields = paths.map(snake).filter(Boolean);
  if (fields.includes('valid')) throw new Error('update of "valid" is not supported by the real handler (500 page)');
  if (fields.includes('expectation') && a.kind !== 'expectation') throw invalidParam('Cannot update expectation value on a Feedback assessment.');
  if (fields.includes('feedback') && a.kind !== 'feedback') throw invalidParam('Cannot update feedback value on an Expectation assessment.');
  for (const field of fields) {
    if (field === 'assessment_name') a.name = String(body.raw('assessment_name') ?? a.name);
    else if (field === 'rationale') a.rationale = strOrUndef(body.raw('rationale'));
    else if (field === 'metadata') for (const [k, v] of stringMap(body.raw('metadata'))) a.metadata.set(k, v);
    else if (field === 'feedback' || field === 'expectation') {
      const part = valuePart(Fields.body({ [field]: body.raw(field) ?? {} }));
      Object.assign(a, part);
    }
  }
  a.updateMs = Date.now();
  return json({ assessment: assessmentJson(a) });
}

/** Idempotent; deleting an override makes the assessment it overrode valid again. */
async function remove(ctx: Ctx) {
  const trace = findTrace(ctx.state.store, ctx.ws, ctx.params.trace_id!);
  const i = trace?.assessments.findIndex((x) => x.id === ctx.params.assessment_id) ?? -1;
  if (trace && i >= 0) {
    const [gone] = trace.assessments.splice(i, 1);
    tracesOf(ctx.state.store).assessmentTrace.delete(gone!.id);
    if (gone?.overrides) {
      const old = trace.assessments.find((x) => x.id === gone.overrides);
      if (old) old.valid = true;
    }
  }
  return json({});
}

export function registerAssessments(r: Router): void {
  r.add(API3, '/traces/<trace_id>/assessments', ['POST'], 'assessments/create', create);
  r.add(API3, '/traces/<trace_id>/assessments/<assessment_id>', ['GET'], 'assessments/get', get);
  r.add(API3, '/traces/<trace_id>/assessments/<assessment_id>', ['PATCH'], 'assessments/update', update);
  r.add(API3, '/traces/<trace_id>/assessments/<assessment_id>', ['DELETE'], 'assessments/delete', remove);
}
