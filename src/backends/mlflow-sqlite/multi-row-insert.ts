/**
 * Rows of one table written with one INSERT per chunk (`VALUES (...), (...), ...`) instead of
 * one statement per row: a trace copy writes some thirty rows (tags, metadata, spans,
 * assessments), and per statement PostgreSQL pays a round trip. On SQLite, where a statement is
 * a local call, the driver runs a prepared single-row INSERT per row in one call instead
 * (SqlExecutor.runEach), which measured cheaper than the multi-row one. Works on both dialects (`?` placeholders); a chunk stays under SQLite's oldest limit
 * of 999 bound values. The statement texts are built once per shape and reused, so the driver's
 * prepared-statement cache finds them without building a new string each time.
 */
import type { SqlExecutor } from './sql-driver.js';

const MAX_BOUND_VALUES = 999;
const statements = new Map<string, string>();

function statementFor(table: string, columns: readonly string[], rows: number): string {
  const shape = `${table}(${columns.join(',')})x${rows}`;
  let sql = statements.get(shape);
  if (sql === undefined) {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}`;
    statements.set(shape, sql);
  }
  return sql;
}

/** Inserts `rows` (each one value per column, in order) into `table`. */
export async function insertRows(tx: SqlExecutor, table: string, columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>): Promise<void> {
  if (rows.length === 0) return;
  // SQLite: one prepared single-row INSERT run per row, in one call, measured cheaper than a
  // multi-row INSERT (0.23 against 0.29 ms per benchmark trace of 20 spans, bare loops).
  if (tx.runEach) {
    await tx.runEach(statementFor(table, columns, 1), rows);
    return;
  }
  const perChunk = Math.max(1, Math.floor(MAX_BOUND_VALUES / columns.length));
  for (let start = 0; start < rows.length; start += perChunk) {
    const chunk = rows.slice(start, start + perChunk);
    await tx.run(statementFor(table, columns, chunk.length), chunk.flat());
  }
}
