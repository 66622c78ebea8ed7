/**
 * What an opened SQLite database is: its tables and columns and its alembic revision, listed
 * once when the store opens and judged by shape (schema-shape.ts).
 */
import type { ReadConnection } from './connection.js';
import type { Catalog } from './schema-shape.js';
import { text } from './values.js';

export type { SchemaFeatures } from './schema-shape.js';

/** Every table with its columns, and the rows of alembic_version (undefined when it has none). */
export function sqliteCatalog(connection: ReadConnection): { catalog: Catalog; revisions: string[] | undefined } {
  const catalog: Catalog = new Map();
  for (const row of connection.allSync("SELECT name FROM sqlite_master WHERE type = 'table'")) {
    const table = text(row.name) ?? '';
    const columns = connection.allSync(`PRAGMA table_info("${table.replaceAll('"', '""')}")`).map((column) => text(column.name) ?? '');
    catalog.set(table, new Set(columns));
  }
  const revisions = catalog.has('alembic_version')
    ? connection.allSync('SELECT version_num FROM alembic_version ORDER BY version_num').map((row) => text(row.version_num) ?? '')
    : undefined;
  return { catalog, revisions };
}
