/**
 * The MLflow tracking-server backend (kind `mlflow`): `http(s)://[user:pass@]host[:port][/prefix]`.
 *
 * Nothing is sent when a store is opened; openSource/openTarget first check a non-default
 * workspace (GET /api/3.0/mlflow/workspaces/<name>) and then make an authenticated call
 * (experiments/get-by-name), so wrong credentials fail with AuthError before anything is written.
 */
import { readFileSync } from 'node:fs';
import type {
  BackendFactory,
  Capabilities,
  Credentials,
  ListProjectsOptions,
  OpenOptions,
  SourceProject,
  Store,
} from '../contract.js';
import { MLFLOW_BATCH_LIMITS, MLFLOW_VALUE_LIMITS, rejectMlflowKey } from '../mlflow-rules.js';
import type { ProjectMeta } from '../../model/run.js';
import { DEFAULT_WORKSPACE, type ProjectRef } from '../../model/project-ref.js';
import { NotFoundError, UsageError } from '../../util/errors.js';
import { PATHS, getExperimentByName } from './api.js';
import { DisabledEndpointError, MissingEndpointError } from './errors.js';
import { MlflowHttpClient, type RetryEvent, type RetryPolicy } from './http-client.js';
import type { RateNotice } from './rate-gate.js';
import { ensureWorkspace, listExperiments, listWorkspaces } from './server-listing.js';
import { MlflowRegistry } from './registry.js';
import { MlflowSourceProject, type SourceSettings } from './source.js';
import { MlflowTargetProject, openTargetProject } from './target.js';
import { isServerUri, parseServerUri } from './uri.js';
import { accessNote } from './store-artifacts.js';
import { readFallbackOf } from './read-fallback.js';

export { MlflowHttpClient } from './http-client.js';
export type { RetryEvent, RetryPolicy } from './http-client.js';
export { MlflowSourceProject, MlflowSourceRun } from './source.js';
export { MlflowTargetProject, MlflowTargetRun } from './target.js';
export { MlflowRequestError } from './errors.js';

export const MLFLOW_CAPABILITIES: Capabilities = {
  read: true,
  write: true,
  setsStartTime: true,
  setsEndTime: true,
  setsStatus: true,
  setsUser: true,
  keepsDeletedRuns: true,
  nativeFilter: true,
  typedValues: false,
  nonFinite: 'infinity-clamped',
  batch: MLFLOW_BATCH_LIMITS,
  limits: MLFLOW_VALUE_LIMITS,
  writeConcurrency: 4,
  // Servers run on a SQL store: exact duplicate points are kept once (logbatch-metric-duplicates).
  dropsExactDuplicatePoints: true,
};

/** Tuning knobs (tests, benchmarks); the defaults follow the MLflow Python client. */
export interface MlflowBackendOptions {
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout in ms (default 120 000; env MLFLOW_HTTP_REQUEST_TIMEOUT in seconds). */
  timeoutMs?: number;
  /** metrics/get-history page size (default 10 000: measured faster than the MLflow client's 25 000, as reads overlap writes in smaller steps). */
  historyPageSize?: number;
  /** Points one bulk read-ahead window (up to 100 runs) may hold (default 100 000; 0 turns bulk history reads off). */
  readAheadPoints?: number;
  /** runs/search page size (default 1000). */
  searchPageSize?: number;
  /** Sockets per store (default 32). */
  connections?: number;
  /** Called before every retry of every store opened by this factory. */
  onRetry?: (event: RetryEvent) => void;
  /** Environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Back-off tuning (tests): see rate-gate.ts. */
  rateGate?: { cooldownMs?: number; recoverAfterMs?: number };
}

/** The gate's notices as log lines naming the server (never its credentials: displayUri has none). */
function rateNoticeTo(tell: (message: string) => void, role: string, displayUri: string): (notice: RateNotice) => void {
  return (notice) => {
    if (notice.type === 'slowed') {
      tell(`${role} ${displayUri} is overloaded (${notice.reason}): the whole pool slows down to ${notice.ratePerSecond} requests/s`);
    } else {
      const rate = notice.ratePerSecond === undefined ? 'no limit' : `${notice.ratePerSecond} requests/s`;
      tell(`${role} ${displayUri} recovered: back to ${rate}`);
    }
  };
}

