/**
 * MLflow 3 traces in an mlruns store, in FileStore's layout (see test/golden/stores/genai-mlruns):
 *
 *   <exp>/traces/<trace_id>/trace_info.yaml                 info (RFC 3339 times, state, previews)
 *   <exp>/traces/<trace_id>/tags/<key>                       one file per tag
 *   <exp>/traces/<trace_id>/request_metadata/<key>           one file per metadata key
 *   <exp>/traces/<trace_id>/assessments/<assessment_id>.yaml one file per assessment
 *   <exp>/traces/<trace_id>/artifacts/traces.json            {"spans": [<span document>, ...]}
 *
 * The spans are read from the trace's own artifacts folder: the mlflow.artifactLocation tag may
 * name a path of the machine that wrote the store. A copy is built in the staging folder (spans,
 * info, assessments, completion marker last) and renamed into place in one step, so MLflow never
 * sees half a trace; a staged trace left by a crash is found by listTraceCopies as incomplete.
 * FileStore mints its own assessment ids and times when it logs one; written as files here, the
 * source's ids and times are kept as they are.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ReadIssue } from '../contract.js';
import type { TraceCopyRecord, TraceUpdate } from '../../engine/traces/contract.js';
import { TRACE_PROVENANCE } from '../../model/trace-provenance.js';
import { assessmentToProto, traceInfoToProto } from '../../model/trace-proto.js';
import { spanContent, spanForTrace } from '../../model/trace-span.js';
import { TRACE_TAGS, type Assessment, type Trace, type TraceInfo, type TraceSpan } from '../../model/trace.js';
import { readAssessmentFileTexts, assessmentsFromFiles, INFO_FILE, METADATA_DIR, readTraceFiles, SPANS_FILE, traceFromFiles } from './trace-files.js';
import { exists, mkdirPrivate, writePrivateFile } from './fs-util.js';
import { MlrunsTraceReader } from './trace-reader.js';
import { readKeyValue, readKeyValues, writeKeyValue } from './key-value-dir.js';
import { ARTIFACTS_DIR, keyPath, safeSegments, TAGS_DIR } from './layout.js';
import { dumpPyYaml, type YamlValue } from './pyyaml.js';
import { ASSESSMENTS_DIR } from './trace-state-token.js';

export const TRACES_DIR = 'traces';

function toRecord(values: Array<{ key: string; value: string }>): Record<string, string> {
  return Object.fromEntries(values.map(({ key, value }) => [key, value]));
}

export function traceFolderName(traceId: string): string {
  const segments = safeSegments(traceId, 'trace id');
  if (segments.length !== 1) throw new Error(`"${traceId}" is not a trace id`);
  return traceId;
}

/** Every readable trace of the experiment folder, read inline; unreadable ones are reported in `issues`. */
export function listTraceInfos(experimentDir: string, issues: ReadIssue[]): AsyncIterable<TraceInfo> {
  return new MlrunsTraceReader({ thread: false }).listTraces(join(experimentDir, TRACES_DIR), issues);
}

export async function readTraceFolder(dir: string, info: TraceInfo): Promise<Trace & { issues: ReadIssue[] }> {
  // Read synchronously: a handful of small files per trace (fs-util.ts readSmallTextIfExistsSync).
  return traceFromFiles(info, readTraceFiles(dir));
}

/**
 * A listed trace's assessments, read when its state token moved (engine/traces/sync-trace.ts).
 * Throws when one cannot be read: the sync would otherwise delete its copy.
 */
export function readListedAssessments(dir: string, traceId: string): Assessment[] {
  const issues: ReadIssue[] = [];
  const assessments = assessmentsFromFiles(traceId, readAssessmentFileTexts(dir), issues);
  if (issues.length > 0) throw new Error(issues.map((issue) => `${issue.field}: ${issue.reason}`).join('; '));
  return assessments;
}

/** traces.json as MLflow writes it: {"spans": [...]} with json.dumps defaults. */
export function spansFileText(spans: TraceSpan[]): string {
  // dumpPythonJson({ spans: documents }), each document as read where it was kept (spanContent).
  return `{"spans": [${spans.map(spanContent).join(', ')}]}`;
}

export interface TracePlaces {
  /** Where the trace is assembled (invisible to MLflow). */
  stagingDir: string;
  finalDir: string;
  /** The experiment's artifact_location (file URI or path): the trace's is <it>/traces/<id>/artifacts. */
  artifactLocation: string;
}

