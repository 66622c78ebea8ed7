/**
 * Writes one run's rows as neptune-exporter parts (format spec 1.2): rows are buffered into row
 * groups, written with hyparquet-writer (Snappy, the exact 14-column schema) to
 * `<S(run_id)>_part_<n>.parquet.tmp`; before a row group goes out, a part already larger than the
 * rollover size (50 MiB, like the exporter) is closed and part n+1 started. `finish` renames the
 * parts in descending order, so `part_0` appears last: its existence means "run complete".
 * Files are private (0600) and fsynced before the rename.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { SchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { COLUMNS, PARQUET_SCHEMA, type Column } from './schema.js';
import { partName } from './parts.js';
import type { Atom } from './values.js';
import { VERSION } from '../../util/version.js';

export interface PartWriterOptions {
  /** Start a new part once the current one is larger than this (bytes). */
  rolloverBytes: number;
  /** Rows per row group. */
  rowGroupRows: number;
}

export const DEFAULT_PART_OPTIONS: PartWriterOptions = {
  rolloverBytes: 50 * 1024 * 1024,
  rowGroupRows: 50_000,
};

/** Buffered rows beyond this many (estimated) bytes are written out even before rowGroupRows. */
const ROW_GROUP_BYTES = 32 * 1024 * 1024;
/** hyparquet-writer buffers a row group in memory; past this it goes to disk. */
const WRITE_CHUNK = 1024 * 1024;

/** A ByteWriter that drains to a file descriptor instead of growing without end. */
class FdWriter extends ByteWriter {
  constructor(private readonly fd: number) {
    super(1 << 20);
  }

  override ensure(size: number): void {
    if (this.index > WRITE_CHUNK) this.drain();
    super.ensure(size);
  }

  flush(): void {
    this.drain();
  }

  override finish(): void {
    this.drain();
  }

  private drain(): void {
    const bytes = new Uint8Array(this.buffer, 0, this.index);
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
    this.index = 0;
  }
}

interface OpenPart {
  index: number;
  tmpPath: string;
  fd: number;
  bytes: FdWriter;
  parquet: ParquetWriter;
  annotateStep(): void;
}

const STATS_COLUMNS: ReadonlySet<string> = new Set(['project_id', 'run_id', 'attribute_path', 'attribute_type']);

/**
 * The schema handed to hyparquet-writer: PARQUET_SCHEMA with `step` as plain
 * FIXED_LEN_BYTE_ARRAY(8) while rows are written, so the big-endian bytes we compute without
 * BigInt (stepBytes) go through as they are; `annotateStep` restores the DECIMAL(18, 6)
 * annotation before the footer is written, which is where readers see it.
 */
function writeSchema(): { schema: SchemaElement[]; annotateStep(): void } {
  const schema = PARQUET_SCHEMA.map((element) => ({ ...element }));
  const step = schema.find((element) => element.name === 'step')!;
  const decimal = { converted_type: step.converted_type, scale: step.scale, precision: step.precision, logical_type: step.logical_type };
  delete step.converted_type;
  delete step.scale;
  delete step.precision;
  delete step.logical_type;
  return { schema, annotateStep: () => Object.assign(step, decimal) };
}

const TWO_32 = 4294967296;

/** Unscaled decimal steps -> 8-byte big-endian two's complement, views into one buffer. */
function stepBytes(steps: unknown[]): Array<Uint8Array | null> {
  const buffer = new Uint8Array(steps.length * 8);
  const view = new DataView(buffer.buffer);
  const out = new Array<Uint8Array | null>(steps.length);
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (step === null || step === undefined) {
      out[i] = null;
      continue;
    }
    const at = i * 8;
    if (typeof step === 'number') {
      const hi = Math.floor(step / TWO_32);
      view.setInt32(at, hi);
      view.setUint32(at + 4, step - hi * TWO_32);
    } else {
      view.setBigInt64(at, step as bigint);
    }
    out[i] = buffer.subarray(at, at + 8);
  }
  return out;
}

type Buffers = { [K in Column]: unknown[] };

function emptyBuffers(): Buffers {
  return Object.fromEntries(COLUMNS.map((column) => [column, []])) as unknown as Buffers;
}

