/**
 * One Parquet part file, read row group by row group: never a whole file, so a multi-GB archive
 * streams in memory bounded by one row group of the columns asked for. Only the column chunks
 * asked for are read from disk.
 *
 * Values come back exact where hyparquet's conversions would lose something: the decimal `step`
 * stays the unscaled integer (hyparquet divides it into a float, inexact beyond 2^53) and
 * timestamps become epoch-ms numbers whatever their unit (MILLIS from pyarrow, MICROS from
 * DuckDB's TIMESTAMPTZ, NANOS), not Date objects. Flat columns use flat-column.ts; the nested
 * ones (string_set_value, file_value, histogram_value) hyparquet's reader.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type ColumnChunk, type FileMetaData, type SchemaElement, type SchemaTree } from 'hyparquet';
import { UserError } from '../../util/errors.js';
import { decodeFlatColumn, isFlat, type DecodedColumn } from './flat-column.js';
import type { Column, Histogram } from './schema.js';

/** An archive file we cannot use: always names the file. */
export class ArchiveError extends UserError {
  constructor(message: string) {
    super(message, 5);
    this.name = 'ArchiveError';
  }
}

export interface RowGroupRef {
  index: number;
  rowStart: number;
  rows: number;
  /** min/max of `attribute_type` from the footer statistics, when written. */
  typeMin?: string;
  typeMax?: string;
  /** min/max of `run_id` / `project_id`: a constant column tells the id without reading rows. */
  runIdRange?: [string, string];
  projectIdRange?: [string, string];
}

type TimeUnit = 'MILLIS' | 'MICROS' | 'NANOS';

interface ColumnDecoding {
  /** Decimal places of `step` (6 in every exporter archive). */
  stepScale: number;
  timestampUnit: TimeUnit;
  datetimeUnit: TimeUnit;
}

