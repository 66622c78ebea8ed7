/**
 * Fills an MLflow server (the stand-in in tests) with runs through its public REST API, the way
 * the MLflow Python client would have logged them: a source for end-to-end copies.
 */
import { request } from 'undici';

export interface SeedRun {
  name: string;
  startTime: number;
  endTime?: number;
  status?: 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';
  user?: string;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  /** key -> points; value may be NaN or +-Infinity. */
  metrics?: Record<string, Array<{ value: number; timestamp: number; step: number }>>;
  /** relative path -> bytes */
  files?: Record<string, Buffer | string>;
  parent?: string;
  deleted?: boolean;
  dataset?: { name: string; digest: string; context: string };
}

export interface SeededRun {
  name: string;
  runId: string;
}

export interface SeedOptions {
  workspace?: string;
  authorization?: string;
}

export class MlflowApi {
  constructor(
    readonly url: string,
    private readonly options: SeedOptions = {},
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { ...extra };
    if (this.options.workspace && this.options.workspace !== 'default') headers['x-mlflow-workspace'] = this.options.workspace;
    if (this.options.authorization) headers.authorization = this.options.authorization;
    return headers;
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
    const url = new URL(this.url.replace(/\/$/, '') + `/api/2.0/mlflow/${path}`);
    if (method === 'GET' && body) {
      for (const [key, value] of Object.entries(body as Record<string, string>)) url.searchParams.set(key, value);
    }
    const response = await request(url, {
      method,
      headers: this.headers(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      body: method === 'POST' ? encodeJson(body ?? {}) : undefined,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${method} ${path}: HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : {};
  }

  async experimentId(name: string): Promise<string | undefined> {
    try {
      const found = await this.call('GET', 'experiments/get-by-name', { experiment_name: name });
      return found.experiment.experiment_id as string;
    } catch {
      return undefined;
    }
  }

  async searchRuns(experimentId: string, viewType: 'ACTIVE_ONLY' | 'ALL' = 'ALL'): Promise<any[]> {
    const runs: any[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.call('POST', 'runs/search', { experiment_ids: [experimentId], run_view_type: viewType, max_results: 1000, page_token: pageToken });
      runs.push(...(page.runs ?? []));
      pageToken = page.next_page_token;
    } while (pageToken);
    return runs;
  }

  async upload(artifactUri: string, path: string, bytes: Buffer): Promise<void> {
    const base = artifactUri.replace(/^mlflow-artifacts:\//, '');
    const url = `${this.url.replace(/\/$/, '')}/api/2.0/mlflow-artifacts/artifacts/${base}/${path}`;
    const response = await request(url, { method: 'PUT', headers: this.headers(), body: bytes });
    await response.body.text();
    if (response.statusCode !== 200) throw new Error(`upload ${path}: HTTP ${response.statusCode}`);
  }
}

/** JSON with non-finite numbers spelled as MLflow's protobuf JSON expects. */
function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    return v;
  });
}

export async function seedProject(api: MlflowApi, experiment: string, runs: SeedRun[], experimentTags: Record<string, string> = {}): Promise<Map<string, string>> {
  const created = await api.call('POST', 'experiments/create', {
    name: experiment,
    tags: Object.entries(experimentTags).map(([key, value]) => ({ key, value })),
  });
  const experimentId = created.experiment_id as string;
  const ids = new Map<string, string>();
  for (const spec of runs) {
    const tags = { ...(spec.tags ?? {}) };
    if (spec.parent) tags['mlflow.parentRunId'] = ids.get(spec.parent)!;
    if (spec.user) tags['mlflow.user'] = spec.user;
    const run = await api.call('POST', 'runs/create', {
      experiment_id: experimentId,
      run_name: spec.name,
      start_time: spec.startTime,
      user_id: spec.user,
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    });
    const runId = run.run.info.run_id as string;
    const artifactUri = run.run.info.artifact_uri as string;
    ids.set(spec.name, runId);
    const params = Object.entries(spec.params ?? {}).map(([key, value]) => ({ key, value }));
    if (params.length > 0) await api.call('POST', 'runs/log-batch', { run_id: runId, params });
    for (const [key, points] of Object.entries(spec.metrics ?? {})) {
      for (let i = 0; i < points.length; i += 1000) {
        await api.call('POST', 'runs/log-batch', { run_id: runId, metrics: points.slice(i, i + 1000).map((p) => ({ key, ...p })) });
      }
    }
    if (spec.dataset) {
      await api.call('POST', 'runs/log-inputs', {
        run_id: runId,
        datasets: [
          {
            dataset: { name: spec.dataset.name, digest: spec.dataset.digest, source_type: 'local', source: '{"uri": "/data/train.csv"}' },
            tags: [{ key: 'mlflow.data.context', value: spec.dataset.context }],
          },
        ],
      });
    }
    for (const [path, bytes] of Object.entries(spec.files ?? {})) {
      await api.upload(artifactUri, path, Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
    }
    await api.call('POST', 'runs/update', { run_id: runId, status: spec.status ?? 'FINISHED', end_time: spec.endTime });
    if (spec.deleted) await api.call('POST', 'runs/delete', { run_id: runId });
  }
  return ids;
}
