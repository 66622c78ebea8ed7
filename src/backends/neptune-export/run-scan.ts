/**
 * The one streaming pass over a run's parts that opening a run costs: atoms are kept (they are
 * small), every series point goes to the run's spill file (see spill.ts for why), file rows are
 * collected and resolved against the files tree afterwards. Memory is bounded by one row group plus
 * the spill's buffers, whatever the length of the run's histories.
 */
import type { ReadIssue } from '../contract.js';
import { atomAt } from './atoms.js';
import { IssueLog } from './issues.js';
import { mapNeptuneRun, type MappedRun } from './mapping.js';
import { isAtomType, isAttributeType, type Histogram } from './schema.js';
import { scanParts, valueColumns } from './scan.js';
import { Spill } from './spill.js';
import { canonicalStep, stepText, toInt64 } from './steps.js';
import { resolveFiles, type FileRow, type RunFile } from './run-files.js';
import type { Atom } from './values.js';

export interface ScanContext {
  runId: string;
  parts: readonly string[];
  multiplier: bigint;
  /** `<files-path>/<S(project_id)>`: the root `file_value.path` is relative to. */
  filesRoot: string;
  spillDir: string;
  spillName: string;
}

export interface ScannedRun {
  mapped: MappedRun;
  metricKeys: string[];
  metricChannels: Map<string, number>;
  files: RunFile[];
  issues: ReadIssue[];
  spill: Spill;
}

const encoder = new TextEncoder();

interface TextChannel {
  channel: number;
  count: number;
}

export async function scanRun(ctx: ScanContext): Promise<ScannedRun> {
  const spill = new Spill(ctx.spillDir, ctx.spillName);
  try {
    return await scanInto(ctx, spill);
  } catch (error) {
    spill.close();
    throw error;
  }
}

