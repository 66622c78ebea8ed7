/**
 * End to end through the CLI between two MLflow stand-ins: the links from traces to prompt
 * versions move with the traces (docs/traces.md "Links to prompts").
 * - with --registry, the prompts a trace links to (by its mlflow.linkedPrompts tag, or only by a
 *   traces/link-prompts association) are copied, and each copied trace is linked to the copied
 *   versions with traces/link-prompts; a link to a prompt that is not in the registry is
 *   reported and kept in old_sys/linked_prompts;
 * - verify is clean; a re-run links nothing again;
 * - without --registry no link is made and every link is kept in old_sys/linked_prompts; a later
 *   copy with --registry links the copies it skips (it looks at what the target shows).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi } from '../support/mlflow-seed.js';
import { standinRequest } from '../support/standin-request.js';
import { runCli, tempDir } from '../support/cli-process.js';

const promptTags = (text: string) => [
  { key: 'mlflow.prompt.is_prompt', value: 'true' },
  { key: '_mlflow_prompt_type', value: 'text' },
  { key: 'mlflow.prompt.text', value: text },
];
const TRACE_A = 'tr-0a000000000000000000000000000001';
const TRACE_B = 'tr-0a000000000000000000000000000002';
const TRACE_C = 'tr-0a000000000000000000000000000003';

/** One root span over OTLP (recorded: traces-otlp-json), then the trace info with its tags (StartTraceV3 merges into it). */
async function startTrace(url: string, experimentId: string, traceId: string, second: number, tags: Record<string, string>): Promise<void> {
  const start = BigInt(1_700_000_000 + second) * 1_000_000_000n;
  const span = {
    traceId: traceId.slice(3),
    spanId: `${traceId.slice(-1)}`.padStart(16, '0'),
    name: 'answer',
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(start + 1_000_000_000n),
    attributes: [{ key: 'mlflow.spanType', value: { stringValue: 'CHAIN' } }],
    status: { code: 1 },
  };
  const otlp = await standinRequest(url, 'POST', '/v1/traces', { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [span] }] }] }, { 'x-mlflow-experiment-id': experimentId });
  expect(otlp.status).toBe(200);
  const answer = await standinRequest(url, 'POST', '/api/3.0/mlflow/traces', {
    trace: {
      trace_info: {
        trace_id: traceId,
        trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
        request_time: `2023-11-14T22:13:${String(second).padStart(2, '0')}Z`,
        execution_duration: '1s',
        state: 'OK',
        tags: { 'mlflow.traceName': traceId.slice(-1), ...tags },
      },
    },
  });
  expect(answer.status).toBe(200);
}

async function linkPrompts(url: string, traceId: string, versions: Array<{ name: string; version: string }>): Promise<void> {
  expect((await standinRequest(url, 'POST', '/api/2.0/mlflow/traces/link-prompts', { trace_id: traceId, prompt_versions: versions })).status).toBe(200);
}

/** Trace ids of the experiment that traces/link-prompts linked to `name/version` (the search filter MLflow has for it). */
async function linkedTraces(url: string, experimentId: string, nameSlashVersion: string): Promise<string[]> {
  const answer = await standinRequest(url, 'POST', '/api/3.0/mlflow/traces/search', {
    locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }],
    filter: `prompt = '${nameSlashVersion}'`,
  });
  return (answer.body.traces ?? []).map((t: { trace_id: string }) => t.trace_id).sort();
}

async function traceTags(url: string, traceId: string): Promise<Record<string, string>> {
  return (await standinRequest(url, 'GET', `/api/3.0/mlflow/traces/${traceId}`)).body.trace.trace_info.tags;
}

const args = (verb: 'copy' | 'verify', from: string, to: string, project: string, extra: string[]) => [
  verb, '--source-uri', from, '--source-project', 'default/genai', '--target-uri', to, '--target-project', `default/${project}`,
  ...(verb === 'copy' ? ['--no-progress'] : []), '--json', ...extra,
];

