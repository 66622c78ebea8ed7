/**
 * Atom rows -> typed atoms. A row whose value column is null is "absent" (format spec 2.1: the
 * 3.x exporter melts a wide table and leaves all-null parameter rows for attributes other runs of
 * the batch have). A path written twice keeps its last value: parts are read in order, so a later
 * part amends an earlier one (our writer's deleteRun appends `sys/trashed`).
 */
import type { ColumnBatch } from './parquet-part.js';
import type { AtomType } from './schema.js';
import type { Atom } from './values.js';

export function atomAt(batch: ColumnBatch, i: number, path: string, type: AtomType): Atom | undefined {
  switch (type) {
    case 'float': {
      const value = batch.float(i);
      return value === null ? undefined : { path, type, value };
    }
    case 'int': {
      const value = batch.int(i);
      return value === null ? undefined : { path, type, value };
    }
    case 'string': {
      const value = batch.text('string_value', i);
      return value === null ? undefined : { path, type, value };
    }
    case 'bool': {
      const value = batch.bool(i);
      return value === null ? undefined : { path, type, value };
    }
    case 'datetime': {
      const value = batch.datetime(i);
      return value === null ? undefined : { path, type, value };
    }
    case 'string_set': {
      const value = batch.stringSet(i);
      if (value === null) return undefined;
      return { path, type, value: value.filter((item): item is string => typeof item === 'string') };
    }
  }
}
