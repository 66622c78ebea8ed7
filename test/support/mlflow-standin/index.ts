/**
 * In-memory HTTP stand-in of an MLflow 3.11 tracking server (REST API, artifact proxy,
 * workspaces, basic-auth app) on 127.0.0.1 - behaviour taken from the recorded golden
 * exchanges in test/golden (copied from ../shared/mlflow-golden). See README.md in this folder.
 */
import { S3Artifacts, type S3Backing } from './s3-artifacts.js';
import { S3ProxyStorage } from './s3-proxy-storage.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactStorage } from './artifacts.js';
import { Auth } from './auth.js';
import type { ServerState } from './context.js';
import type { FaultOptions } from './faults.js';
import { registerArtifacts } from './handlers/artifacts.js';
import { registerExperiments } from './handlers/experiments.js';
import { registerMetrics } from './handlers/metrics.js';
import { registerMetricsBulk } from './handlers/metrics-bulk.js';
import { registerModels } from './handlers/models.js';
import { registerRegistry } from './handlers/registry.js';
import { registerRuns } from './handlers/runs.js';
import { registerUsers } from './handlers/users.js';
import { registerWorkspaces } from './handlers/workspaces.js';
import { registerTraces } from './handlers/traces.js';
import { registerOtlp } from './handlers/otlp.js';
import { registerAssessments } from './handlers/assessments.js';
import { registerDatasets } from './handlers/datasets.js';
import { registerPrompts } from './handlers/prompts.js';
import { registerScorers } from './handlers/scorers.js';
import { text } from './http.js';
import { Router } from './router.js';
import { Pipeline } from './server.js';
import { DatasetRace } from './dataset-race.js';
import { Store } from './store.js';

export type { FaultKind, FaultOptions } from './faults.js';

export interface StandinOptions {
  /** like `mlflow server --enable-workspaces` */
  workspaces?: boolean;
  /** basic-auth app with admin account 'admin'; new users default READ */
  basicAuth?: { adminPassword: string };
  /** dir for proxied artifacts; default: a fresh private temp dir removed on close */
  artifactsRoot?: string;
  /** e.g. '/mlflow' - every route served under it */
  staticPrefix?: string;
  /** may also be changed at runtime via server.setFaults() */
  faults?: FaultOptions;
  /** TCP port on 127.0.0.1 (default 0 = any free port) */
  port?: number;
  /** body of GET /version (default "3.11.0"; the golden cases were recorded from "3.11.2.dev0") */
  version?: string;
  /**
   * A server whose artifacts live in S3 (a real endpoint such as moto_server): `direct` is
   * `--no-serve-artifacts --default-artifact-root s3://<bucket>/root` (golden server s3-direct);
   * `proxied` is `--serve-artifacts --artifacts-destination s3://<bucket>/proxied` (s3-proxied).
   */
  s3?: S3Backing;
}

export interface StandinServer {
  /** e.g. http://127.0.0.1:PORT (+ staticPrefix) */
  url: string;
  port: number;
  close(): Promise<void>;
  setFaults(f: FaultOptions | undefined): void;
  stats(): { requests: number; faults: Record<string, number>; byRoute: Record<string, number>; datasetRaces?: number };
  /** convenience for auth tests (only with basicAuth) */
  createUser?(name: string, password: string): void;
}

export const DEFAULT_VERSION = '3.11.0';

function buildRouter(withAuth: boolean): Router {
  const r = new Router();
  r.addRule('/health', ['GET'], 'health', () => text(200, 'OK'));
  r.addRule('/version', ['GET'], 'version', (ctx) => text(200, ctx.state.version));
  registerExperiments(r);
  registerRuns(r);
  registerMetrics(r);
  registerMetricsBulk(r);
  registerModels(r);
  registerRegistry(r);
  registerArtifacts(r);
  registerWorkspaces(r);
  registerTraces(r);
  registerOtlp(r);
  registerAssessments(r);
  registerDatasets(r);
  registerPrompts(r);
  registerScorers(r);
  if (withAuth) registerUsers(r);
  return r;
}

export async function startStandin(options: StandinOptions = {}): Promise<StandinServer> {
  const prefix = (options.staticPrefix ?? '').replace(/\/+$/, '');
  if (prefix && !prefix.startsWith('/')) throw new Error(`staticPrefix must start with '/': ${options.staticPrefix}`);
  const ownRoot = options.artifactsRoot === undefined;
  const root = options.artifactsRoot ?? (await mkdtemp(join(tmpdir(), 'mlflow-standin-')));
  const s3 = options.s3 ? new S3Artifacts(options.s3) : undefined;
  const state: ServerState = {
    store: new Store(!!options.workspaces, s3?.backing.mode === 'direct' ? (id) => s3.experimentLocation(id) : undefined),
    ...(s3 ? { s3 } : {}),
    auth: options.basicAuth ? new Auth(options.basicAuth.adminPassword) : undefined,
    artifacts: s3?.backing.mode === 'proxied' ? new S3ProxyStorage(s3) : new ArtifactStorage(root),
    version: options.version ?? DEFAULT_VERSION,
  };
  const pipeline = new Pipeline(state, buildRouter(!!state.auth), prefix);
  const setFaults = (f: FaultOptions | undefined) => {
    pipeline.faults.set(f);
    state.datasetRace = f?.datasetRaceMs !== undefined ? new DatasetRace(f.datasetRaceMs) : undefined;
  };
  setFaults(options.faults);

  const sockets = new Set<Socket>();
  const server: Server = createServer({ keepAlive: true }, (req, res) => pipeline.handle(req, res));
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 60_000;
  server.requestTimeout = 0;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  let closed: Promise<void> | undefined;
  const standin: StandinServer = {
    url: `http://127.0.0.1:${port}${prefix}`,
    port,
    close() {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
        if (ownRoot) await rm(root, { recursive: true, force: true });
        s3?.close();
      })();
      return closed;
    },
    setFaults,
    stats: () => ({
      requests: pipeline.stats.requests,
      faults: { ...pipeline.stats.faults },
      byRoute: { ...pipeline.stats.byRoute },
      ...(state.datasetRace ? { datasetRaces: state.datasetRace.races } : {}),
    }),
  };
  if (state.auth) {
    const auth = state.auth;
    standin.createUser = (name, password) => void auth.createUser(name, password);
  }
  return standin;
}
