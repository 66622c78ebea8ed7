/**
 * Assessments (feedback and expectations on traces) as the SQL store keeps them: values as
 * json.dumps() text of a protobuf Value (every number a float: 1 -> "1.0"), times in ms,
 * `valid` flipped by overrides. JSON shape as recorded (assessments-create-get).
 */
import { formatTimestamp } from './trace-store.js';
import { pyLoads, toWire } from './pyvalue.js';

export const SOURCE_TYPES = ['SOURCE_TYPE_UNSPECIFIED', 'HUMAN', 'LLM_JUDGE', 'CODE', 'AI_JUDGE'];

export interface Assessment {
  id: string;
  traceId: string;
  name: string;
  kind: 'feedback' | 'expectation';
  /** json.dumps() of the value; undefined = no value (a feedback with only an error) */
  valueText: string | undefined;
  /** expectation given as serialized_value: kept in that form */
  serialized: { format: string; value: string } | undefined;
  error: Record<string, unknown> | undefined;
  createMs: number;
  updateMs: number;
  sourceType: string;
  sourceId: string | undefined;
  spanId: string | undefined;
  rationale: string | undefined;
  overrides: string | undefined;
  valid: boolean;
  metadata: Map<string, string>;
}

export function assessmentJson(a: Assessment): Record<string, unknown> {
  const out: Record<string, unknown> = { assessment_id: a.id, assessment_name: a.name, trace_id: a.traceId };
  if (a.spanId) out.span_id = a.spanId;
  out.source = a.sourceId ? { source_type: a.sourceType, source_id: a.sourceId } : { source_type: a.sourceType };
  out.create_time = formatTimestamp(a.createMs);
  out.last_update_time = formatTimestamp(a.updateMs);
  const value = a.valueText === undefined ? null : toWire(pyLoads(a.valueText) ?? null);
  if (a.kind === 'feedback') {
    const fb: Record<string, unknown> = { value };
    if (a.error) fb.error = a.error;
    out.feedback = fb;
  } else if (a.serialized) out.expectation = { serialized_value: { serialization_format: a.serialized.format, value: a.serialized.value } };
  else out.expectation = { value };
  if (a.rationale) out.rationale = a.rationale;
  if (a.metadata.size) out.metadata = Object.fromEntries(a.metadata);
  if (a.overrides) out.overrides = a.overrides;
  out.valid = a.valid;
  return out;
}

/** A trace's assessments as its trace_info lists them: by create time. */
export function assessmentsOf(list: Assessment[]): Record<string, unknown>[] {
  return [...list].sort((a, b) => a.createMs - b.createMs).map(assessmentJson);
}
