/**
 * Compares one source run with its copy, field by field, within the published mapping: what the
 * copy should hold is computed with the same rules copy uses (prepare.ts), so a value the target
 * had to truncate or refuse is expected truncated or absent - and was reported by the copy.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { SourceRun, Store } from '../../backends/contract.js';
import type { DatasetInput, KeyValue, MetricPoint } from '../../model/run.js';
import { PROVENANCE } from '../../model/provenance.js';
import { addPoint, canonicalPoint, newFingerprint, sameFingerprint, type Fingerprint } from '../fingerprint.js';
import { acceptedMetricKeys, prepareValues, provenanceTags, type Provenance } from './prepare.js';
import { unsafePathReason } from '../paths.js';
import { sameAfterTargetDedupe } from './distinct-history.js';
import { withTargetNames } from './target-names.js';
import type { RunIssue } from '../types.js';
import { notCompared } from './verify-gaps.js';
import type { CompareObserver } from './compare-observer.js';

export interface RunComparison {
  differences: string[];
  points: number;
  files: number;
  bytes: number;
}

/** Tags a target adds by itself, and provenance that legitimately differs between copies. */
const IGNORED_TARGET_TAGS = new Set<string>([PROVENANCE.completed, PROVENANCE.sourceState, PROVENANCE.syncedAt, PROVENANCE.uri, 'mlflow.runName']);

export async function compareRun(
  source: SourceRun,
  copy: SourceRun,
  targetStore: Store,
  origin: Provenance,
  parentTargetId: string | undefined,
  observer?: CompareObserver,
): Promise<RunComparison> {
  const differences: string[] = [];
  const result: RunComparison = { differences, points: 0, files: 0, bytes: 0 };
  const issues: RunIssue[] = [];
  // The copy holds the source's names as the published rule renamed them (key-mapping.ts).
  source = withTargetNames(source, targetStore, issues);
  const caps = targetStore.capabilities;
  const a = source.info;
  const b = copy.info;

  const infoChecks: Array<[string, unknown, unknown, boolean]> = [
    ['name', a.name, b.name, true],
    ['user', a.user, b.user, caps.setsUser && a.user !== undefined],
    ['start time', a.startTime, b.startTime, caps.setsStartTime],
    ['end time', a.endTime, b.endTime, caps.setsEndTime],
    ['status', a.status, b.status, caps.setsStatus],
    ['deleted', a.deleted, b.deleted, caps.keepsDeletedRuns],
  ];
  for (const [field, want, got, applies] of infoChecks) {
    if (applies && want !== got) differences.push(`${field}: source ${show(want)}, copy ${show(got)}`);
  }

  const expected = prepareValues(await source.params(), await source.tags(), targetStore, parentTargetId, issues);
  const copyParams = await copy.params();
  compareKeyValues('param', expected.params, copyParams, differences, new Set());
  const expectedTags = [...expected.tags, ...provenanceTags(a, origin, targetStore)].filter((tag) => !IGNORED_TARGET_TAGS.has(tag.key));
  const copyTags = await copy.tags();
  compareKeyValues('tag', expectedTags, copyTags, differences, IGNORED_TARGET_TAGS);
  observer?.keyValues?.('param', expected.params, copyParams, new Set());
  observer?.keyValues?.('tag', expectedTags, copyTags, IGNORED_TARGET_TAGS);

  compareInputs(await source.inputs(), await copy.inputs(), differences);

  const keys = acceptedMetricKeys(await source.metricKeys(), targetStore, issues);
  observer?.issues?.(issues);
  const copyKeys = new Set(await copy.metricKeys());
  for (const key of keys) {
    if (!copyKeys.has(key)) {
      differences.push(`metric ${key}: missing in the copy`);
      continue;
    }
    copyKeys.delete(key);
    const seen = (side: 'source' | 'copy') => (page: MetricPoint[]) => observer?.metricPage?.(key, side, page);
    const want = await fingerprintHistory(source.metricHistory(key), (value) => storedValue(targetStore, value), seen('source'));
    const got = await fingerprintHistory(copy.metricHistory(key), (value) => value, seen('copy'));
    result.points += want.count;
    const same = sameFingerprint(want, got) || (await sameAfterTargetDedupe(source, copy, key, targetStore, want, got, (value) => storedValue(targetStore, value)));
    observer?.metricCompared?.(key, same);
    if (!same) {
      differences.push(`metric ${key}: histories differ (source ${want.count} points, copy ${got.count})`);
    }
  }
  for (const key of copyKeys) differences.push(`metric ${key}: only in the copy`);

  await compareFiles(source, copy, targetStore, differences, result, observer);
  differences.push(...notCompared(issues, source, copy));
  return result;
}

