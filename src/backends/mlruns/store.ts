/**
 * An opened mlruns store: a local MLflow FileStore folder. Experiments are named by their
 * meta.yaml `name`; there are no workspaces, so the only workspace is `default`.
 */
import type { Capabilities, SourceProject, Store, TargetProject, OpenTargetOptions } from '../contract.js';
import { rejectMlflowKey } from '../mlflow-rules.js';
import { DEFAULT_WORKSPACE, formatProjectRef, type ProjectRef } from '../../model/project-ref.js';
import type { ProjectMeta } from '../../model/run.js';
import { NotFoundError } from '../../util/errors.js';
import { MLRUNS_CAPABILITIES } from './capabilities.js';
import {
  addMissingTags,
  createExperiment,
  deletedExperimentError,
  ensureStoreRoot,
  findExperiment,
  listExperiments,
  readProjectMeta,
} from './experiments.js';
import { exists } from './fs-util.js';
import { newExperimentId, newRunId } from './ids.js';
import { MlrunsLayout } from './layout.js';
import { MlrunsRegistry } from './registry.js';
import { MlrunsSourceProject } from './source.js';
import { MlrunsTargetProject } from './target.js';

/** NAME_MAX of common file systems: the longest file name an mlruns store can hold. */
const MAX_NAME_BYTES = 255;

/** Injected clock and id makers, for deterministic stores (tests, the example generator). */
export interface MlrunsOptions {
  now?: () => number;
  newRunId?: () => string;
  newExperimentId?: () => string;
}

export class MlrunsStore implements Store {
  readonly kind = 'mlruns';
  readonly capabilities: Capabilities = MLRUNS_CAPABILITIES;
  private readonly layout: MlrunsLayout;
  private readonly now: () => number;
  private readonly makeRunId: () => string;
  private readonly makeExperimentId: () => string;

  constructor(
    readonly root: string,
    readonly identity: string,
    options: MlrunsOptions = {},
  ) {
    this.layout = new MlrunsLayout(root);
    this.now = options.now ?? Date.now;
    this.makeRunId = options.newRunId ?? newRunId;
    this.makeExperimentId = options.newExperimentId ?? newExperimentId;
  }

  get displayUri(): string {
    return this.root;
  }

  /** MLflow's rules, and each key is a file path here: a component over 255 bytes fails (ENAMETOOLONG). */
  rejectKey(key: string): string | undefined {
    const refused = rejectMlflowKey(key);
    if (refused !== undefined) return refused;
    if (key.split('/').some((name) => Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES)) {
      return `a part of the key is over ${MAX_NAME_BYTES} bytes, the file system's limit for a file name`;
    }
    return undefined;
  }

  async openSource(ref: ProjectRef): Promise<SourceProject> {
    checkWorkspace(ref);
    if (!(await exists(this.root))) throw new NotFoundError(`no MLflow file store at ${this.root}`);
    const found = await findExperiment(this.layout, ref.project);
    if (found.active) return new MlrunsSourceProject(ref, await readProjectMeta(found.active), found.active);
    if (found.deleted) {
      throw new NotFoundError(
        `experiment "${ref.project}" in ${this.root} is deleted (in .trash); restore it with \`mlflow experiments restore\` to copy it`,
      );
    }
    const names = (await listExperiments(this.layout, 'active')).map((r) => `"${r.meta.name}"`);
    const shown = names.length > 20 ? [...names.slice(0, 20), `and ${names.length - 20} more`] : names;
    throw new NotFoundError(
      `no experiment "${ref.project}" in ${this.root}` + (names.length > 0 ? `; it has ${shown.join(', ')}` : ''),
    );
  }

  async listProjects(): Promise<ProjectRef[]> {
    if (!(await exists(this.root))) throw new NotFoundError(`no MLflow file store at ${this.root}`);
    const names = new Set((await listExperiments(this.layout, 'active')).map((record) => record.meta.name));
    return [...names].sort().map((project) => ({ workspace: DEFAULT_WORKSPACE, project }));
  }

  async openTarget(ref: ProjectRef, meta: ProjectMeta, options: OpenTargetOptions): Promise<TargetProject | undefined> {
    checkWorkspace(ref);
    const createOptions = {
      now: this.now,
      newExperimentId: this.makeExperimentId,
      ...(options.artifactLocation !== undefined ? { artifactLocation: options.artifactLocation } : {}),
    };
    if (!options.create && !(await exists(this.root))) return undefined;
    if (options.create) await ensureStoreRoot(this.layout, createOptions);
    const found = await findExperiment(this.layout, ref.project);
    if (!found.active && found.deleted) throw deletedExperimentError(ref.project, found.deleted);
    let experiment = found.active;
    if (experiment && options.create) await addMissingTags(experiment, meta);
    if (!experiment) {
      if (!options.create) return undefined;
      experiment = await createExperiment(this.layout, ref.project, meta, createOptions);
    }
    return new MlrunsTargetProject(ref, this.layout, experiment, { now: this.now, newRunId: this.makeRunId });
  }

  /** The file-based model registry under <root>/models (registry.ts); workspace `default` only. */
  async openSourceRegistry(workspace: string): Promise<MlrunsRegistry> {
    checkWorkspace({ workspace, project: '' });
    return new MlrunsRegistry(this.root, this.now);
  }

  async openTargetRegistry(workspace: string): Promise<MlrunsRegistry> {
    checkWorkspace({ workspace, project: '' });
    return new MlrunsRegistry(this.root, this.now);
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }
}

function checkWorkspace(ref: ProjectRef): void {
  if (ref.workspace !== DEFAULT_WORKSPACE) {
    throw new NotFoundError(
      `mlruns stores have only the "${DEFAULT_WORKSPACE}" workspace; "${formatProjectRef(ref)}" names workspace "${ref.workspace}" (use ${DEFAULT_WORKSPACE}/${ref.project})`,
    );
  }
}
