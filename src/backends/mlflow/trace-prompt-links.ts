/**
 * Trace -> prompt version links over REST (recorded: prompts-links):
 * - make: POST /api/2.0/mlflow/traces/link-prompts {trace_id, prompt_versions: [{name, version}]}
 *   answers {} (the 2.0 route only: /api/3.0 answers 405); re-linking adds nothing;
 * - read: the link does not show on the trace info; the trace search filter
 *   `prompt = '<name>/<version>'` finds the traces linked to a version (and only those: a trace
 *   that merely carries the mlflow.linkedPrompts tag is not found).
 */
import type { PromptRef, TracePromptLinks } from '../../engine/traces/prompt-links.js';
import type { MlflowHttpClient } from './http-client.js';
import { asArray, asRecord, toStr } from './json.js';

const SEARCH_PAGE = 500;

/** A string literal of MLflow's search grammar: single quotes, or double quotes around a name holding one. */
const literal = (text: string) => (text.includes("'") ? `"${text.replace(/"/g, '\\"')}"` : `'${text}'`);

export function mlflowTracePromptLinks(client: MlflowHttpClient, workspace: string, experimentId: string): Required<TracePromptLinks> {
  return {
    async tracesLinkedToPrompt(name, version) {
      const ids = new Set<string>();
      let pageToken: string | undefined;
      do {
        const body: Record<string, unknown> = {
          locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }],
          filter: `prompt = ${literal(`${name}/${version}`)}`,
          max_results: SEARCH_PAGE,
        };
        if (pageToken) body.page_token = pageToken;
        const answer = asRecord(await client.post('/api/3.0/mlflow/traces/search', body, 'traces/search', workspace));
        for (const trace of asArray(answer.traces)) {
          const id = toStr(asRecord(trace).trace_id);
          if (id) ids.add(id);
        }
        pageToken = toStr(answer.next_page_token) || undefined;
      } while (pageToken);
      return ids;
    },
    async linkPromptsToTrace(traceId: string, versions: PromptRef[]) {
      await client.post('/api/2.0/mlflow/traces/link-prompts', { trace_id: traceId, prompt_versions: versions.map((v) => ({ name: v.name, version: v.version })) }, 'traces/link-prompts', workspace);
    },
  };
}
