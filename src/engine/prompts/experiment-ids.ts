/**
 * A prompt's `_mlflow_experiment_ids` tag names the experiments that use it, as `,<id>,<id>,`
 * (the client searches it with LIKE '%,<id>,%'). Ids are the store's own, so a copy maps them to
 * the target's ids; an id whose experiment is not copied has no counterpart and is reported.
 */
export const EXPERIMENT_IDS_TAG = '_mlflow_experiment_ids';

export function parseExperimentIds(value: string | undefined): string[] {
  return (value ?? '').split(',').filter((id) => id !== '');
}

export function formatExperimentIds(ids: Iterable<string>): string {
  const list = [...new Set(ids)];
  return list.length ? `,${list.join(',')},` : '';
}

/** The source ids mapped to target ids; the ones without a mapping are returned apart. */
export function remapExperimentIds(value: string | undefined, mapping: Map<string, string>): { ids: string[]; unmapped: string[] } {
  const ids: string[] = [];
  const unmapped: string[] = [];
  for (const id of parseExperimentIds(value)) {
    const to = mapping.get(id);
    if (to !== undefined) ids.push(to);
    else unmapped.push(id);
  }
  return { ids, unmapped };
}
