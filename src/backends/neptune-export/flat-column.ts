/**
 * A fast decoder for flat (non-nested) columns of one row group, built on hyparquet's page-level
 * functions (`hyparquet/src/*.js`, part of its published exports). hyparquet's row reader
 * assembles every optional column through its generic Dremel path and turns each INT64 into a
 * BigInt; for a metrics archive that is most of the time and most of the garbage. Here:
 *
 * - DOUBLE/FLOAT/INT32 land in a Float64Array (+ a validity mask when the page has nulls);
 * - INT64 and FIXED_LEN_BYTE_ARRAY decimals land in a Float64Array of exact numbers, read from
 *   their two 32-bit halves without any BigInt; a value beyond 2^53 is marked NaN and kept exactly
 *   as a bigint on the side (steps and nanosecond timestamps can be that large);
 * - strings and booleans land in a plain array, dictionaries decoded once.
 *
 * Nested columns (lists, structs) still go through hyparquet's reader (parquet-part.ts).
 */
import type { ColumnChunk, SchemaTree } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { readPlain } from 'hyparquet/src/plain.js';
import { getMaxDefinitionLevel } from 'hyparquet/src/schema.js';

export interface NumberColumn {
  kind: 'number';
  values: Float64Array;
  /** 1 = present; null when every value is present. */
  valid: Uint8Array | null;
}

export interface Int64Column {
  kind: 'int64';
  /** Exact while |v| <= 2^53; NaN marks a value kept in `big`. */
  values: Float64Array;
  big: Map<number, bigint> | null;
  valid: Uint8Array | null;
}

export interface ObjectColumn {
  kind: 'object';
  /** Strings, booleans or nested values; null when absent. */
  values: unknown[];
}

export type DecodedColumn = NumberColumn | Int64Column | ObjectColumn;

const TWO_32 = 4294967296;
const decoder = new TextDecoder();

/** Whether a top-level column is a flat leaf this decoder handles. */
export function isFlat(node: SchemaTree): boolean {
  return node.children.length === 0 && node.element.repetition_type !== 'REPEATED' && node.element.type !== 'INT96';
}

type Sink =
  | { kind: 'number'; out: NumberColumn }
  | { kind: 'int64'; out: Int64Column }
  | { kind: 'object'; out: ObjectColumn };

/**
 * Decodes the column chunk `bytes` of one row group. `int64Like` says the column holds integers
 * that should stay exact (INT64, and FIXED_LEN_BYTE_ARRAY/INT32 decimals).
 */
export function decodeFlatColumn(
  bytes: Uint8Array,
  chunk: ColumnChunk,
  node: SchemaTree,
  rows: number,
  int64Like: boolean,
): DecodedColumn {
  const meta = chunk.meta_data;
  if (!meta) throw new Error(`column ${node.element.name} has no metadata`);
  const element = node.element;
  const type = element.type!;
  const schemaPath = [{ element: { name: 'root', num_children: 1 }, children: [node], count: 1, path: [] }, node] as unknown as SchemaTree[];
  const maxDefinition = getMaxDefinitionLevel(schemaPath);
  const isString = type === 'BYTE_ARRAY';
  const columnDecoder = {
    pathInSchema: meta.path_in_schema,
    type,
    element,
    schemaPath,
    codec: meta.codec,
    parsers: {} as never,
    compressors: undefined,
    utf8: true,
  };

  let sink: Sink;
  if (int64Like) sink = { kind: 'int64', out: { kind: 'int64', values: new Float64Array(rows), big: null, valid: null } };
  else if (type === 'DOUBLE' || type === 'FLOAT' || type === 'INT32') sink = { kind: 'number', out: { kind: 'number', values: new Float64Array(rows), valid: null } };
  else sink = { kind: 'object', out: { kind: 'object', values: new Array<unknown>(rows).fill(null) } };

  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  let dictionary: DenseValues | undefined;
  let position = 0;
  while (position < rows && reader.offset < bytes.byteLength - 1) {
    const header = parquetHeader(reader);
    const compressed = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === 'DICTIONARY_PAGE') {
      const page = decompressPage(compressed, Number(header.uncompressed_page_size), meta.codec, undefined);
      const count = header.dictionary_page_header!.num_values;
      const plain = readPlain({ view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 }, type, count, element.type_length);
      dictionary = dense(plain, sink.kind, isString);
      continue;
    }
    let definitionLevels: ArrayLike<number> | undefined;
    let values: ArrayLike<unknown>;
    let encoding: string;
    let count: number;
    if (header.type === 'DATA_PAGE') {
      const daph = header.data_page_header!;
      const page = decompressPage(compressed, Number(header.uncompressed_page_size), meta.codec, undefined);
      const read = readPageV1(page, daph, type, element.type_length, maxDefinition) ?? hyparquetPage(readDataPage(page, daph, columnDecoder));
      definitionLevels = read.levels;
      values = read.values;
      encoding = daph.encoding;
      count = daph.num_values;
    } else if (header.type === 'DATA_PAGE_V2') {
      const daph2 = header.data_page_header_v2!;
      const read = readDataPageV2(compressed, header, columnDecoder);
      definitionLevels = read.definitionLevels;
      values = read.dataPage;
      encoding = daph2.encoding;
      count = daph2.num_values;
    } else {
      continue; // index pages
    }
    const page = encoding.endsWith('_DICTIONARY')
      ? lookup(values as ArrayLike<number>, dictionary, sink.kind)
      : dense(values, sink.kind, isString);
    scatter(sink, page, definitionLevels, maxDefinition, position, Math.min(count, rows - position));
    position += count;
  }
  return sink.out;
}

