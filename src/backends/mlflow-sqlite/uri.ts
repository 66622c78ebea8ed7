/**
 * `sqlite:` store URIs, spelled the way MLflow (SQLAlchemy) users already write them:
 *   sqlite:///mlflow.db            relative to the working directory
 *   sqlite:////srv/mlflow/mlflow.db absolute (the fourth slash starts the path)
 * One option may follow: `?artifacts=<dir>`, where `mlflow-artifacts:` URIs resolve (the
 * `--artifacts-destination` the server ran with; default `mlartifacts` next to the database).
 */
import path from 'node:path';
import { UsageError } from '../../util/errors.js';

export interface SqliteLocation {
  /** Absolute path of the database file. */
  dbPath: string;
  /** Absolute directory that `mlflow-artifacts:/...` URIs are relative to. */
  artifactsRoot: string;
  /** Whether artifactsRoot was given (`?artifacts=`) rather than defaulted. */
  artifactsRootGiven: boolean;
}

const FORM_HINT = 'use sqlite:///relative/path.db or sqlite:////absolute/path.db';
const OPTIONS = new Set(['artifacts']);

export function isSqliteUri(uri: string): boolean {
  return /^sqlite:/i.test(uri.trim());
}

export function parseSqliteUri(uri: string, cwd: string = process.cwd()): SqliteLocation {
  const trimmed = uri.trim();
  const match = /^sqlite:(.*)$/is.exec(trimmed);
  if (!match) throw new UsageError(`"${trimmed}" is not a sqlite: URI; ${FORM_HINT}`);
  const [rest, query] = splitQuery(match[1] ?? '');

  // SQLAlchemy form: "sqlite://" + host (always empty) + "/" + database path; bare
  // "sqlite://" is SQLAlchemy's in-memory database.
  if (rest === '//') throw new UsageError(`"${trimmed}" names no database file (it is an in-memory database, which holds no runs); ${FORM_HINT}`);
  if (!rest.startsWith('///')) {
    const reason = rest.startsWith('//') ? 'a sqlite URI has no host part' : 'the path must follow "sqlite:///"';
    throw new UsageError(`malformed URI "${trimmed}": ${reason}; ${FORM_HINT}`);
  }
  const file = rest.slice(3);
  if (file === '' || file === ':memory:') {
    throw new UsageError(`"${trimmed}" names no database file (an in-memory database holds no runs); ${FORM_HINT}`);
  }

  const options = parseOptions(query, trimmed);
  const dbPath = path.resolve(cwd, file);
  const artifacts = options.get('artifacts');
  return {
    dbPath,
    artifactsRoot: artifacts ? path.resolve(cwd, artifacts) : path.join(path.dirname(dbPath), 'mlartifacts'),
    artifactsRootGiven: artifacts !== undefined,
  };
}

function splitQuery(text: string): [string, string] {
  const at = text.indexOf('?');
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

function parseOptions(query: string, uri: string): Map<string, string> {
  const options = new Map<string, string>();
  if (query === '') return options;
  for (const [key, value] of new URLSearchParams(query)) {
    if (!OPTIONS.has(key)) {
      throw new UsageError(`unknown option "${key}" in "${uri}"; the only option is ?artifacts=<dir> (where mlflow-artifacts: URIs resolve)`);
    }
    if (value === '') throw new UsageError(`option "${key}" in "${uri}" is empty`);
    options.set(key, value);
  }
  return options;
}
