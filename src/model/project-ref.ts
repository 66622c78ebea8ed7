/**
 * `WORKSPACE/PROJECT`, as the seed named projects: the first segment is the workspace, the rest
 * (which may contain `/`) is the project - an MLflow experiment name or a Neptune project name.
 * A bare name without `/` means `default/<name>`.
 */
export interface ProjectRef {
  workspace: string;
  project: string;
}

export const DEFAULT_WORKSPACE = 'default';

export function parseProjectRef(text: string): ProjectRef {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('a project is named WORKSPACE/PROJECT; got an empty name');
  const slash = trimmed.indexOf('/');
  if (slash < 0) return { workspace: DEFAULT_WORKSPACE, project: trimmed };
  const workspace = trimmed.slice(0, slash);
  const project = trimmed.slice(slash + 1);
  if (workspace === '' || project === '') {
    throw new Error(`a project is named WORKSPACE/PROJECT; "${trimmed}" has an empty part`);
  }
  return { workspace, project };
}

export function formatProjectRef(ref: ProjectRef): string {
  return `${ref.workspace}/${ref.project}`;
}
