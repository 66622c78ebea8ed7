/**
 * Reading a trace folder of an mlruns store in two halves, so that the reading can happen on
 * another thread (trace-reader.ts):
 *
 * - `read*Files`: the file system work, and the span scan (span-text.ts), with nothing built but
 *   plain data (strings and numbers): what a worker thread can send without a costly clone;
 * - `*FromFiles`: the trace or its info from that data, on the thread that copies.
 *
 * The inline read (traces.ts) is the two halves called one after the other, so a trace read by
 * the worker is the same, issue for issue, as one read inline.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadIssue } from '../contract.js';
import { docObject, parseJsonDoc, type JsonDoc } from '../../model/python-json.js';
import type { KeyValue } from '../../model/run.js';
import { assessmentFromProto, traceInfoFromProto } from '../../model/trace-proto.js';
import { canonicalSpanParts, spanFromDocument, spanFromKept, type KeptSpanParts } from '../../model/trace-span.js';
import { canonicalArrayObjects } from '../../model/span-text.js';
import type { Assessment, Trace, TraceInfo, TraceSpan } from '../../model/trace.js';
import { readSmallTextIfExistsSync } from './fs-util.js';
import { readKeyValuesSync } from './key-value-dir.js';
import { ARTIFACTS_DIR, TAGS_DIR } from './layout.js';
import { parseMlflowYaml } from './pyyaml-strict.js';
import { ASSESSMENTS_DIR, assessmentFileNames, traceFolderStateToken } from './trace-state-token.js';

export const INFO_FILE = 'trace_info.yaml';
export const METADATA_DIR = 'request_metadata';
export { ASSESSMENTS_DIR };
export const SPANS_FILE = 'traces.json';

type Dict = { [key: string]: unknown };

/** An error as plain data: its message (what the reports show) and its code. */
export interface ErrorData {
  message: string;
  code?: string;
}

export function errorData(error: unknown): ErrorData {
  const code = (error as { code?: unknown } | undefined)?.code;
  return { message: error instanceof Error ? error.message : String(error), ...(typeof code === 'string' ? { code } : {}) };
}

export function errorFromData(data: ErrorData): Error {
  return Object.assign(new Error(data.message), data.code !== undefined ? { code: data.code } : {});
}

/** What trace_info.yaml, tags/ and request_metadata/ hold, unparsed. */
export interface InfoFiles {
  /** trace_info.yaml; absent when the folder has none. */
  infoText?: string;
  tags: KeyValue[];
  metadata: KeyValue[];
  /** Reading tags/ or request_metadata/ failed: thrown after the YAML is parsed, as the inline read did. */
  keyValueError?: ErrorData;
}

function readTraceInfoFiles(dir: string): InfoFiles {
  const infoText = readSmallTextIfExistsSync(join(dir, INFO_FILE));
  if (infoText === undefined) return { tags: [], metadata: [] };
  try {
    return { infoText, tags: readKeyValuesSync(join(dir, TAGS_DIR)), metadata: readKeyValuesSync(join(dir, METADATA_DIR)) };
  } catch (error) {
    return { infoText, tags: [], metadata: [], keyValueError: errorData(error) };
  }
}

/** The info those files describe, or undefined when there is no readable trace_info.yaml. Throws like the read did. */
function traceInfoFromFiles(files: InfoFiles): TraceInfo | undefined {
  if (files.infoText === undefined) return undefined;
  const dict = parseMlflowYaml(files.infoText);
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) return undefined;
  if (files.keyValueError) throw errorFromData(files.keyValueError);
  return traceInfoFromProto(dict as Dict, toRecord(files.tags), toRecord(files.metadata));
}

function toRecord(values: KeyValue[]): Record<string, string> {
  return Object.fromEntries(values.map(({ key, value }) => [key, value]));
}

/** traces.json as read: absent, span documents in json.dumps form (scanned, kept as text), or other text (parsed later). */
export type SpansFile =
  | { kind: 'missing' }
  | { kind: 'kept'; spans: Array<KeptSpanParts | { error: string }> }
  | { kind: 'text'; text: string };

/**
 * One assessments/*.yaml: its text, or why it could not be read; or, parsed where it was read
 * (the reader thread), the assessment, or why it could not be parsed.
 */
export interface AssessmentFile {
  file: string;
  text?: string;
  error?: string;
  assessment?: Assessment;
  parseError?: string;
}

export interface TraceFiles {
  spans: SpansFile;
  /** assessments/*.yaml in name order. */
  assessments: AssessmentFile[];
}

