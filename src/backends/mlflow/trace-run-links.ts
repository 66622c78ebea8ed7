/**
 * Trace -> run links over REST (recorded: traces-tags-links-delete):
 * - make: POST /api/2.0/mlflow/traces/link-to-run {trace_ids, run_id} answers {} (the 2.0 route
 *   only: /api/3.0 answers 405); the server checks neither the run nor the trace ids;
 * - read: the link does not show on the trace info; the search filter `run_id = '<id>'` finds the
 *   linked traces and also those whose metadata mlflow.sourceRun names the run. The latter are
 *   left out here (that link is the metadata, copied with the trace), so a trace whose metadata
 *   names the run is not told apart from one also linked to it (docs/limits.md).
 * One search (paged) per run asked for; no run asked for, no request.
 */
import { addLink, type RunLinkMap, type TraceRunLinks } from '../../engine/traces/run-links.js';
import type { MlflowHttpClient } from './http-client.js';
import { asArray, asRecord, toStr } from './json.js';

const SEARCH_PAGE = 500;
const SOURCE_RUN = 'mlflow.sourceRun';

/** A string literal of MLflow's search grammar (run ids are hex: single quotes). */
const literal = (text: string) => (text.includes("'") ? `"${text.replace(/"/g, '\\"')}"` : `'${text}'`);

export function mlflowTraceRunLinks(client: MlflowHttpClient, workspace: string, experimentId: string): Required<TraceRunLinks> {
  return {
    searchedPerRun: true,
    async traceRunLinks(runIds) {
      const map: RunLinkMap = new Map();
      for (const runId of runIds) {
        let pageToken: string | undefined;
        do {
          const body: Record<string, unknown> = {
            locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }],
            filter: `run_id = ${literal(runId)}`,
            max_results: SEARCH_PAGE,
          };
          if (pageToken) body.page_token = pageToken;
          const answer = asRecord(await client.post('/api/3.0/mlflow/traces/search', body, 'traces/search', workspace));
          for (const item of asArray(answer.traces)) {
            const trace = asRecord(item);
            const id = toStr(trace.trace_id);
            if (id && toStr(asRecord(trace.trace_metadata)[SOURCE_RUN]) !== runId) addLink(map, id, runId);
          }
          pageToken = toStr(answer.next_page_token) || undefined;
        } while (pageToken);
      }
      return map;
    },
    async linkTracesToRun(traceIds, runId) {
      await client.post('/api/2.0/mlflow/traces/link-to-run', { trace_ids: traceIds, run_id: runId }, 'traces/link-to-run', workspace);
    },
  };
}