function show(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}

function compareKeyValues(field: string, expected: KeyValue[], actual: KeyValue[], differences: string[], ignored: Set<string>): void {
  const got = new Map(actual.map((item) => [item.key, item.value]));
  for (const item of expected) {
    const value = got.get(item.key);
    if (value === undefined) differences.push(`${field} ${item.key}: missing in the copy`);
    else if (value !== item.value) differences.push(`${field} ${item.key}: source ${show(item.value)}, copy ${show(value)}`);
    got.delete(item.key);
  }
  for (const key of got.keys()) {
    if (!ignored.has(key) && !key.startsWith('old_sys/')) differences.push(`${field} ${key}: only in the copy`);
  }
}

function canonicalInput(input: DatasetInput): string {
  const { name, digest, sourceType, source, schema, profile } = input.dataset;
  const tags = [...input.tags].sort((x, y) => (x.key < y.key ? -1 : 1)).map((tag) => [tag.key, tag.value]);
  return JSON.stringify([name, digest, sourceType, source, schema ?? '', profile ?? '', tags]);
}

function compareInputs(expected: DatasetInput[], actual: DatasetInput[], differences: string[]): void {
  const want = expected.map(canonicalInput).sort();
  const got = actual.map(canonicalInput).sort();
  if (want.length !== got.length || want.some((item, index) => item !== got[index])) {
    differences.push(`inputs: source has ${want.length} dataset input(s), copy ${got.length}, or their contents differ`);
  }
}

/** The value a target stores for a source value (MLflow SQL stores clamp infinities). */
function storedValue(target: Store, value: number): number {
  if (target.capabilities.nonFinite === 'infinity-clamped' && (value === Infinity || value === -Infinity)) {
    return value > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
  }
  return value;
}

async function fingerprintHistory(pages: AsyncIterable<MetricPoint[]>, map: (value: number) => number, seen: (page: MetricPoint[]) => void): Promise<Fingerprint> {
  const print = newFingerprint();
  for await (const page of pages) {
    seen(page);
    for (const point of page) addPoint(print, canonicalPoint(point, map(point.value)));
  }
  return print;
}

async function compareFiles(source: SourceRun, copy: SourceRun, targetStore: Store, differences: string[], result: RunComparison, observer?: CompareObserver): Promise<void> {
  const want = new Map<string, number>();
  for await (const file of source.files()) {
    const skipped = unsafePathReason(file.path) ?? targetStore.rejectPath?.(file.path);
    if (skipped) differences.push(`file ${file.path}: not compared, the copy cannot hold it (${skipped})`);
    else want.set(file.path, file.size);
  }
  const got = new Map<string, number>();
  for await (const file of copy.files()) got.set(file.path, file.size);
  for (const [path, size] of want) {
    const copySize = got.get(path);
    got.delete(path);
    if (copySize === undefined) {
      observer?.file?.({ path, sourceSize: size });
      differences.push(`file ${path}: missing in the copy`);
      continue;
    }
    result.files++;
    result.bytes += size;
    if (copySize !== size) {
      observer?.file?.({ path, sourceSize: size, copySize });
      differences.push(`file ${path}: ${size} bytes in the source, ${copySize} in the copy`);
      continue;
    }
    const [x, y] = await Promise.all([sha256(await source.openFile(path)), sha256(await copy.openFile(path))]);
    observer?.file?.({ path, sourceSize: size, copySize, sourceSha256: x, copySha256: y });
    if (x !== y) differences.push(`file ${path}: sha256 differs (source ${x}, copy ${y})`);
  }
  for (const [path, copySize] of got) {
    observer?.file?.({ path, copySize });
    differences.push(`file ${path}: only in the copy`);
  }
}

async function sha256(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}
