/**
 * One run read straight from MLflow's tables: params, tags (system tags included, as stored),
 * dataset inputs, metric histories in bounded chunks, and the files of its artifact directory
 * when that is on this machine. What cannot be expressed in the canonical run is collected as
 * ReadIssues (readIssues()).
 */
import type { Readable } from 'node:stream';
import type { ReadIssue, SourceRun } from '../contract.js';
import type { DatasetInput, FileEntry, KeyValue, MetricPoint, RunInfo } from '../../model/run.js';
import { NotFoundError } from '../../util/errors.js';
import type { ArtifactLocation } from './artifact-location.js';
import { ArtifactTree } from './artifact-tree.js';
import { ObjectStoreTree } from '../object-store/tree.js';
import type { SqlReader } from './sql-driver.js';
import { readRunInputs } from './run-inputs.js';
import { readMetricHistory, summariseKeys, type KeySummary } from './metric-history.js';
import type { SchemaFeatures } from './schema-features.js';
import { text } from './values.js';
import type { ModelLinks } from '../model-contract.js';
import { readModelLinks } from './models.js';

export interface SourceRunSettings {
  connection: SqlReader;
  features: SchemaFeatures;
  artifacts: ArtifactLocation;
  metricChunk: number;
}

export class SqliteSourceRun implements SourceRun {
  private readonly issues = new Map<string, ReadIssue>();
  private readonly tree: Pick<ArtifactTree, 'files' | 'open'> | undefined;
  private summaries: Map<string, KeySummary> | undefined;

  constructor(
    readonly info: RunInfo,
    private readonly settings: SourceRunSettings,
    /** Issues known from the run row itself (status, artifact location). */
    initialIssues: ReadIssue[] = [],
  ) {
    for (const issue of initialIssues) this.report(issue);
    const location = settings.artifacts;
    if (location.kind === 'local') {
      this.tree = new ArtifactTree(location.root, (issue) => this.report(issue));
    } else if (location.kind === 'object-store') {
      this.tree = new ObjectStoreTree(location.uri, (issue) => this.report(issue));
    } else {
      this.report({ field: 'files', reason: location.reason, ...(location.lost ? { lost: true } : {}) });
    }
  }

  /** Links to logged models (models.ts). */
  async modelLinks(): Promise<ModelLinks> {
    return readModelLinks(this.settings.connection, this.settings.features, this.info.runId);
  }

  async params(): Promise<KeyValue[]> {
    return this.keyValues('params', 'SELECT key, value FROM params WHERE run_uuid = ? ORDER BY key');
  }

  async tags(): Promise<KeyValue[]> {
    return this.keyValues('tags', 'SELECT key, value FROM tags WHERE run_uuid = ? ORDER BY key');
  }

  async inputs(): Promise<DatasetInput[]> {
    if (!this.settings.features.datasets) return [];
    return readRunInputs(this.settings.connection, this.info.runId, this.settings.features, (issue) => this.report(issue));
  }

  async metricKeys(): Promise<string[]> {
    return [...(await this.keySummaries()).keys()];
  }

  async *metricHistory(key: string): AsyncIterable<MetricPoint[]> {
    const summary = (await this.keySummaries()).get(key);
    if (!summary) return;
    yield* readMetricHistory(this.settings.connection, this.info.runId, summary, this.settings.metricChunk, (missing) =>
      this.report({ field: `metrics/${key}`, reason: `${missing} point(s) have a NULL timestamp or step in the store and were not read` }),
    );
  }

  files(): AsyncIterable<FileEntry> {
    return this.tree ? this.tree.files() : empty();
  }

  async openFile(path: string): Promise<Readable> {
    if (!this.tree) {
      const location = this.settings.artifacts;
      throw new NotFoundError(`artifacts of run ${this.info.runId} are not readable: ${location.kind === 'unreachable' ? location.reason : ''}`);
    }
    return this.tree.open(path);
  }

  readIssues(): ReadIssue[] {
    return [...this.issues.values()];
  }

  /** Computed once per run: the keys, and each key's time window for the chunked reads. */
  private async keySummaries(): Promise<Map<string, KeySummary>> {
    this.summaries ??= await summariseKeys(this.settings.connection, this.info.runId);
    return this.summaries;
  }

  private async keyValues(table: 'params' | 'tags', sql: string): Promise<KeyValue[]> {
    const out: KeyValue[] = [];
    for (const row of await this.settings.connection.all(sql, this.info.runId)) {
      const key = text(row.key) ?? '';
      const value = text(row.value);
      if (value === undefined) {
        this.report({ field: `${table}/${key}`, reason: 'value is NULL in the store; read as an empty string' });
      }
      out.push({ key, value: value ?? '' });
    }
    return out;
  }

  private report(issue: ReadIssue): void {
    this.issues.set(`${issue.field}\u0000${issue.reason}`, issue);
  }
}

async function* empty(): AsyncIterable<FileEntry> {}