/** The trace's files: throws when the assessments folder cannot be listed (the trace fails), as the inline read did. */
export function readTraceFiles(dir: string): TraceFiles {
  return { spans: readSpansFile(join(dir, ARTIFACTS_DIR, SPANS_FILE)), assessments: readAssessmentFileTexts(dir) };
}

function readSpansFile(path: string): SpansFile {
  const text = readSmallTextIfExistsSync(path);
  if (text === undefined) return { kind: 'missing' };
  // Documents in json.dumps form (as MLflow writes them) are kept as read, not parsed and dumped again.
  const kept = canonicalArrayObjects(text, 'spans');
  if (!kept) return { kind: 'text', text };
  return {
    kind: 'kept',
    spans: kept.map((found) => {
      try {
        return canonicalSpanParts(found);
      } catch (error) {
        return { error: (error as Error).message };
      }
    }),
  };
}

/** The texts of the trace's assessments/*.yaml in name order (trace-state-token.ts lists them). */
export function readAssessmentFileTexts(traceDir: string): AssessmentFile[] {
  return assessmentFileNames(traceDir).map((file) => {
    try {
      return { file, text: readFileSync(join(traceDir, ASSESSMENTS_DIR, file), 'utf8') };
    } catch (error) {
      return { file, error: (error as Error).message };
    }
  });
}

/**
 * A listed trace: its info and its state token (trace-state-token.ts, made here so that the reader
 * thread makes it too), or undefined when the folder has no readable trace_info.yaml.
 */
export function listedTraceFromFolder(dir: string): { info: TraceInfo; token: string } | undefined {
  const info = traceInfoFromFiles(readTraceInfoFiles(dir));
  return info && { info, token: traceFolderStateToken(dir, info.tags) };
}

/** The whole trace from its files; what could not be read is in `issues`. */
export function traceFromFiles(info: TraceInfo, files: TraceFiles): Trace & { issues: ReadIssue[] } {
  const issues: ReadIssue[] = [];
  const spans: TraceSpan[] = [];
  const spanIssue = (i: number, message: string) => issues.push({ field: `trace ${info.traceId} span #${i}`, reason: `${message}; not copied` });
  const { spans: file } = files;
  if (file.kind === 'missing') {
    issues.push({ field: `trace ${info.traceId} spans`, reason: `no ${ARTIFACTS_DIR}/${SPANS_FILE}: the trace has no spans to copy` });
  } else if (file.kind === 'kept') {
    file.spans.forEach((parts, i) => ('error' in parts ? spanIssue(i, parts.error) : spans.push(spanFromKept(parts.fields, parts.text))));
  } else {
    const list = docObject(parseJsonDoc(file.text))?.spans;
    for (const [i, document] of (Array.isArray(list) ? list : []).entries()) {
      try {
        spans.push(spanFromDocument(document as JsonDoc));
      } catch (error) {
        spanIssue(i, (error as Error).message);
      }
    }
  }
  const assessments = assessmentsFromFiles(info.traceId, files.assessments, issues);
  return { info, spans, assessments, issues };
}

/** The assessments of those files; one that could not be read or parsed is an issue. */
export function assessmentsFromFiles(traceId: string, files: AssessmentFile[], issues: ReadIssue[]): Assessment[] {
  const assessments: Assessment[] = [];
  for (const { file: name, text, error, assessment, parseError } of files) {
    try {
      if (assessment) assessments.push(assessment);
      else if (parseError !== undefined) throw new Error(parseError);
      else if (text === undefined) throw new Error(error);
      else assessments.push(parseAssessment(text));
    } catch (caught) {
      issues.push({ field: `trace ${traceId} assessment ${name}`, reason: `${(caught as Error).message}; not copied` });
    }
  }
  return assessments;
}

function parseAssessment(text: string): Assessment {
  return assessmentFromProto(parseMlflowYaml(text) as Dict);
}

/**
 * The assessment files parsed where they were read (the reader thread), each one whose result is
 * plain data (strings, numbers, plain objects: what a structured clone keeps as it is); one
 * whose value holds a number kept as its digits (python-json.ts LosslessNumber) stays text.
 */
export function parseAssessmentFiles(files: AssessmentFile[]): AssessmentFile[] {
  return files.map((one) => {
    if (one.text === undefined) return one;
    try {
      const assessment = parseAssessment(one.text);
      return isPlainData(assessment) ? { file: one.file, assessment } : one;
    } catch (error) {
      return { file: one.file, parseError: (error as Error).message };
    }
  });
}

function isPlainData(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function' && typeof value !== 'symbol' && typeof value !== 'bigint';
  if (Array.isArray(value)) return value.every(isPlainData);
  const prototype = Object.getPrototypeOf(value) as unknown;
  return (prototype === Object.prototype || prototype === null) && Object.values(value).every(isPlainData);
}
