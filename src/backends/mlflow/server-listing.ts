/**
 * A whole server, for `copy --all-projects`: its workspaces (3.10+ servers started with
 * --enable-workspaces) and the active experiments of each, and a workspace created on a target that
 * lacks it. A server without workspaces has one: `default`.
 */
import { DEFAULT_WORKSPACE, type ProjectRef } from '../../model/project-ref.js';
import { NotFoundError, UsageError } from '../../util/errors.js';
import { PATHS } from './api.js';
import { DisabledEndpointError, MissingEndpointError, MlflowRequestError } from './errors.js';
import type { MlflowHttpClient } from './http-client.js';
import { asArray, asRecord, toStr } from './json.js';

const WORKSPACES = '/api/3.0/mlflow/workspaces';
const EXPERIMENTS_SEARCH = '/api/2.0/mlflow/experiments/search';
/** experiments/search page size (the server allows far more; pages keep answers small). */
const PAGE = 1000;

/** The server's workspace names, or just `default` when it has no workspaces. */
export async function listWorkspaces(client: MlflowHttpClient): Promise<string[]> {
  try {
    const doc = asRecord(await client.get(WORKSPACES, {}, 'workspaces/list'));
    const names = asArray(doc.workspaces)
      .map((w) => toStr(asRecord(w).name))
      .filter((name): name is string => name !== undefined && name !== '');
    return names.length > 0 ? [...new Set(names)].sort() : [DEFAULT_WORKSPACE];
  } catch (error) {
    if (isNoWorkspaces(error)) return [DEFAULT_WORKSPACE];
    throw error;
  }
}

/** Every active experiment of one workspace, by name. */
export async function listExperiments(client: MlflowHttpClient, workspace: string): Promise<ProjectRef[]> {
  const out: ProjectRef[] = [];
  let pageToken: string | undefined;
  do {
    const body = { max_results: PAGE, view_type: 'ACTIVE_ONLY', ...(pageToken ? { page_token: pageToken } : {}) };
    const doc = asRecord(await client.post(EXPERIMENTS_SEARCH, body, 'experiments/search', workspace));
    for (const experiment of asArray(doc.experiments)) {
      const name = toStr(asRecord(experiment).name);
      if (name) out.push({ workspace, project: name });
    }
    pageToken = toStr(doc.next_page_token) || undefined;
  } while (pageToken);
  return out.sort((a, b) => (a.project < b.project ? -1 : a.project > b.project ? 1 : 0));
}

/**
 * Makes sure a workspace exists: `exists`, `created`, or an error saying why it cannot be (a server
 * without workspaces, or a user not allowed to create one).
 */
export async function ensureWorkspace(client: MlflowHttpClient, name: string): Promise<'exists' | 'created'> {
  if (name === DEFAULT_WORKSPACE) return 'exists';
  try {
    await client.get(PATHS.workspace(name), {}, 'workspaces/get');
    return 'exists';
  } catch (error) {
    if (isNoWorkspaces(error)) {
      throw new UsageError(`${client.displayUri} has no workspaces: workspace '${name}' cannot be created there`);
    }
    if (!(error instanceof NotFoundError)) throw error;
  }
  try {
    await client.post(WORKSPACES, { name }, 'workspaces/create');
    return 'created';
  } catch (error) {
    // Another process created it in between: that is what we wanted.
    if (error instanceof MlflowRequestError && error.errorCode === 'RESOURCE_ALREADY_EXISTS') return 'exists';
    throw error;
  }
}

function isNoWorkspaces(error: unknown): boolean {
  return error instanceof MissingEndpointError || error instanceof DisabledEndpointError || (error instanceof UsageError && /workspaces/i.test(error.message));
}