describe('links from traces to prompt versions (MLflow server to MLflow server)', () => {
  let source: StandinServer;
  let target: StandinServer;
  const cwd = tempDir('e2e-trace-prompt-links');

  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    const api = new MlflowApi(source.url);
    const experimentId = (await api.call('POST', 'experiments/create', { name: 'genai' })).experiment_id as string;
    // Prompts with no experiment association: only the traces link to them.
    await api.call('POST', 'registered-models/create', { name: 'tagged-qa', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
    await api.call('POST', 'model-versions/create', { name: 'tagged-qa', source: 'dummy-source', tags: promptTags('Q1: {{q}}') });
    await api.call('POST', 'model-versions/create', { name: 'tagged-qa', source: 'dummy-source', tags: promptTags('Q2: {{q}}') });
    await api.call('POST', 'registered-models/create', { name: 'assoc-only', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
    await api.call('POST', 'model-versions/create', { name: 'assoc-only', source: 'dummy-source', tags: promptTags('A: {{a}}') });
    await api.call('POST', 'registered-models/create', { name: 'elsewhere', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
    await api.call('POST', 'model-versions/create', { name: 'elsewhere', source: 'dummy-source', tags: promptTags('x') });
    // A: tag and association (what the client does); B: association only; C: a tag naming a prompt the registry does not hold.
    await startTrace(source.url, experimentId, TRACE_A, 20, { 'mlflow.linkedPrompts': '[{"name": "tagged-qa", "version": "2"}]' });
    await linkPrompts(source.url, TRACE_A, [{ name: 'tagged-qa', version: '2' }]);
    await startTrace(source.url, experimentId, TRACE_B, 21, {});
    await linkPrompts(source.url, TRACE_B, [{ name: 'assoc-only', version: '1' }]);
    await startTrace(source.url, experimentId, TRACE_C, 22, { 'mlflow.linkedPrompts': '[{"name": "gone-prompt", "version": "1"}]' });
  });
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  it('with --registry: the linked prompts are copied and the copies linked to them; a link to a missing prompt is kept in old_sys', async () => {
    const result = await runCli(args('copy', source.url, target.url, 'linked', ['--registry']), { cwd });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.models.prompts.map((p: { name: string }) => p.name).sort()).toEqual(['assoc-only', 'tagged-qa']);
    expect(report.traces.summary).toMatchObject({ traces: 3, copied: 3, failed: 0 });
    const row = (id: string) => report.traces.traces.find((t: { sourceTraceId: string }) => t.sourceTraceId === id);
    expect(row(TRACE_A).promptLinks).toEqual(['tagged-qa/2']);
    expect(row(TRACE_B).promptLinks).toEqual(['assoc-only/1']);
    expect(row(TRACE_C).promptLinks).toBeUndefined();
    expect(row(TRACE_C).notes.join('\n')).toMatch(/prompt link\(s\) gone-prompt\/1: .*kept in old_sys\/linked_prompts/);

    const targetExperiment = (await new MlflowApi(target.url).experimentId('linked'))!;
    // Different stores: the trace ids are kept.
    expect(await linkedTraces(target.url, targetExperiment, 'tagged-qa/2')).toEqual([TRACE_A]);
    expect(await linkedTraces(target.url, targetExperiment, 'assoc-only/1')).toEqual([TRACE_B]);
    expect(await linkedTraces(target.url, targetExperiment, 'gone-prompt/1')).toEqual([]);
    expect((await traceTags(target.url, TRACE_A))['mlflow.linkedPrompts']).toBe('[{"name": "tagged-qa", "version": "2"}]');
    const c = await traceTags(target.url, TRACE_C);
    expect(c['mlflow.linkedPrompts']).toBeUndefined();
    expect(c['old_sys/linked_prompts']).toBe('[{"name": "gone-prompt", "version": "1"}]');
    expect(target.stats().byRoute['traces/link-prompts']).toBe(2);
  });

  it('verify --registry is clean', async () => {
    const result = await runCli(args('verify', source.url, target.url, 'linked', ['--registry']), { cwd });
    const report = JSON.parse(result.stdout);
    expect(report.clean, JSON.stringify(report.traces.traces.filter((t: { status: string }) => t.status !== 'ok'))).toBe(true);
    expect(result.code).toBe(0);
    expect(report.traces.summary).toMatchObject({ traces: 3, ok: 3 });
  });

  it('a re-run copies nothing and links nothing again', async () => {
    const writes = () => ['traces/link-prompts', 'traces/start-v3', 'model-versions/create', 'registered-models/create'].map((r) => target.stats().byRoute[r] ?? 0);
    const before = writes();
    const again = await runCli(args('copy', source.url, target.url, 'linked', ['--registry']), { cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).traces.summary).toMatchObject({ traces: 3, copied: 0, skipped: 3 });
    expect(writes()).toEqual(before);
  });

  it('without --registry nothing is linked and every link is kept in old_sys; a later copy with --registry links the copies it skips', async () => {
    const plain = await runCli(args('copy', source.url, target.url, 'plain', []), { cwd });
    expect(plain.code, plain.stderr).toBe(0);
    const rows = JSON.parse(plain.stdout).traces.traces as Array<{ sourceTraceId: string; notes: string[] }>;
    for (const id of [TRACE_A, TRACE_C]) expect(rows.find((r) => r.sourceTraceId === id)!.notes.join('\n')).toMatch(/copied only with --registry; kept in old_sys\/linked_prompts/);
    const plainExperiment = (await new MlflowApi(target.url).experimentId('plain'))!;
    // The same target store again: the copies got new ids.
    const plainIds = (await standinRequest(target.url, 'POST', '/api/3.0/mlflow/traces/search', { locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: plainExperiment } }] })).body.traces;
    const copyOfA = plainIds.find((t: { tags: Record<string, string> }) => t.tags['old_sys/trace_id'] === TRACE_A);
    expect(copyOfA.tags['old_sys/linked_prompts']).toBe('[{"name": "tagged-qa", "version": "2"}]');
    expect(copyOfA.tags['mlflow.linkedPrompts']).toBeUndefined();
    expect(await linkedTraces(target.url, plainExperiment, 'tagged-qa/2')).toEqual([]);
    const verified = await runCli(args('verify', source.url, target.url, 'plain', []), { cwd });
    expect(JSON.parse(verified.stdout).traces.summary).toMatchObject({ traces: 3, ok: 3 });

    const later = await runCli(args('copy', source.url, target.url, 'plain', ['--registry']), { cwd });
    expect(later.code, later.stderr).toBe(0);
    const report = JSON.parse(later.stdout);
    expect(report.traces.summary).toMatchObject({ copied: 0, skipped: 3, failed: 0 });
    expect(await linkedTraces(target.url, plainExperiment, 'tagged-qa/2')).toEqual([copyOfA.trace_id]);
    expect(await linkedTraces(target.url, plainExperiment, 'assoc-only/1')).toHaveLength(1);
  });
});