interface PageValues {
  /** Definition levels; undefined when every value is present. */
  levels: ArrayLike<number> | undefined;
  /** The non-null values (dictionary indices for dictionary pages). */
  values: ArrayLike<unknown>;
}

function hyparquetPage(read: { definitionLevels: ArrayLike<number> | undefined; dataPage: ArrayLike<unknown> }): PageValues {
  return { levels: read.definitionLevels, values: read.dataPage };
}

/**
 * A v1 data page of a flat column, with levels and dictionary indices in typed arrays (hyparquet
 * fills generic arrays: its slowest step here). Undefined for encodings left to hyparquet.
 */
function readPageV1(
  page: Uint8Array,
  daph: { num_values: number; encoding: string; definition_level_encoding: string },
  type: string,
  typeLength: number | undefined,
  maxDefinition: number,
): PageValues | undefined {
  const dictionary = daph.encoding === 'PLAIN_DICTIONARY' || daph.encoding === 'RLE_DICTIONARY';
  if ((daph.encoding !== 'PLAIN' && !dictionary) || (dictionary && type === 'BOOLEAN')) return undefined;
  if (maxDefinition > 0 && daph.definition_level_encoding !== 'RLE') return undefined;
  const reader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
  let levels: Uint8Array | undefined;
  let nulls = 0;
  if (maxDefinition > 0) {
    levels = new Uint8Array(daph.num_values);
    readRleBitPackedHybrid(reader, 32 - Math.clz32(maxDefinition), levels);
    for (let i = 0; i < levels.length; i++) if (levels[i] !== maxDefinition) nulls++;
    if (nulls === 0) levels = undefined;
  }
  const count = daph.num_values - nulls;
  if (count === 0) return { levels, values: [] };
  if (!dictionary) return { levels, values: readPlain(reader, type as never, count, typeLength) };
  const width = reader.view.getUint8(reader.offset++);
  const indices = new Int32Array(count);
  if (width > 0) readRleBitPackedHybrid(reader, width, indices, page.byteLength - reader.offset);
  return { levels, values: indices };
}

/** Non-null values of one page, in the sink's representation. */
type DenseValues =
  | { kind: 'number'; values: Float64Array }
  | { kind: 'int64'; values: Float64Array; big: Map<number, bigint> | null }
  | { kind: 'object'; values: unknown[] };

function dense(values: ArrayLike<unknown>, kind: Sink['kind'], isString: boolean): DenseValues {
  if (kind === 'number') {
    return { kind, values: values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>) };
  }
  if (kind === 'int64') return int64Values(values);
  const out = new Array<unknown>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    out[i] = isString && value instanceof Uint8Array ? decoder.decode(value) : value;
  }
  return { kind, values: out };
}

