/**
 * Workspace rules: X-MLFLOW-WORKSPACE resolution, workspace names, and the server-side scoping
 * of proxied artifact paths (`workspaces/<ws>/...`; the default workspace keeps the legacy
 * unprefixed layout - see workspaces-default-workspace-artifacts).
 */
import { invalidParam, MlflowError, notFound } from './errors.js';
import { DEFAULT_WORKSPACE, type Store } from './store.js';

export const WORKSPACE_HEADER = 'x-mlflow-workspace';
const NAME_RE = /^(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const featureDisabled = () =>
  new MlflowError('FEATURE_DISABLED', 'Workspace APIs are not available: workspaces are not enabled on this server');

/** The workspace a request works in ('default' without header or with an empty one). */
export function resolveWorkspace(store: Store, header: string | undefined, mustExist: boolean): string {
  if (!header) return DEFAULT_WORKSPACE;
  if (!store.workspacesEnabled) throw featureDisabled();
  if (mustExist && !store.workspaces.has(header)) throw notFound(`Workspace '${header}' not found`);
  return header;
}

export function validateWorkspaceName(name: string): void {
  if (name === DEFAULT_WORKSPACE) throw invalidParam("The 'default' workspace is reserved and cannot be created");
  if (!NAME_RE.test(name))
    throw invalidParam(
      `Workspace name '${name}' must match the pattern ^(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$ (lowercase alphanumeric with optional internal hyphens).`,
    );
}

/** Map a proxy path to the storage-relative path for the request's workspace. */
export function scopeArtifactPath(store: Store, ws: string, path: string): string {
  if (!store.workspacesEnabled) return path;
  const parts = path.split('/');
  if (parts[0] === 'workspaces' && parts.length > 1) {
    if (parts[1] !== ws)
      throw invalidParam(`Artifact path targets workspace '${parts[1]}' but the workspace specified in the request is '${ws}'.`);
    return path;
  }
  if (ws === DEFAULT_WORKSPACE) return path;
  return path ? `workspaces/${ws}/${path}` : `workspaces/${ws}`;
}

/** Storage-relative directory of an `mlflow-artifacts:/...` URI (undefined for other schemes). */
export function proxiedPathOfUri(uri: string): string | undefined {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(uri);
  return m ? m[1]! : undefined;
}
