/**
 * Which backend serves a store URI. The only place that names every backend: the engine and the
 * CLI ask here and never import a backend themselves.
 */
import type { BackendFactory, OpenOptions, Store } from './contract.js';
import { mlflowServerFactory } from './mlflow/index.js';
import { mlflowSqliteFactory } from './mlflow-sqlite/index.js';
import { mlrunsFactory } from './mlruns/index.js';
import { neptuneExportFactory } from './neptune-export/index.js';
import { UsageError } from '../util/errors.js';

const FACTORIES: BackendFactory[] = [
  mlflowServerFactory,
  mlflowSqliteFactory,
  neptuneExportFactory,
  mlrunsFactory,
];

export function findFactory(uri: string): BackendFactory | undefined {
  return FACTORIES.find((factory) => factory.handles(uri));
}

export async function openStore(uri: string, options: OpenOptions): Promise<Store> {
  const trimmed = uri.trim();
  if (trimmed === '') throw new UsageError(`the ${options.role} URI is empty`);
  const factory = findFactory(trimmed);
  if (!factory) {
    throw new UsageError(
      `unsupported ${options.role} URI "${trimmed}": use http(s)://host[:port][/prefix], a path or file: URI (mlruns), sqlite:///path/mlflow.db or neptune-export:<data-path>[?files=<files-path>]`,
    );
  }
  return factory.open(trimmed, options);
}

export function backendKinds(): string[] {
  return FACTORIES.map((factory) => factory.kind);
}