export class RunPartWriter {
  private rows = emptyBuffers();
  private count = 0;
  private estimate = 0;
  private current?: OpenPart;
  private readonly written: Array<{ index: number; tmpPath: string }> = [];
  private nextIndex: number;

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
    private readonly projectId: string,
    private readonly runId: string,
    private readonly options: PartWriterOptions = DEFAULT_PART_OPTIONS,
    /** First part number: 0 for a new run, n+1 for an amendment to a complete one. */
    firstIndex = 0,
  ) {
    this.nextIndex = firstIndex;
  }

  addAtom(atom: Atom): void {
    const row = this.row(atom.path, atom.type, atom.path.length);
    switch (atom.type) {
      case 'float':
        // A float atom keeps NaN as NaN: a null would read as "absent" (3.x all-null rows).
        this.rows.float_value[row] = atom.value;
        break;
      case 'int':
        this.rows.int_value[row] = atom.value;
        break;
      case 'string':
        this.rows.string_value[row] = atom.value;
        this.estimate += atom.value.length;
        break;
      case 'bool':
        this.rows.bool_value[row] = atom.value;
        break;
      case 'datetime':
        this.rows.datetime_value[row] = atom.value;
        break;
      case 'string_set':
        this.rows.string_set_value[row] = atom.value;
        this.estimate += atom.value.reduce((sum, item) => sum + item.length + 8, 0);
        break;
    }
  }

  /**
   * One float_series point. `unscaled` is the decimal step (step * 10^6; a number while that is
   * exact); a step that does not fit decimal(18, 6) goes exactly into `int_value` with a null
   * `step` (runs-migrator extension, docs/neptune-mapping.md). NaN is stored as null, as
   * neptune-exporter does. The hot path of a copy: one push per column, nothing else.
   */
  addPoint(path: string, unscaled: number | bigint | null, exactStep: bigint | null, timestamp: number, value: number): void {
    const rows = this.rows;
    rows.project_id.push(this.projectId);
    rows.run_id.push(this.runId);
    rows.attribute_path.push(path);
    rows.attribute_type.push('float_series');
    rows.step.push(unscaled);
    rows.timestamp.push(timestamp);
    rows.int_value.push(exactStep);
    rows.float_value.push(Number.isNaN(value) ? null : value);
    rows.string_value.push(null);
    rows.bool_value.push(null);
    rows.datetime_value.push(null);
    rows.string_set_value.push(null);
    rows.file_value.push(null);
    rows.histogram_value.push(null);
    this.count++;
    this.estimate += 64 + path.length;
  }

  addFile(path: string, filePath: string): void {
    const row = this.row(path, 'file', path.length + filePath.length);
    this.rows.file_value[row] = { path: filePath };
  }

  /** Writes a row group when enough rows are buffered. */
  maybeFlush(): void {
    if (this.count >= this.options.rowGroupRows || this.estimate >= ROW_GROUP_BYTES) this.flush();
  }

  /** Writes the buffered rows as one row group (rolling over to a new part first if needed). */
  flush(): void {
    if (this.count === 0) return;
    if (this.current && this.current.bytes.offset > this.options.rolloverBytes) this.closePart();
    const part = this.current ?? this.openPart();
    const data = { ...this.rows, step: stepBytes(this.rows.step) };
    part.parquet.write({
      // Statistics only where readers use them (skipping row groups, ids without reading rows):
      // computing them over value columns is a third of the write time.
      columnData: COLUMNS.map((name) => ({ name, data: data[name], statistics: STATS_COLUMNS.has(name) })),
      rowGroupSize: this.count,
    });
    this.rows = emptyBuffers();
    this.count = 0;
    this.estimate = 0;
  }

  /** Writes what is left, closes the last part and renames all parts, part_0 last. */
  async finish(): Promise<void> {
    this.flush();
    if (!this.current && this.written.length === 0) this.openPart();
    if (this.current) this.closePart();
    for (const part of [...this.written].sort((a, b) => b.index - a.index)) {
      await rename(part.tmpPath, join(this.dir, partName(this.prefix, part.index)));
    }
    await syncDir(this.dir);
  }

  /** Closes the open part without completing the run (its .tmp files stay invisible). */
  abort(): void {
    if (!this.current) return;
    try {
      closeSync(this.current.fd);
    } catch {
      // already closed
    }
    this.current = undefined;
  }

  private row(path: string, type: string, extraBytes: number): number {
    const row = this.count++;
    for (const column of COLUMNS) this.rows[column].push(null);
    this.rows.project_id[row] = this.projectId;
    this.rows.run_id[row] = this.runId;
    this.rows.attribute_path[row] = path;
    this.rows.attribute_type[row] = type;
    this.estimate += 64 + path.length + extraBytes;
    return row;
  }

  private openPart(): OpenPart {
    const index = this.nextIndex++;
    const tmpPath = join(this.dir, partName(this.prefix, index, true));
    // 'w' truncates a .tmp left by a crashed attempt of the same run.
    const fd = openSync(tmpPath, 'w', 0o600);
    const bytes = new FdWriter(fd);
    const { schema, annotateStep } = writeSchema();
    const parquet = new ParquetWriter({
      writer: bytes,
      schema: schema as ConstructorParameters<typeof ParquetWriter>[0]['schema'],
      codec: 'SNAPPY',
      statisticsTruncateLength: Infinity,
      createdBy: `runs-migrator version ${VERSION} (hyparquet-writer)`,
    });
    this.current = { index, tmpPath, fd, bytes, parquet, annotateStep };
    return this.current;
  }

  private closePart(): void {
    const part = this.current!;
    part.annotateStep();
    part.parquet.finish();
    fsyncSync(part.fd);
    closeSync(part.fd);
    this.written.push({ index: part.index, tmpPath: part.tmpPath });
    this.current = undefined;
  }
}

/** Makes the renames durable before the run is reported complete. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // some file systems cannot fsync a directory
  } finally {
    await handle.close();
  }
}
