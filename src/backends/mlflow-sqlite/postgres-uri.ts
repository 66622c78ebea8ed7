/**
 * PostgreSQL store URIs as MLflow (SQLAlchemy) users already write them:
 *   postgresql://user[:password]@host[:port]/database
 *   postgresql+psycopg2://...   (or any other +driver: the driver part is ignored)
 * Options: `?artifacts=<dir>` (where `mlflow-artifacts:` URIs resolve: the server's
 * --artifacts-destination, default ./mlartifacts), `?host=<socket dir>` (libpq's unix socket),
 * `?sslmode=disable|prefer|require|verify-ca|verify-full`.
 * The password may come from the URI; it never reaches displayUri.
 */
import path from 'node:path';
import { UsageError } from '../../util/errors.js';

export interface PostgresLocation {
  host: string;
  port: number;
  database: string;
  user: string;
  /** From the URI, decoded; undefined when it holds none. */
  password?: string;
  ssl?: 'require' | 'verify';
  artifactsRoot: string;
  artifactsRootGiven: boolean;
  /** The URI without its password: for logs, reports and old_sys/uri. */
  displayUri: string;
}

const SCHEME = /^postgres(?:ql)?(\+[a-z0-9_]+)?:\/\//i;
const FORM_HINT = 'use postgresql://user@host:port/database (the password from PGPASSWORD or ~/.pgpass, or in the URI)';
const OPTIONS = new Set(['artifacts', 'host', 'sslmode']);

export function isPostgresUri(uri: string): boolean {
  return SCHEME.test(uri.trim());
}

export function parsePostgresUri(uri: string, cwd: string = process.cwd()): PostgresLocation {
  const trimmed = uri.trim();
  const scheme = SCHEME.exec(trimmed);
  if (!scheme) throw new UsageError(`"${redact(trimmed)}" is not a postgresql:// URI; ${FORM_HINT}`);
  let url: URL;
  try {
    url = new URL(`postgresql://${trimmed.slice(scheme[0].length)}`);
  } catch {
    throw new UsageError(`malformed URI "${redact(trimmed)}"; ${FORM_HINT}`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) throw new UsageError(`"${redact(trimmed)}" names no database; ${FORM_HINT}`);
  const options = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    if (!OPTIONS.has(key)) {
      throw new UsageError(`unknown option "${key}" in "${redact(trimmed)}"; known: ?artifacts=<dir>, ?host=<socket dir>, ?sslmode=<mode>`);
    }
    options.set(key, value);
  }
  const socket = options.get('host');
  const host = socket ?? (url.hostname.replace(/^\[|\]$/g, '') || 'localhost');
  const sslmode = options.get('sslmode');
  if (sslmode !== undefined && !['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'].includes(sslmode)) {
    throw new UsageError(`sslmode "${sslmode}" in "${redact(trimmed)}" is not one of disable, allow, prefer, require, verify-ca, verify-full`);
  }
  const artifacts = options.get('artifacts');
  const user = decodeURIComponent(url.username) || process.env.PGUSER || process.env.USER || 'postgres';
  const location: PostgresLocation = {
    host,
    port: url.port ? Number(url.port) : 5432,
    database,
    user,
    artifactsRoot: path.resolve(cwd, artifacts ?? 'mlartifacts'),
    artifactsRootGiven: artifacts !== undefined,
    displayUri: redact(trimmed),
  };
  if (url.password !== '') location.password = decodeURIComponent(url.password);
  if (sslmode === 'require' || sslmode === 'prefer' || sslmode === 'allow') location.ssl = 'require';
  if (sslmode === 'verify-ca' || sslmode === 'verify-full') location.ssl = 'verify';
  return location;
}

/** The URI without its password (as MLflow users write it with the password in PGPASSWORD). */
export function redact(uri: string): string {
  return uri.replace(/^([a-z0-9+]+:\/\/[^:/@?#]*):[^@/?#]*@/i, '$1@');
}
