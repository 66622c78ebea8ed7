/**
 * Streams the rows of a run's parts, row group by row group, reading only the columns the row
 * types present need. A row group whose footer statistics say it holds one attribute type (the
 * exporter writes metrics, series and files in separate batches) is read in one go; a mixed one
 * first reads `attribute_type`, then the value columns of the types it found. Null columns are
 * never decoded for nothing: that is most of the cost of a wide 14-column schema.
 */
import { isAttributeType, type AttributeType, type Column } from './schema.js';
import { ColumnBatch, PartReader, type RowGroupRef } from './parquet-part.js';

export interface ScannedGroup {
  part: string;
  group: RowGroupRef;
  batch: ColumnBatch;
  /** Set when every row of the group has this attribute_type (then the column is not read). */
  constantType?: string;
}

export interface ScanOptions {
  /** Columns read for every row group besides attribute_type. */
  base: readonly Column[];
  /** Extra columns rows of a type need. */
  columnsFor(type: AttributeType): readonly Column[];
  /** Skip a row group before reading it (e.g. series-only groups when listing). */
  skip?(group: RowGroupRef): boolean;
}

/** The columns each attribute type is read with, for a full read of a run. */
export function valueColumns(type: AttributeType): readonly Column[] {
  switch (type) {
    case 'float':
      return ['float_value'];
    case 'int':
      return ['int_value'];
    case 'string':
      return ['string_value'];
    case 'bool':
      return ['bool_value'];
    case 'datetime':
      return ['datetime_value'];
    case 'string_set':
      return ['string_set_value'];
    // int_value carries steps beyond decimal(18, 6) written by runs-migrator (see writer).
    case 'float_series':
      return ['step', 'timestamp', 'float_value', 'int_value'];
    case 'string_series':
      return ['step', 'timestamp', 'string_value'];
    case 'histogram_series':
      return ['step', 'timestamp', 'histogram_value'];
    case 'file_series':
      return ['step', 'timestamp', 'file_value'];
    case 'file':
    case 'file_set':
    case 'artifact':
      return ['file_value'];
  }
}

/** The one attribute type of a group whose statistics say min == max. */
export function constantTypeOf(group: RowGroupRef): string | undefined {
  return group.typeMin !== undefined && group.typeMin === group.typeMax ? group.typeMin : undefined;
}

export async function* scanParts(paths: readonly string[], options: ScanOptions): AsyncIterable<ScannedGroup> {
  for (const path of paths) {
    const part = await PartReader.open(path);
    try {
      for (const group of part.rowGroups) {
        if (options.skip?.(group)) continue;
        const constantType = constantTypeOf(group);
        if (constantType !== undefined) {
          const columns = union(options.base, isAttributeType(constantType) ? options.columnsFor(constantType) : []);
          yield { part: path, group, batch: await part.read(group, columns), constantType };
          continue;
        }
        const first = await part.read(group, union(options.base, ['attribute_type']));
        const types = new Set<string>();
        const raw = first.raw('attribute_type');
        if (raw) for (let i = 0; i < raw.length; i++) types.add(raw[i] as string);
        const extra: Column[] = [];
        for (const type of types) {
          if (!isAttributeType(type)) continue;
          for (const column of options.columnsFor(type)) {
            if (!extra.includes(column) && !options.base.includes(column)) extra.push(column);
          }
        }
        const batch = extra.length > 0 ? first.merge(await part.read(group, extra)) : first;
        yield { part: path, group, batch };
      }
    } finally {
      await part.close();
    }
  }
}

function union(a: readonly Column[], b: readonly Column[]): Column[] {
  const out = [...a];
  for (const column of b) if (!out.includes(column)) out.push(column);
  return out;
}
