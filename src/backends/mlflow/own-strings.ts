/**
 * What the MLflow source keeps of every listed run until the run is opened, small:
 * - V8's JSON.parse hands out string values as slices of the parsed text, so one run id kept from
 *   a runs/search page keeps the whole page (megabytes for 1000 runs) alive: kept strings are
 *   copied into strings of their own;
 * - a run's param and tag values are kept as one compact JSON text, their names and the metric
 *   keys in lists shared between runs (a few hundred bytes instead of a few kilobytes of
 *   objects), put together again when the run is opened.
 */
import type { DatasetInput, KeyValue, RunInfo } from '../../model/run.js';
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
 * A listed run's data besides its info (see unpackRunData): the names of its params, tags and
 * metrics in a list shared by every run with the same names (one project's runs mostly have the
 * same), and its values as one text of its own. Params or tags with a value type, rare in MLflow,
 * are kept whole. Latest metric values are left out: the source plans its read-ahead from them
 * before runs are opened.
 */
export interface PackedRunData {
  names?: SharedNames;
  text: string;
}

interface SharedNames {
  params: readonly string[];
  tags: readonly string[];
  metricKeys: readonly string[];
}

/** Name lists by their text: one map per listing. */
export type NameLists = Map<string, SharedNames>;

export function packRunData(doc: RunDoc, lists: NameLists = new Map()): PackedRunData {
  const plain = (kv: KeyValue) => kv.type === undefined;
  if (!doc.params.every(plain) || !doc.tags.every(plain)) {
    return { text: ownString(JSON.stringify({ params: doc.params, tags: doc.tags, metricKeys: doc.metricKeys, inputs: doc.inputs })) };
  }
  const params = doc.params.map((kv) => kv.key);
  const tags = doc.tags.map((kv) => kv.key);
  const id = JSON.stringify([params, tags, doc.metricKeys]);
  let names = lists.get(id);
  if (!names) {
    names = { params: params.map(ownString), tags: tags.map(ownString), metricKeys: doc.metricKeys.map(ownString) };
    lists.set(id, names);
  }
  // JSON.stringify builds its text from pieces (a tree of strings); one flat copy is smaller.
  const values = [...doc.params.map((kv) => kv.value), ...doc.tags.map((kv) => kv.value)];
  return { names, text: ownString(JSON.stringify(doc.inputs === undefined ? values : [values, doc.inputs])) };
}

export function unpackRunData(info: RunInfo, packed: PackedRunData): RunDoc {
  const { names } = packed;
  if (!names) {
    const data = JSON.parse(packed.text) as Omit<RunDoc, 'info'>;
    const doc: RunDoc = { info, params: data.params, tags: data.tags, metricKeys: data.metricKeys };
    if (data.inputs !== undefined) doc.inputs = data.inputs;
    return doc;
  }
  const parsed = JSON.parse(packed.text) as string[] | [string[], DatasetInput[]];
  const withInputs = parsed.length === 2 && Array.isArray(parsed[0]);
  const values = (withInputs ? parsed[0] : parsed) as string[];
  const doc: RunDoc = {
    info,
    params: names.params.map((key, i) => ({ key, value: values[i]! })),
    tags: names.tags.map((key, i) => ({ key, value: values[names.params.length + i]! })),
    metricKeys: [...names.metricKeys],
  };
  if (withInputs) doc.inputs = parsed[1] as DatasetInput[];
  return doc;
}
