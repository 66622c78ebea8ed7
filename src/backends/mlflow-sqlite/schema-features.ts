/**
 * What an opened SQLite database is: its tables and columns and its alembic revision, listed
 * once when the store opens and judged by shape (schema-shape.ts).
 */
import type { ReadConnection } from './connection.js';
import { readShape, type Catalog, type SchemaFeatures } from './schema-shape.js';
import { text } from './values.js';

export type { SchemaFeatures } from './schema-shape.js';

/** Anything that answers SQL queries with rows (the read and the write connection). */
export interface Queryable {
  all(sql: string, ...params: unknown[]): Record<string, unknown>[];
}

export function readSchemaFeatures(connection: ReadConnection): SchemaFeatures {
  const { catalog, revisions } = sqliteCatalog(connection);
  return readShape(catalog, revisions, connection.label);
}

/** Every table with its columns, and the rows of alembic_version (undefined when it has none). */
export function sqliteCatalog(connection: Queryable): { catalog: Catalog; revisions: string[] | undefined } {
  const catalog: Catalog = new Map();
  for (const row of connection.all("SELECT name FROM sqlite_master WHERE type = 'table'")) {
    const table = text(row.name) ?? '';
    const columns = connection.all(`PRAGMA table_info("${table.replaceAll('"', '""')}")`).map((column) => text(column.name) ?? '');
    catalog.set(table, new Set(columns));
  }
  const revisions = catalog.has('alembic_version')
    ? connection.all('SELECT version_num FROM alembic_version ORDER BY version_num').map((row) => text(row.version_num) ?? '')
    : undefined;
  return { catalog, revisions };
}
