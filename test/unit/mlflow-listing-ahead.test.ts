/**
 * The MLflow runs listing reads one page ahead (api.ts searchRunEntries): the server prepares the
 * next runs/search page while the caller works through the current one. Same runs, same order,
 * same number of requests as a listing page after page; a caller that stops early is not hurt by
 * the page asked for ahead.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMlflowServerFactory } from '../../src/backends/mlflow/index.js';
import type { Store } from '../../src/backends/contract.js';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';

const T0 = 1_700_000_000_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serverWithRuns(count: number): Promise<StandinServer> {
  const server = await startStandin();
  cleanups.push(() => server.close());
  await seedProject(new MlflowApi(server.url), 'paged', Array.from({ length: count }, (_, i) => ({ name: `r${i}`, startTime: T0 + i * 1000, endTime: T0 + i * 1000 + 10 })));
  return server;
}

async function openStore(url: string, searchPageSize: number): Promise<Store> {
  const store = await createMlflowServerFactory({ searchPageSize }).open(url, { credentials: {}, role: 'source' });
  cleanups.push(() => store.close());
  return store;
}

async function collectAll<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const searches = (server: StandinServer) => server.stats().byRoute['runs/search'] ?? 0;

async function until(condition: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!condition() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
  return condition();
}

describe('mlflow runs listing: one page ahead', () => {
  it('asks for page 2 while the caller still holds the first run of page 1, and lists every run once in order', async () => {
    const server = await serverWithRuns(7);
    const project = await (await openStore(server.url, 3)).openSource({ workspace: 'default', project: 'paged' });
    const before = searches(server);
    const runs = project.listRuns({ includeDeleted: false })[Symbol.asyncIterator]();
    const first = await runs.next();
    expect(first.value?.name).toBe('r0');
    // The caller has not asked for a second run, yet the server gets the next page's request.
    expect(await until(() => searches(server) - before >= 2)).toBe(true);
    const names = [first.value!.name];
    for (let next = await runs.next(); !next.done; next = await runs.next()) names.push(next.value.name);
    expect(names).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    // 3 pages of 3, 3 and 1 runs: no more requests than page after page.
    expect(searches(server) - before).toBe(3);
  });

  it('a caller that stops after the first run leaves nothing failing behind when the page asked ahead fails', async () => {
    // A tiny real server: page 1 of runs/search names a next page, which is refused (400, not retried).
    const requests: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const path = (req.url ?? '').split('?')[0]!;
        requests.push(path.replace(/^.*\/mlflow\//, ''));
        res.setHeader('content-type', 'application/json');
        if (path.endsWith('/experiments/get-by-name')) {
          res.end(JSON.stringify({ experiment: { experiment_id: '1', name: 'paged', lifecycle_stage: 'active' } }));
        } else if (path.endsWith('/runs/search') && !body.includes('page_token')) {
          const run = { info: { run_id: 'a1', experiment_id: '1', status: 'FINISHED', lifecycle_stage: 'active', start_time: T0 }, data: {} };
          res.end(JSON.stringify({ runs: [run], next_page_token: 'next' }));
        } else {
          res.statusCode = 400;
          res.end(JSON.stringify({ error_code: 'INVALID_PARAMETER_VALUE', message: 'refused for the test' }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const project = await (await openStore(url, 1)).openSource({ workspace: 'default', project: 'paged' });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      for await (const info of project.listRuns({ includeDeleted: false })) {
        expect(info.runId).toBe('a1');
        break;
      }
      expect(await until(() => requests.filter((r) => r === 'runs/search').length === 2)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(unhandled).toEqual([]);
      // A caller that reads on gets the refusal.
      await expect(collectAll(project.listRuns({ includeDeleted: false }))).rejects.toThrow(/refused for the test/);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
