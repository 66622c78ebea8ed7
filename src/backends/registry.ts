/**
 * Which backend serves a store URI. The only place that names every backend: the engine and the
 * CLI ask here and never import a backend themselves. A backend's code is loaded only when a URI
 * it serves is opened (an HTTP client, Parquet and SQLite bindings are not small): recognising a
 * URI needs only its tiny uri.ts.
 */
import type { BackendFactory, OpenOptions, Store } from './contract.js';
import { isServerUri } from './mlflow/uri.js';
import { isSqliteUri } from './mlflow-sqlite/uri.js';
import { isPostgresUri } from './mlflow-sqlite/postgres-uri.js';
import { isMlrunsUri } from './mlruns/uri.js';
import { SCHEME as NEPTUNE_EXPORT_SCHEME } from './neptune-export/uri.js';
import { UsageError } from '../util/errors.js';

interface Backend {
  kind: string;
  handles(uri: string): boolean;
  load(): Promise<BackendFactory>;
}

/** In the order they are asked: mlruns takes any plain path, so it comes last. */
const BACKENDS: Backend[] = [
  { kind: 'mlflow', handles: isServerUri, load: async () => (await import('./mlflow/index.js')).mlflowServerFactory },
  { kind: 'mlflow-sqlite', handles: isSqliteUri, load: async () => (await import('./mlflow-sqlite/index.js')).mlflowSqliteFactory },
  {
    kind: 'mlflow-postgres',
    handles: isPostgresUri,
    load: async () => (await import('./mlflow-sqlite/postgres-index.js')).mlflowPostgresFactory,
  },
  {
    kind: 'neptune-export',
    handles: (uri) => uri.startsWith(NEPTUNE_EXPORT_SCHEME),
    load: async () => (await import('./neptune-export/index.js')).neptuneExportFactory,
  },
  { kind: 'mlruns', handles: isMlrunsUri, load: async () => (await import('./mlruns/index.js')).mlrunsFactory },
];

/** The kind of backend that serves `uri`, without loading it. */
export function backendKindOf(uri: string): string | undefined {
  return BACKENDS.find((candidate) => candidate.handles(uri.trim()))?.kind;
}

export async function openStore(uri: string, options: OpenOptions): Promise<Store> {
  const trimmed = uri.trim();
  if (trimmed === '') throw new UsageError(`the ${options.role} URI is empty`);
  const backend = BACKENDS.find((candidate) => candidate.handles(trimmed));
  if (!backend) {
    throw new UsageError(
      `unsupported ${options.role} URI "${trimmed}": use http(s)://host[:port][/prefix], a path or file: URI (mlruns), sqlite:///path/mlflow.db, postgresql://user@host:port/db or neptune-export:<data-path>[?files=<files-path>]`,
    );
  }
  const factory = await backend.load();
  return factory.open(trimmed, options);
}

export function backendKinds(): string[] {
  return BACKENDS.map((backend) => backend.kind);
}
