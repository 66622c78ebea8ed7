/**
 * `metrics/<key>` files: one line per point, `"{timestamp} {value} {step}\n"` with Python's
 * number formatting (file_store.py `_log_run_metric`); read back with `line.strip().split(" ")`,
 * two or three fields, step 0 when absent (`_get_metric_from_line`).
 *
 * Histories are streamed both ways: the reader yields bounded batches from a file stream, the
 * appender writes each batch with one append, so memory never grows with a history's length.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { appendFile, stat, truncate } from 'node:fs/promises';
import type { MetricPoint } from '../../model/run.js';
import { isErrorCode, mkdirPrivate, PRIVATE_FILE_MODE } from './fs-util.js';
import { formatPythonFloat, parsePythonFloat, parsePythonInt } from './python-numbers.js';
import { dirname } from 'node:path';

export const METRIC_READ_BATCH = 10_000;

/** The name under which metric files are offered for a straight copy (SourceRun.rawMetricHistory). */
export const METRIC_FILE_FORMAT = 'mlflow-filestore-metric-lines';

/**
 * Writes a whole metric file from a stream of another store's metric file, counting its
 * non-empty lines (its points); a last line without a newline gets one, so later appends stay
 * on their own lines.
 */
export async function writeMetricFile(path: string, data: Readable, onPoints: (count: number) => void = () => {}): Promise<number> {
  await mkdirPrivate(dirname(path));
  let points = 0;
  // Length of the line so far that the previous chunk left open.
  let openLine = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      let start = 0;
      let inChunk = 0;
      for (let newline = chunk.indexOf(10); newline >= 0; newline = chunk.indexOf(10, start)) {
        if (openLine + newline - start > 0) inChunk++;
        openLine = 0;
        start = newline + 1;
      }
      openLine += chunk.length - start;
      points += inChunk;
      if (inChunk > 0) onPoints(inChunk);
      callback(null, chunk);
    },
    flush(callback) {
      if (openLine > 0) {
        points++;
        onPoints(1);
      }
      callback(null, openLine > 0 ? Buffer.from('\n') : undefined);
    },
  });
  await pipeline(data, counter, createWriteStream(path, { flags: 'wx', mode: PRIVATE_FILE_MODE }));
  return points;
}

export function formatMetricLine(point: MetricPoint): string {
  return `${point.timestamp} ${formatPythonFloat(point.value)} ${String(point.step)}\n`;
}

/** One line of a metric file; throws with the reason when MLflow could not read it either. */
export function parseMetricLine(line: string): MetricPoint {
  const fields = line.trim().split(' ');
  if (fields.length !== 2 && fields.length !== 3) {
    throw new Error(`expected 2 or 3 space-separated fields, found ${fields.length}`);
  }
  const timestamp = parsePythonInt(fields[0]!);
  return {
    timestamp: Number(timestamp),
    value: parsePythonFloat(fields[1]!),
    step: fields.length === 3 ? parsePythonInt(fields[2]!) : 0,
  };
}

/**
 * The points of one metric file in file order, at most `batchSize` per batch. A line MLflow could
 * not read is skipped and handed to `onBadLine` (reported, never silent); blank lines are skipped.
 */
export async function* readMetricFile(
  path: string,
  onBadLine: (lineNumber: number, reason: string) => void,
  batchSize = METRIC_READ_BATCH,
): AsyncGenerator<MetricPoint[]> {
  let batch: MetricPoint[] = [];
  let pending = '';
  let lineNumber = 0;
  const take = (line: string): void => {
    lineNumber += 1;
    if (line.trim() === '') return;
    try {
      batch.push(parseMetricLine(line));
    } catch (error) {
      onBadLine(lineNumber, (error as Error).message);
    }
  };
  // Metric lines are ASCII; latin1 decoding cannot split a character across chunks.
  for await (const chunk of createReadStream(path, { encoding: 'latin1', highWaterMark: 256 * 1024 })) {
    const lines = (pending + (chunk as string)).split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      take(line);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  // The last line may lack its newline (a writer killed mid-line, or a hand-made file).
  if (pending !== '') take(pending);
  if (batch.length > 0) yield batch;
}

/**
 * Appends batches to the metric files of one run. A failed append is rolled back to the file's
 * previous length, so a retried batch never leaves duplicate points.
 */
export class MetricAppender {
  private readonly sizes = new Map<string, number>();

  async append(path: string, points: MetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    const before = await this.sizeOf(path);
    const text = points.map(formatMetricLine).join('');
    try {
      await appendFile(path, text, { encoding: 'latin1', mode: PRIVATE_FILE_MODE });
    } catch (error) {
      await truncate(path, before).catch(() => undefined);
      throw error;
    }
    this.sizes.set(path, before + Buffer.byteLength(text, 'latin1'));
  }

  private async sizeOf(path: string): Promise<number> {
    const known = this.sizes.get(path);
    if (known !== undefined) return known;
    try {
      return (await stat(path)).size;
    } catch (error) {
      if (!isErrorCode(error, 'ENOENT')) throw error;
      await mkdirPrivate(dirname(path));
      return 0;
    }
  }
}