export class MlflowServerStore implements Store {
  readonly kind = 'mlflow';
  readonly capabilities: Capabilities = MLFLOW_CAPABILITIES;
  readonly client: MlflowHttpClient;
  private readonly workspaces = new Map<string, Promise<void>>();
  private readonly settings: SourceSettings;
  /** For the log when the copy starts: how files in object stores are reached (store-artifacts.ts). */
  notes: string[] = [];

  constructor(
    readonly displayUri: string,
    readonly identity: string,
    client: MlflowHttpClient,
    settings: SourceSettings,
  ) {
    this.client = client;
    this.settings = settings;
  }

  rejectKey(key: string): string | undefined {
    return rejectMlflowKey(key);
  }

  /** MLflow's artifact proxy answers "Invalid path" to a '#' anywhere in the path. */
  rejectPath(path: string): string | undefined {
    return path.includes('#') ? "MLflow's artifact proxy refuses '#' in paths (Invalid path)" : undefined;
  }

  /** Requests retried so far (for the report's retry count). */
  retryCount(): number {
    return this.client.retries;
  }

  /** Listen to retries; returns the unsubscribe function. */
  onRetry(listener: (event: RetryEvent) => void): () => void {
    return this.client.onRetry(listener);
  }

  async openSource(ref: ProjectRef): Promise<SourceProject> {
    await this.checkWorkspace(ref);
    const experiment = await getExperimentByName(this.client, ref);
    if (!experiment) {
      throw new NotFoundError(
        `experiment '${ref.project}' not found in workspace '${ref.workspace}' on ${this.displayUri}`,
      );
    }
    if (experiment.deleted) {
      throw new NotFoundError(
        `experiment '${ref.project}' in workspace '${ref.workspace}' on ${this.displayUri} is deleted (restore it to copy from it)`,
      );
    }
    return new MlflowSourceProject(this.client, ref, experiment, this.settings);
  }

  /** The model registry of one workspace (registry.ts). */
  async openSourceRegistry(workspace: string): Promise<MlflowRegistry> {
    return new MlflowRegistry(this.client, workspace);
  }

  async openTargetRegistry(workspace: string): Promise<MlflowRegistry> {
    return new MlflowRegistry(this.client, workspace);
  }

  async openTarget(
    ref: ProjectRef,
    meta: ProjectMeta,
    options: { create: boolean; artifactLocation?: string },
  ): Promise<MlflowTargetProject | undefined> {
    await this.checkWorkspace(ref);
    return openTargetProject(this.client, ref, meta, options.create, this.settings, options.artifactLocation);
  }

  /** Active experiments of the `default` workspace, of the named ones, or of every workspace. */
  async listProjects(options: ListProjectsOptions = {}): Promise<ProjectRef[]> {
    const wanted = options.workspaces ?? [DEFAULT_WORKSPACE];
    const workspaces = wanted === 'all' ? await listWorkspaces(this.client) : [...wanted];
    const projects: ProjectRef[] = [];
    for (const workspace of workspaces) {
      await this.checkWorkspace({ workspace, project: '' });
      projects.push(...(await listExperiments(this.client, workspace)));
    }
    return projects;
  }

  /** Creates a missing workspace (servers with workspaces only); forgets a failed check of it. */
  async ensureWorkspace(name: string): Promise<'exists' | 'created'> {
    const outcome = await ensureWorkspace(this.client, name);
    this.workspaces.delete(name);
    return outcome;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** A non-default workspace must exist, on a server that has workspaces. Checked once per name. */
  private checkWorkspace(ref: ProjectRef): Promise<void> {
    const name = ref.workspace;
    if (name === DEFAULT_WORKSPACE) return Promise.resolve();
    let check = this.workspaces.get(name);
    if (!check) {
      check = this.probeWorkspace(ref);
      this.workspaces.set(name, check);
      check.catch(() => this.workspaces.delete(name));
    }
    return check;
  }

  private async probeWorkspace(ref: ProjectRef): Promise<void> {
    const name = ref.workspace;
    const noWorkspaces = () =>
      new UsageError(
        `${this.displayUri} has no workspaces (a server started without --enable-workspaces, or older than MLflow 3.10); ` +
          `use default/${ref.project}`,
      );
    try {
      // Without the header: a server without workspaces fails every request that carries one.
      await this.client.get(PATHS.workspace(name), {}, 'workspaces/get');
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new NotFoundError(`workspace '${name}' not found on ${this.displayUri}`);
      }
      if (error instanceof MissingEndpointError) throw noWorkspaces();
      if (error instanceof DisabledEndpointError || error instanceof UsageError) throw noWorkspaces();
      throw error;
    }
  }
}