export class PartReader {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly file: AsyncBuffer,
    private readonly metadata: FileMetaData,
    readonly rowGroups: RowGroupRef[],
    private readonly decoding: ColumnDecoding,
    /** Top-level schema nodes by column name. */
    private readonly nodes: ReadonlyMap<string, SchemaTree>,
  ) {}

  /** Opens a part and reads its footer; a truncated or foreign file is an ArchiveError naming it. */
  static async open(path: string): Promise<PartReader> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw new ArchiveError(`cannot open Neptune archive part ${path}: ${(error as Error).message}`);
    }
    try {
      const size = (await handle.stat()).size;
      const file = handleBuffer(handle, size);
      const metadata = await parquetMetadataAsync(file);
      const decoding = prepareSchema(metadata, path);
      const rowGroups = describeRowGroups(metadata);
      const nodes = new Map(parquetSchema(metadata).children.map((node) => [node.element.name, node]));
      return new PartReader(path, handle, file, metadata, rowGroups, decoding, nodes);
    } catch (error) {
      await handle.close().catch(() => undefined);
      if (error instanceof ArchiveError) throw error;
      throw new ArchiveError(`corrupt or truncated Neptune archive part ${path}: ${(error as Error).message}`);
    }
  }

  get numRows(): number {
    return Number(this.metadata.num_rows);
  }

  /**
   * Reads some columns of one row group. Flat columns go through the fast decoder, nested ones
   * (string_set_value, file_value, histogram_value) through hyparquet's reader. Columns the file
   * lacks read as all-null.
   */
  async read(group: RowGroupRef, wanted: readonly Column[]): Promise<ColumnBatch> {
    const data = new Map<string, DecodedColumn>();
    const nested: string[] = [];
    try {
      for (const column of wanted) {
        const node = this.nodes.get(column);
        if (!node) continue;
        if (!isFlat(node)) {
          nested.push(column);
          continue;
        }
        const chunk = this.chunk(group.index, column);
        if (!chunk?.meta_data) continue;
        const bytes = await this.chunkBytes(chunk);
        const int64Like = node.element.type === 'INT64' || column === 'step';
        data.set(column, decodeFlatColumn(bytes, chunk, node, group.rows, int64Like));
      }
      if (nested.length > 0) await this.readNested(group, nested, data);
    } catch (error) {
      if (error instanceof ArchiveError) throw error;
      throw new ArchiveError(
        `corrupt Neptune archive part ${this.path} (row group ${group.index}): ${(error as Error).message}`,
      );
    }
    return new ColumnBatch(group.rows, data, this.decoding);
  }

  private chunk(groupIndex: number, column: string): ColumnChunk | undefined {
    return this.metadata.row_groups[groupIndex]?.columns.find((candidate) => candidate.meta_data?.path_in_schema[0] === column);
  }

  private async chunkBytes(chunk: ColumnChunk): Promise<Uint8Array> {
    const meta = chunk.meta_data!;
    const dictionary = meta.dictionary_page_offset;
    // Some writers put 0 in dictionary_page_offset when there is no dictionary.
    const start = Number(dictionary !== undefined && dictionary > 0n && dictionary < meta.data_page_offset ? dictionary : meta.data_page_offset);
    const end = start + Number(meta.total_compressed_size);
    if (end > this.file.byteLength) throw new Error(`column chunk ends at byte ${end}, past the end of the file (${this.file.byteLength} bytes)`);
    return new Uint8Array(await this.file.slice(start, end));
  }

  private async readNested(group: RowGroupRef, columns: string[], data: Map<string, DecodedColumn>): Promise<void> {
    const chunks = new Map<string, Array<{ rowStart: number; data: ArrayLike<unknown> }>>();
    await parquetRead({
      file: this.file,
      metadata: this.metadata,
      rowStart: group.rowStart,
      rowEnd: group.rowStart + group.rows,
      columns,
      onChunk: (chunk) => {
        let list = chunks.get(chunk.columnName);
        if (!list) chunks.set(chunk.columnName, (list = []));
        list.push({ rowStart: chunk.rowStart, data: chunk.columnData });
      },
    });
    for (const [column, list] of chunks) {
      data.set(column, { kind: 'object', values: joinChunks(list, group.rowStart, group.rows) });
    }
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

/** Row access over the columns of one row group, converting lazily per value. */
export class ColumnBatch {
  constructor(
    readonly length: number,
    private readonly data: Map<string, DecodedColumn>,
    private readonly decoding: ColumnDecoding,
  ) {}

  /** This batch plus the columns of another read of the same row group. */
  merge(other: ColumnBatch): ColumnBatch {
    const data = new Map(this.data);
    for (const [column, values] of other.data) data.set(column, values);
    return new ColumnBatch(this.length, data, this.decoding);
  }

  has(column: Column): boolean {
    return this.data.has(column);
  }

  /** The values of a string/boolean/nested column, for tight loops. */
  raw(column: Column): ArrayLike<unknown> | undefined {
    const decoded = this.data.get(column);
    return decoded?.kind === 'object' ? decoded.values : undefined;
  }

  text(column: Column, i: number): string | null {
    const decoded = this.data.get(column);
    const value = decoded?.kind === 'object' ? decoded.values[i] : undefined;
    return typeof value === 'string' ? value : null;
  }

  /**
   * The unscaled step as a number when that is exact and the archive's scale is 6 (the common
   * case, no BigInt); NaN when the step must be read with step(); null when absent.
   */
  stepNumber(i: number): number | null {
    const column = this.data.get('step');
    if (column?.kind !== 'int64' || (column.valid && column.valid[i] === 0)) return null;
    return this.decoding.stepScale === 6 ? column.values[i]! : Number.NaN;
  }

  /** The exact unscaled step (step * 10^6). */
  step(i: number): bigint | null {
    const unscaled = int64At(this.data.get('step'), i);
    if (unscaled === null) return null;
    const scale = this.decoding.stepScale;
    // A decimal of another scale is brought to the archive's 6 decimals (exactly, or rounded down
    // for scales above 6, which the exporter never writes).
    if (scale === 6) return unscaled;
    return scale < 6 ? unscaled * 10n ** BigInt(6 - scale) : unscaled / 10n ** BigInt(scale - 6);
  }

  timestamp(i: number): number | null {
    return millisAt(this.data.get('timestamp'), i, this.decoding.timestampUnit);
  }

  datetime(i: number): number | null {
    return millisAt(this.data.get('datetime_value'), i, this.decoding.datetimeUnit);
  }

  int(i: number): bigint | null {
    return int64At(this.data.get('int_value'), i);
  }

  float(i: number): number | null {
    const column = this.data.get('float_value');
    if (column?.kind !== 'number' || (column.valid && column.valid[i] === 0)) return null;
    return column.values[i]!;
  }

  bool(i: number): boolean | null {
    const value = this.raw('bool_value')?.[i];
    return typeof value === 'boolean' ? value : null;
  }

  stringSet(i: number): Array<string | null> | null {
    const value = this.raw('string_set_value')?.[i];
    return Array.isArray(value) ? (value as Array<string | null>) : null;
  }

  filePath(i: number): string | null {
    const value = this.raw('file_value')?.[i] as { path?: unknown } | null | undefined;
    return value && typeof value.path === 'string' ? value.path : null;
  }

  histogram(i: number): Histogram | null {
    const value = this.raw('histogram_value')?.[i] as Partial<Histogram> | null | undefined;
    if (!value) return null;
    return {
      type: typeof value.type === 'string' ? value.type : null,
      edges: Array.isArray(value.edges) ? value.edges : null,
      values: Array.isArray(value.values) ? value.values : null,
    };
  }
}

function int64At(column: DecodedColumn | undefined, i: number): bigint | null {
  if (!column || column.kind === 'object') return null;
  if (column.valid && column.valid[i] === 0) return null;
  const value = column.values[i]!;
  if (column.kind === 'int64' && Number.isNaN(value)) return column.big!.get(i)!;
  // An INT32 column read as numbers: still an integer.
  return Number.isInteger(value) ? BigInt(value) : null;
}

function millisAt(column: DecodedColumn | undefined, i: number, unit: TimeUnit): number | null {
  // INT96 timestamps (old Spark writers) come from hyparquet's reader as Dates.
  if (column?.kind === 'object') {
    const value = column.values[i];
    return value instanceof Date ? value.getTime() : null;
  }
  if (column?.kind !== 'int64' || (column.valid && column.valid[i] === 0)) return null;
  const value = column.values[i]!;
  if (!Number.isNaN(value)) {
    if (unit === 'MILLIS') return value;
    if (unit === 'MICROS') return Math.floor(value / 1000);
    return Math.floor(value / 1_000_000);
  }
  // Beyond 2^53 (nanoseconds): divide exactly, flooring towards -infinity.
  const big = column.big!.get(i)!;
  const divisor = unit === 'NANOS' ? 1_000_000n : unit === 'MICROS' ? 1000n : 1n;
  let ms = big / divisor;
  if (big % divisor < 0n) ms -= 1n;
  return Number(ms);
}

function handleBuffer(handle: FileHandle, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const length = Math.max(0, stop - start);
      const buffer = new ArrayBuffer(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(new Uint8Array(buffer, done, length - done), 0, length - done, start + done);
        if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${start + done}`);
        done += bytesRead;
      }
      return buffer;
    },
  };
}

function countDescendants(schema: SchemaElement[], index: number): number {
  const element = schema[index]!;
  let total = 0;
  let next = index + 1;
  for (let child = 0; child < (element.num_children ?? 0); child++) {
    const size = 1 + countDescendants(schema, next);
    total += size;
    next += size;
  }
  return total;
}

/** Checks the columns a reader cannot do without and notes how step and timestamps are stored. */
function prepareSchema(metadata: FileMetaData, path: string): ColumnDecoding {
  const top = new Set(topLevelElements(metadata).map((element) => element.name));
  for (const required of ['run_id', 'attribute_path', 'attribute_type']) {
    if (!top.has(required)) {
      throw new ArchiveError(`Neptune archive part ${path} lacks the "${required}" column: not a neptune-exporter file`);
    }
  }
  const decoding: ColumnDecoding = { stepScale: 6, timestampUnit: 'MILLIS', datetimeUnit: 'MILLIS' };
  for (const element of topLevelElements(metadata)) {
    if (element.name === 'step') {
      decoding.stepScale = element.scale ?? (element.logical_type?.type === 'DECIMAL' ? element.logical_type.scale : 0);
    } else if (element.name === 'timestamp') {
      decoding.timestampUnit = timeUnitOf(element);
    } else if (element.name === 'datetime_value') {
      decoding.datetimeUnit = timeUnitOf(element);
    }
  }
  return decoding;
}

function topLevelElements(metadata: FileMetaData): SchemaElement[] {
  const out: SchemaElement[] = [];
  let index = 1;
  const count = metadata.schema[0]?.num_children ?? 0;
  for (let child = 0; child < count && index < metadata.schema.length; child++) {
    out.push(metadata.schema[index]!);
    index += 1 + countDescendants(metadata.schema, index);
  }
  return out;
}

function timeUnitOf(element: SchemaElement): TimeUnit {
  if (element.logical_type?.type === 'TIMESTAMP') return element.logical_type.unit as TimeUnit;
  if (element.converted_type === 'TIMESTAMP_MICROS') return 'MICROS';
  return 'MILLIS';
}

function describeRowGroups(metadata: FileMetaData): RowGroupRef[] {
  const groups: RowGroupRef[] = [];
  let rowStart = 0;
  metadata.row_groups.forEach((group, index) => {
    const rows = Number(group.num_rows);
    const ref: RowGroupRef = { index, rowStart, rows };
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      const name = meta?.path_in_schema[0];
      const stats = meta?.statistics;
      const min = stats?.min_value ?? stats?.min;
      const max = stats?.max_value ?? stats?.max;
      if (typeof min !== 'string' || typeof max !== 'string') continue;
      // Only exact bounds say something; truncated ones (is_*_exact false) are lower/upper bounds.
      const exact = stats?.is_min_value_exact !== false && stats?.is_max_value_exact !== false;
      if (name === 'attribute_type') {
        ref.typeMin = min;
        ref.typeMax = max;
      } else if (name === 'run_id' && exact && (stats?.null_count ?? 0n) === 0n) {
        ref.runIdRange = [min, max];
      } else if (name === 'project_id' && exact && (stats?.null_count ?? 0n) === 0n) {
        ref.projectIdRange = [min, max];
      }
    }
    groups.push(ref);
    rowStart += rows;
  });
  return groups;
}

/** Concatenates the page chunks of one column into one array covering the row group. */
function joinChunks(
  chunks: Array<{ rowStart: number; data: ArrayLike<unknown> }>,
  groupStart: number,
  rows: number,
): unknown[] {
  const only = chunks[0]?.data;
  if (chunks.length === 1 && Array.isArray(only) && chunks[0]!.rowStart === groupStart && only.length === rows) {
    return only;
  }
  const out = new Array<unknown>(rows).fill(null);
  for (const { rowStart, data } of chunks) {
    const offset = rowStart - groupStart;
    for (let i = 0; i < data.length; i++) {
      const target = offset + i;
      if (target >= 0 && target < rows) out[target] = data[i];
    }
  }
  return out;
}