/** Writes the whole trace into staging (spans first, marker last) and renames it into place. */
export async function writeTraceFolder(trace: Trace, marker: { key: string; value: string }, places: TracePlaces): Promise<void> {
  const dir = places.stagingDir;
  await rm(dir, { recursive: true, force: true });
  await writePrivateFile(join(dir, ARTIFACTS_DIR, SPANS_FILE), spansFileText(trace.spans));
  await writePrivateFile(join(dir, INFO_FILE), dumpPyYaml(traceInfoToProto(trace.info) as { [key: string]: YamlValue }));
  for (const [key, value] of Object.entries(trace.info.metadata)) await writeKeyValue(join(dir, METADATA_DIR), key, value);
  const tags = { ...trace.info.tags, [TRACE_TAGS.artifactLocation]: `${places.artifactLocation.replace(/\/+$/, '')}/${TRACES_DIR}/${trace.info.traceId}/${ARTIFACTS_DIR}` };
  for (const [key, value] of Object.entries(tags)) await writeKeyValue(join(dir, TAGS_DIR), key, value);
  for (const assessment of trace.assessments) {
    await writePrivateFile(join(dir, ASSESSMENTS_DIR, `${traceFolderName(assessment.assessmentId)}.yaml`), dumpPyYaml(assessmentToProto(assessment) as { [key: string]: YamlValue }));
  }
  await writeKeyValue(join(dir, TAGS_DIR), marker.key, marker.value);
  await rm(places.finalDir, { recursive: true, force: true });
  await mkdirPrivate(dirname(places.finalDir));
  await rename(dir, places.finalDir);
}

export async function traceCopyRecord(dir: string, traceId: string, staged: boolean): Promise<TraceCopyRecord | undefined> {
  const tags = join(dir, TAGS_DIR);
  const sourceTraceId = await readKeyValue(tags, TRACE_PROVENANCE.traceId);
  if (sourceTraceId === undefined) return undefined;
  return {
    sourceProject: (await readKeyValue(tags, TRACE_PROVENANCE.project)) ?? '',
    sourceTraceId,
    targetTraceId: traceId,
    complete: !staged && (await readKeyValue(tags, TRACE_PROVENANCE.completed)) !== undefined,
    ...(await optional('sourceState', readKeyValue(tags, TRACE_PROVENANCE.sourceState))),
  };
}

/** A complete copy's tags and assessments, to compare with its source (engine/traces/sync-trace.ts). */
export async function readTraceCopyFolder(dir: string, traceId: string): Promise<{ tags: Record<string, string>; assessments: Assessment[] }> {
  const tags = toRecord(await readKeyValues(join(dir, TAGS_DIR)));
  // Spans are not read: a sync never compares them. An assessment file that cannot be read would
  // be written again as new: say so instead.
  try {
    return { tags, assessments: readListedAssessments(dir, traceId) };
  } catch (error) {
    throw new Error(`copy ${traceId}: ${(error as Error).message}`);
  }
}

/**
 * Writes a sync's difference into a complete copy, file by file (each write idempotent), and the
 * new state token last: a sync killed midway is compared again and completed by the next one.
 */
export async function updateTraceFolder(dir: string, update: TraceUpdate, token: { key: string; value: string }): Promise<void> {
  for (const [key, value] of Object.entries(update.setTags)) await writeKeyValue(join(dir, TAGS_DIR), key, value);
  for (const key of update.deleteTags) await rm(keyPath(join(dir, TAGS_DIR), key), { force: true });
  const file = (id: string) => join(dir, ASSESSMENTS_DIR, `${traceFolderName(id)}.yaml`);
  for (const id of update.deleteAssessments) await rm(file(id), { force: true });
  for (const assessment of [...update.updateAssessments, ...update.createAssessments]) {
    await writePrivateFile(file(assessment.assessmentId), dumpPyYaml(assessmentToProto(assessment) as { [key: string]: YamlValue }));
  }
  await writeKeyValue(join(dir, TAGS_DIR), token.key, token.value);
}

async function optional<K extends string>(key: K, value: Promise<string | undefined>): Promise<Partial<Record<K, string>>> {
  const text = await value;
  return text === undefined ? {} : ({ [key]: text } as Partial<Record<K, string>>);
}

/** Is `traceId` a folder in any of these `traces` folders? */
export async function traceFolderExists(tracesDirs: string[], traceId: string): Promise<boolean> {
  const name = traceFolderName(traceId);
  for (const dir of tracesDirs) if (await exists(join(dir, name))) return true;
  return false;
}

export function newTraceId(): string {
  return `tr-${randomBytes(16).toString('hex')}`;
}

export { spanForTrace };