function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function envFlag(env: NodeJS.ProcessEnv, name: string): boolean {
  return /^(1|true|yes)$/i.test(env[name] ?? '');
}

function mergeCredentials(given: Credentials, fromUri: Credentials | undefined): Credentials {
  const hasGiven = Boolean(given.token || (given.username && given.password));
  if (hasGiven || !fromUri) return given;
  return fromUri;
}

/** A factory with its own tuning (tests, benchmarks); `mlflowServerFactory` uses the defaults. */
export function createMlflowServerFactory(options: MlflowBackendOptions = {}): BackendFactory {
  return {
    kind: 'mlflow',
    handles: isServerUri,
    async open(uri: string, openOptions: OpenOptions): Promise<MlflowServerStore> {
      const env = options.env ?? process.env;
      const parsed = parseServerUri(uri);
      const credentials = mergeCredentials(openOptions.credentials, parsed.userinfo);
      const maxRetries = envNumber(env, 'MLFLOW_HTTP_REQUEST_MAX_RETRIES');
      const timeoutSeconds = envNumber(env, 'MLFLOW_HTTP_REQUEST_TIMEOUT');
      // MLflow's client sleeps factor * 2^(n-1) seconds: the factor is our first delay.
      const backoffFactor = envNumber(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR');
      const caPath = env.MLFLOW_TRACKING_SERVER_CERT_PATH;
      const insecure = envFlag(env, 'MLFLOW_TRACKING_INSECURE_TLS');
      let tls: { rejectUnauthorized?: boolean; ca?: Buffer } | undefined;
      if (parsed.origin.startsWith('https:') && (insecure || caPath)) {
        tls = {};
        if (insecure) tls.rejectUnauthorized = false;
        if (caPath) {
          try {
            tls.ca = readFileSync(caPath);
          } catch {
            throw new UsageError(`cannot read the CA bundle named by MLFLOW_TRACKING_SERVER_CERT_PATH (${caPath})`);
          }
        }
      }
      const client = new MlflowHttpClient({
        origin: parsed.origin,
        prefix: parsed.prefix,
        displayUri: parsed.displayUri,
        credentials,
        retry: {
          ...(maxRetries !== undefined ? { maxRetries: Math.floor(maxRetries) } : {}),
          ...(backoffFactor !== undefined ? { backoffBaseMs: backoffFactor * 1000, jitterMs: Math.min(500, backoffFactor * 1000) } : {}),
          ...options.retry,
        },
        timeoutMs: options.timeoutMs ?? (timeoutSeconds !== undefined ? timeoutSeconds * 1000 : undefined),
        ...(options.connections !== undefined ? { connections: options.connections } : {}),
        ...(options.onRetry || openOptions.onRetry ? { onRetry: options.onRetry ?? openOptions.onRetry } : {}),
        ...(tls ? { tls } : {}),
        ...(openOptions.maxRps !== undefined ? { maxRps: openOptions.maxRps } : {}),
        ...(openOptions.onNotice ? { onRateNotice: rateNoticeTo(openOptions.onNotice, openOptions.role, parsed.displayUri) } : {}),
        ...(options.rateGate ? { rateGate: options.rateGate } : {}),
      });
      const store = new MlflowServerStore(parsed.displayUri, parsed.identity, client, {
        historyPageSize: options.historyPageSize ?? 10_000,
        searchPageSize: options.searchPageSize ?? 1000,
        readAheadPoints: options.readAheadPoints ?? 100_000,
      });
      store.notes.push(accessNote(openOptions.role, options.env ?? process.env));
      readFallbackOf(client).setNotice(openOptions.onNotice);
      return store;
    },
  };
}

export const mlflowServerFactory: BackendFactory = createMlflowServerFactory();
