/**
 * What the MLflow source keeps of every listed run until the run is opened, small:
 * - V8's JSON.parse hands out string values as slices of the parsed text, so one run id kept from
 *   a runs/search page keeps the whole page (megabytes for 1000 runs) alive: kept strings are
 *   copied into strings of their own;
 * - a run's params, tags and metric keys are kept as one compact JSON text (a few hundred bytes
 *   instead of a few kilobytes of objects), parsed again when the run is opened.
 */
import type { RunInfo } from '../../model/run.js';
import type { RunDoc } from './api.js';

export function ownString(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

export function ownRunInfo(info: RunInfo): RunInfo {
  const out: RunInfo = { ...info, runId: ownString(info.runId) };
  if (info.name !== undefined) out.name = ownString(info.name);
  if (info.user !== undefined) out.user = ownString(info.user);
  if (info.experimentId !== undefined) out.experimentId = ownString(info.experimentId);
  if (info.artifactUri !== undefined) out.artifactUri = ownString(info.artifactUri);
  if (info.parentRunId !== undefined) out.parentRunId = ownString(info.parentRunId);
  return out;
}

/**
 * A listed run's data besides its info, as one text of its own (see unpackRunData). Latest metric
 * values are left out: the source plans its read-ahead from them before runs are opened.
 */
export function packRunData(doc: RunDoc): string {
  return JSON.stringify({ params: doc.params, tags: doc.tags, metricKeys: doc.metricKeys, inputs: doc.inputs });
}

export function unpackRunData(info: RunInfo, packed: string): RunDoc {
  const data = JSON.parse(packed) as Omit<RunDoc, 'info'>;
  const doc: RunDoc = { info, params: data.params, tags: data.tags, metricKeys: data.metricKeys };
  if (data.inputs !== undefined) doc.inputs = data.inputs;
  return doc;
}