/** INT64 (BigInt64Array), INT32 or big-endian byte arrays -> exact numbers + bigints beyond 2^53. */
function int64Values(values: ArrayLike<unknown>): DenseValues {
  const count = values.length;
  const out = new Float64Array(count);
  let big: Map<number, bigint> | null = null;
  if (values instanceof BigInt64Array) {
    const halves = new Int32Array(values.buffer, values.byteOffset, count * 2);
    for (let i = 0; i < count; i++) {
      const lo = halves[2 * i]! >>> 0;
      const hi = halves[2 * i + 1]!;
      if (hi >= -2097152 && hi < 2097152) {
        out[i] = hi * TWO_32 + lo;
      } else {
        out[i] = Number.NaN;
        (big ??= new Map()).set(i, values[i]!);
      }
    }
  } else if (values instanceof Int32Array) {
    for (let i = 0; i < count; i++) out[i] = values[i]!;
  } else {
    for (let i = 0; i < count; i++) {
      const bytes = values[i] as Uint8Array;
      const value = bytes.length === 8 ? fromEightBytes(bytes) : undefined;
      if (value !== undefined) out[i] = value;
      else {
        out[i] = Number.NaN;
        (big ??= new Map()).set(i, bigFromBytes(bytes));
      }
    }
  }
  return { kind: 'int64', values: out, big };
}

function fromEightBytes(bytes: Uint8Array): number | undefined {
  const hi = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) | 0;
  const lo = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
  return hi >= -2097152 && hi < 2097152 ? hi * TWO_32 + lo : undefined;
}

function bigFromBytes(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  if (bytes.length > 0 && bytes[0]! & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return value;
}

function lookup(indices: ArrayLike<number>, dictionary: DenseValues | undefined, kind: Sink['kind']): DenseValues {
  if (!dictionary) throw new Error('dictionary-encoded page without a dictionary page');
  const count = indices.length;
  if (dictionary.kind === 'object') {
    const out = new Array<unknown>(count);
    for (let i = 0; i < count; i++) out[i] = dictionary.values[indices[i]!];
    return { kind: 'object', values: out };
  }
  const out = new Float64Array(count);
  const source = dictionary.values;
  for (let i = 0; i < count; i++) out[i] = source[indices[i]!]!;
  if (dictionary.kind === 'number' || kind === 'number') return { kind: 'number', values: out };
  let big: Map<number, bigint> | null = null;
  if (dictionary.big) {
    for (let i = 0; i < count; i++) {
      if (Number.isNaN(out[i]!)) (big ??= new Map()).set(i, dictionary.big.get(indices[i]!)!);
    }
  }
  return { kind: 'int64', values: out, big };
}

/** Places a page's dense values at their rows, leaving nulls where definition levels say so. */
function scatter(
  sink: Sink,
  page: DenseValues,
  levels: ArrayLike<number> | undefined,
  maxDefinition: number,
  position: number,
  count: number,
): void {
  const allPresent = !levels || levels.length === 0 || maxDefinition === 0;
  if (sink.kind === 'object') {
    const out = sink.out.values;
    const values = page.values as ArrayLike<unknown>;
    let j = 0;
    for (let i = 0; i < count; i++) {
      if (allPresent || levels![i] === maxDefinition) out[position + i] = values[j++];
    }
    return;
  }
  const out = sink.out.values;
  const values = page.values as Float64Array;
  const big = page.kind === 'int64' ? page.big : null;
  if (allPresent) {
    out.set(values.subarray(0, count), position);
    if (big && sink.kind === 'int64') {
      const target = (sink.out.big ??= new Map());
      for (const [index, value] of big) if (index < count) target.set(position + index, value);
    }
    return;
  }
  const valid = (sink.out.valid ??= new Uint8Array(out.length).fill(1));
  let j = 0;
  for (let i = 0; i < count; i++) {
    if (levels![i] === maxDefinition) {
      if (big && sink.kind === 'int64' && Number.isNaN(values[j]!)) {
        (sink.out.big ??= new Map()).set(position + i, big.get(j)!);
      }
      out[position + i] = values[j++]!;
    } else {
      valid[position + i] = 0;
    }
  }
}
