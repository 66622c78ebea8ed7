/**
 * The MLflow runs listing reads runs/search pages as bytes (page-scan.ts) and falls back to
 * parsing a page whole when the page is not of the shape the walk knows. Both ways must list the
 * same runs with the same state tokens, and a run opened later must read back whole from the
 * spool (params, tags, metrics), whatever way its page was read.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMlflowServerFactory } from '../../src/backends/mlflow/index.js';
import type { RunInfo } from '../../src/model/run.js';

const T0 = 1_700_000_000_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const runs = [
  {
    info: { run_id: 'a1', run_name: 'first', experiment_id: '1', status: 'FINISHED', lifecycle_stage: 'active', start_time: T0, end_time: T0 + 5 },
    data: {
      params: [{ key: 'lr', value: '0.1' }],
      metrics: [{ key: 'loss', value: 0.25, timestamp: T0 + 1, step: 9_007_199_254_740_993n }],
      tags: [{ key: 'team', value: 'ünï "quoted"' }, { key: 'mlflow.runName', value: 'first' }],
    },
  },
  {
    info: { run_id: 'b2', experiment_id: '1', status: 'RUNNING', lifecycle_stage: 'active', start_time: T0 + 1 },
    data: { tags: [{ key: 'mlflow.parentRunId', value: 'a1' }, { key: 'mlflow.runName', value: 'child' }] },
  },
];
/** The page as a server writes it; the int64 step beyond 2^53 as its exact digits. */
const pageText = JSON.stringify({ runs }, (_key, value: unknown) => (typeof value === 'bigint' ? `@${value}@` : value)).replace(/"@(\d+)@"/g, '$1');

/** A server whose runs/search answers `page` (bytes); pages of each shape are what these tests vary. */
async function serverAnswering(page: Buffer): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      res.setHeader('content-type', 'application/json');
      if (path.endsWith('/experiments/get-by-name')) res.end(JSON.stringify({ experiment: { experiment_id: '1', name: 'p', lifecycle_stage: 'active' } }));
      else if (path.endsWith('/runs/search')) res.end(page);
      else {
        res.statusCode = 404;
        res.end(JSON.stringify({ error_code: 'ENDPOINT_NOT_FOUND', message: path }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function listAndOpen(page: Buffer) {
  const store = await createMlflowServerFactory({}).open(await serverAnswering(page), { credentials: {}, role: 'source' });
  cleanups.push(() => store.close());
  const project = await store.openSource({ workspace: 'default', project: 'p' });
  const infos: RunInfo[] = [];
  for await (const info of project.listRuns({ includeDeleted: false })) infos.push(info);
  const opened = [];
  for (const info of infos) {
    const run = await project.openRun(info);
    opened.push({ params: await run.params(), tags: await run.tags(), metricKeys: await run.metricKeys() });
  }
  return { infos, opened };
}

describe('mlflow listing read as bytes', () => {
  it('lists the runs (name, parent, times, status) and opens them whole, a step beyond 2^53 kept exact in the spool', async () => {
    const { infos, opened } = await listAndOpen(Buffer.from(pageText));
    expect(infos.map((info) => [info.runId, info.name, info.parentRunId, info.startTime, info.endTime, info.status])).toEqual([
      ['a1', 'first', undefined, T0, T0 + 5, 'FINISHED'],
      ['b2', 'child', 'a1', T0 + 1, undefined, 'RUNNING'],
    ]);
    expect(opened[0]!.params).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(opened[0]!.tags).toContainEqual({ key: 'team', value: 'ünï "quoted"' });
    expect(opened[0]!.metricKeys).toEqual(['loss']);
    expect(infos.every((info) => typeof info.stateToken === 'string' && info.stateToken.length === 22)).toBe(true);
  });

  it('a page the walk gives up on (keys written with escapes, a byte order mark) lists the same runs with the same tokens', async () => {
    const plain = await listAndOpen(Buffer.from(pageText));
    // "\u0069nfo" is "info": JSON allows it, the walk does not decode keys, so the page is parsed whole.
    const escaped = pageText.replaceAll('"data":', '"\\u0064ata":');
    const other = await listAndOpen(Buffer.from(escaped));
    expect(other.infos.map(({ stateToken: _token, ...info }) => info)).toEqual(plain.infos.map(({ stateToken: _token, ...info }) => info));
    expect(other.opened).toEqual(plain.opened);
    // A byte order mark before the page: the same page, the same bytes for each run, the same tokens.
    const withBom = await listAndOpen(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(pageText)]));
    expect(withBom.infos).toEqual(plain.infos);
  });

  it('a runs/search answer that is not JSON is refused with the same message as before', async () => {
    await expect(listAndOpen(Buffer.from('<html>oops</html>'))).rejects.toThrow(/answered runs\/search with something that is not JSON/);
  });
});