async function scanInto(ctx: ScanContext, spill: Spill): Promise<ScannedRun> {
  const issues = new IssueLog();
  const atoms = new Map<string, Atom>();
  const metricChannels = new Map<string, number>();
  const stringSeries = new Map<string, TextChannel>();
  const histograms = new Map<string, TextChannel>();
  const fileRows: FileRow[] = [];
  const multiplier = ctx.multiplier;
  const multiplierNumber = Number(multiplier);

  for await (const { batch, constantType } of scanParts(ctx.parts, { base: ['attribute_path'], columnsFor: valueColumns })) {
    const paths = batch.raw('attribute_path')!;
    const types = constantType === undefined ? batch.raw('attribute_type') : undefined;
    let lastPath: unknown;
    let lastChannel = -1;
    for (let i = 0; i < batch.length; i++) {
      const type = (constantType ?? types?.[i] ?? null) as string | null;
      const path = paths[i];
      if (typeof path !== 'string' || type === null) {
        issues.add('attribute_path', 'row without attribute_path or attribute_type; not copied');
        continue;
      }
      switch (type) {
        case 'float_series': {
          if (path !== lastPath) {
            lastPath = path;
            let channel = metricChannels.get(path);
            if (channel === undefined) metricChannels.set(path, (channel = spill.newChannel()));
            lastChannel = channel;
          }
          const timestamp = batch.timestamp(i);
          if (timestamp === null) issues.add(path, 'metric point without timestamp; timestamp 0 used');
          const value = batch.float(i) ?? Number.NaN; // NaN is stored as null (spec 2)
          const exactStep = batch.int(i);
          if (exactStep !== null) {
            // runs-migrator's own rows for steps beyond decimal(18, 6): the exact int64 step.
            spill.appendPoint(lastChannel, toInt64(exactStep), timestamp ?? 0, value);
            break;
          }
          const fast = batch.stepNumber(i);
          if (fast === null) {
            issues.add(path, 'metric point without step; not copied');
            break;
          }
          // Fast path without BigInt: an integral step that stays a safe integer.
          const scaled = fast * multiplierNumber;
          if (Number.isSafeInteger(scaled) && scaled % 1_000_000 === 0) {
            spill.appendPoint(lastChannel, scaled / 1_000_000, timestamp ?? 0, value);
            break;
          }
          const unscaled = batch.step(i)!;
          const { step, exact } = canonicalStep(unscaled, multiplier);
          // One issue per metric, with the count and the first such step.
          if (!exact) issues.add(path, roundedStepReason(multiplier), stepText(unscaled, 1n));
          spill.appendPoint(lastChannel, step, timestamp ?? 0, value);
          break;
        }
        case 'string_series': {
          const value = batch.text('string_value', i);
          if (value === null) {
            issues.add(path, 'string series point without value; not copied');
            break;
          }
          const text = seriesLine(batch.step(i), batch.timestamp(i), value, multiplier);
          appendText(spill, stringSeries, path, text, '', '\n');
          break;
        }
        case 'histogram_series': {
          const histogram = batch.histogram(i);
          if (histogram === null) {
            issues.add(path, 'histogram series point without value; not copied');
            break;
          }
          const json = histogramJson(batch.step(i), batch.timestamp(i), histogram, multiplier);
          appendText(spill, histograms, path, json, '{"histograms":[', ',');
          break;
        }
        case 'file':
        case 'file_set':
        case 'artifact':
        case 'file_series': {
          const filePath = batch.filePath(i);
          if (filePath === null) {
            issues.add(path, `${type} row without file_value.path; not copied`);
            break;
          }
          const step = type === 'file_series' ? batch.step(i) : null;
          fileRows.push({ type, attributePath: path, filePath, step: step === null ? null : stepText(step, multiplier) });
          break;
        }
        default: {
          if (isAtomType(type)) {
            const atom = atomAt(batch, i, path, type);
            if (atom) atoms.set(path, atom);
          } else if (!isAttributeType(type)) {
            issues.add(path, `attribute type "${type}" is not supported; not copied`);
          }
        }
      }
    }
  }

  for (const { channel } of histograms.values()) spill.appendText(channel, encoder.encode(']}'));
  spill.flush();

  const mapped = mapNeptuneRun(ctx.runId, atoms.values());
  for (const issue of mapped.issues) issues.push(issue);
  const textFiles: RunFile[] = [];
  for (const [path, { channel }] of stringSeries) {
    textFiles.push({ path: `${path}/series.txt`, size: spill.size(channel), source: { kind: 'spill', channel } });
  }
  for (const [path, { channel }] of histograms) {
    textFiles.push({ path: `${path}/histograms.json`, size: spill.size(channel), source: { kind: 'spill', channel } });
  }
  const files = await resolveFiles(fileRows, textFiles, ctx.filesRoot, issues);
  return {
    mapped,
    metricKeys: [...metricChannels.keys()],
    metricChannels,
    files,
    issues: issues.list(),
    spill,
  };
}

function roundedStepReason(multiplier: bigint): string {
  return `metric has steps that are not integers after step_multiplier=${multiplier}; rounded to the nearest integer (half to even) - use a neptune-export: URI with ?step_multiplier=10^k to keep them exact`;
}

function appendText(
  spill: Spill,
  channels: Map<string, TextChannel>,
  path: string,
  text: string,
  opening: string,
  separator: string,
): void {
  let entry = channels.get(path);
  if (!entry) channels.set(path, (entry = { channel: spill.newChannel(), count: 0 }));
  spill.appendText(entry.channel, encoder.encode((entry.count === 0 ? opening : separator) + text));
  entry.count++;
}

function isoOrEmpty(timestamp: number | null): string {
  return timestamp === null ? '' : new Date(timestamp).toISOString();
}

/** `<step>; <ISO timestamp>; <value>`, the line neptune-exporter's MLflow loader writes, exact step. */
function seriesLine(step: bigint | null, timestamp: number | null, value: string, multiplier: bigint): string {
  return `${step === null ? '' : stepText(step, multiplier)}; ${isoOrEmpty(timestamp)}; ${value}`;
}

function histogramJson(step: bigint | null, timestamp: number | null, histogram: Histogram, multiplier: bigint): string {
  // The step goes in as a JSON number written from the exact decimal text.
  const stepJson = step === null ? 'null' : stepText(step, multiplier);
  const rest = JSON.stringify({
    timestamp: timestamp === null ? null : new Date(timestamp).toISOString(),
    type: histogram.type,
    edges: histogram.edges,
    values: histogram.values,
  });
  return `{"step":${stepJson},${rest.slice(1)}`;
}
