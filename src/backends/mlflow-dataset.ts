/**
 * MLflow's dataset entity as its stores spell it (snake_case fields, in the REST API's JSON and in
 * the FileStore's meta.yaml alike), read into the canonical Dataset.
 */
import type { Dataset } from '../model/run.js';

export function datasetFromFields(fields: Record<string, unknown>, text: (value: unknown) => string | undefined): Dataset {
  const schema = text(fields.schema);
  const profile = text(fields.profile);
  return {
    name: text(fields.name) ?? '',
    digest: text(fields.digest) ?? '',
    sourceType: text(fields.source_type) ?? '',
    source: text(fields.source) ?? '',
    ...(schema !== undefined ? { schema } : {}),
    ...(profile !== undefined ? { profile } : {}),
  };
}
