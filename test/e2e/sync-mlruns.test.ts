/**
 * Sync with mlruns folders (docs/sync.md): an mlruns target keeps exact duplicate points, so it is
 * where exactly-once is really tested (a kill -9 during an update pass of 200,000 new points); an
 * mlruns source is edited the way MLflow's FileStore edits it, including a changed param - a
 * conflict that leaves the copy as it is and exits non-zero.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { prng } from '../support/prng.js';
import { runCli, startCli, tempDir } from '../support/cli-process.js';

const T0 = 1_700_000_000_000;

function points(key: string, from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({ key, value: Math.cos(from + i), timestamp: T0 + (from + i) * 10, step: from + i }));
}

/** The run folder of the copy of `sourceRunId` in an mlruns store. */
function copyDir(root: string, sourceRunId: string): string {
  for (const experiment of readdirSync(root)) {
    const dir = join(root, experiment);
    if (experiment.startsWith('.') || !statSync(dir).isDirectory()) continue;
    for (const run of readdirSync(dir)) {
      const tag = join(dir, run, 'tags', 'old_sys', 'run_id');
      try {
        if (readFileSync(tag, 'utf8') === sourceRunId) return join(dir, run);
      } catch {
        // not a run folder, or not a copy
      }
    }
  }
  throw new Error(`no copy of ${sourceRunId} below ${root}`);
}

function lines(path: string): number {
  return readFileSync(path, 'latin1').split('\n').filter((line) => line !== '').length;
}

describe('sync with mlruns folders', () => {
  let source: StandinServer;
  let src: MlflowApi;

  beforeAll(async () => {
    source = await startStandin();
    src = new MlflowApi(source.url);
  });
  afterAll(async () => {
    await source.close();
  });

  it('kill -9 during an update pass of 200,000 new points into mlruns (which keeps duplicates): every point once', async () => {
    const cwd = tempDir('sync-mlruns-kill');
    const ids = await seedProject(src, 'grow', [{ name: 'big', startTime: T0, status: 'RUNNING', metrics: { loss: points('loss', 0, 1000) } }]);
    const runId = ids.get('big')!;
    const target = join(cwd, 'mlruns');
    const args = (extra: string[] = []) => ['copy', '--source-uri', source.url, '--source-project', 'grow', '--target-uri', target, '--target-project', 'grow', '--no-progress', ...extra];
    expect((await runCli(args(), { cwd })).code).toBe(0);
    for (let i = 1000; i < 201_000; i += 1000) await src.call('POST', 'runs/log-batch', { run_id: runId, metrics: points('loss', i, 1000) });
    await src.call('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: T0 + 9_000_000 });

    const metricFile = join(copyDir(target, runId), 'metrics', 'loss');
    const random = prng(7_20_2026);
    let kills = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      // Kill once the metric file grew by a seeded share of what is left to append.
      const before = statSync(metricFile).size;
      const grow = 200_000 + Math.floor(random() * 2_000_000);
      const { child, done } = startCli(args(), { cwd });
      const watcher = (async () => {
        while (child.exitCode === null && child.signalCode === null) {
          if (statSync(metricFile).size - before >= grow) {
            child.kill('SIGKILL');
            return;
          }
          await sleep(1);
        }
      })();
      const result = await done;
      await watcher;
      if (result.signal === 'SIGKILL') kills++;
    }
    expect(kills).toBeGreaterThan(0);
    const final = await runCli(args(['--verify']), { cwd });
    expect(final.code, final.stdout + final.stderr).toBe(0);
    expect(final.stdout).toContain('Verify clean');
    expect(lines(metricFile)).toBe(201_000);
    const steps = new Set(readFileSync(metricFile, 'latin1').split('\n').filter(Boolean).map((line) => line.split(' ')[2]));
    expect(steps.size).toBe(201_000);
  }, 300_000);

  it('mlruns -> mlruns: FileStore-style edits arrive; a changed param is a conflict, the copy is left as it is', async () => {
    const cwd = tempDir('sync-mlruns-edit');
    const ids = await seedProject(src, 'files', [
      { name: 'r', startTime: T0, endTime: T0 + 10, params: { lr: '0.1' }, tags: { team: 'a', old: 'x' }, metrics: { loss: points('loss', 0, 20) } },
      { name: 'q', startTime: T0 + 1, endTime: T0 + 11, params: { lr: '0.2' }, metrics: { loss: points('loss', 0, 5) } },
      { name: 'h', startTime: T0 + 2, endTime: T0 + 12, metrics: { loss: points('loss', 0, 5) } },
    ]);
    const sourceStore = join(cwd, 'source-mlruns');
    const targetStore = join(cwd, 'target-mlruns');
    expect((await runCli(['copy', '--source-uri', source.url, '--source-project', 'files', '--target-uri', sourceStore, '--target-project', 'files', '--no-progress'], { cwd })).code).toBe(0);
    const args = (extra: string[] = []) => ['copy', '--source-uri', sourceStore, '--source-project', 'files', '--target-uri', targetStore, '--target-project', 'files', '--no-progress', '--report', 'report.json', ...extra];
    const report = () => JSON.parse(readFileSync(join(cwd, 'report.json'), 'utf8'));
    expect((await runCli(args(), { cwd })).code).toBe(0);

    // Unchanged: nothing is written (the target's files keep their modification times).
    const r = copyDir(sourceStore, ids.get('r')!);
    const q = copyDir(sourceStore, ids.get('q')!);
    const rCopy = copyDir(targetStore, r.split('/').pop()!);
    const mtime = statSync(join(rCopy, 'meta.yaml')).mtimeMs;
    const again = await runCli(args(), { cwd });
    expect(again.code).toBe(0);
    expect(report().summary).toMatchObject({ updated: 0, skipped: 3, failed: 0 });
    expect(statSync(join(rCopy, 'meta.yaml')).mtimeMs).toBe(mtime);

    // FileStore-style edits of run r: tags, a note, a point logged after the end, a file, status.
    writeFileSync(join(r, 'tags', 'team'), 'b');
    rmSync(join(r, 'tags', 'old'));
    writeFileSync(join(r, 'tags', 'mlflow.note.content'), 'a note');
    appendFileSync(join(r, 'metrics', 'loss'), `${T0 + 99_000} 0.5 99\n`);
    mkdirSync(join(r, 'artifacts', 'eval'), { recursive: true });
    writeFileSync(join(r, 'artifacts', 'eval', 'x.txt'), 'hello');
    writeFileSync(join(r, 'meta.yaml'), readFileSync(join(r, 'meta.yaml'), 'utf8').replace(/^status: \d+$/m, 'status: 4'));
    // ... and a param of run q changed by hand: MLflow params are write-once.
    writeFileSync(join(q, 'params', 'lr'), '0.3');
    // ... and a point of run h rewritten, not appended: the copy cannot follow by appending.
    const h = copyDir(sourceStore, ids.get('h')!);
    const hLines = readFileSync(join(h, 'metrics', 'loss'), 'latin1').split('\n');
    hLines[1] = hLines[1]!.replace(/^(\d+) \S+ /, '$1 42.5 ');
    writeFileSync(join(h, 'metrics', 'loss'), `${hLines.join('\n')}`);
    appendFileSync(join(h, 'metrics', 'loss'), `${T0 + 99_000} 0.5 99\n`);

    const sync = await runCli(args(), { cwd });
    expect(sync.code).not.toBe(0);
    const result = report();
    expect(result.summary).toMatchObject({ updated: 1, failed: 2 });
    const byId = new Map<string, any>(result.runs.map((run: any) => [run.sourceRunId, run]));
    const rId = r.split('/').pop()!;
    const qId = q.split('/').pop()!;
    expect(byId.get(rId).changes).toEqual(expect.arrayContaining([
      'status FINISHED -> FAILED', 'tag team changed', 'tag old deleted', 'tag mlflow.note.content set', 'metric loss: 1 new point(s)', 'file eval/x.txt added',
    ]));
    expect(byId.get(qId).outcome).toBe('failed');
    expect(byId.get(qId).conflicts).toEqual(['param lr: the source now has "0.3", the copy keeps "0.2" (params are write-once)']);
    expect(readFileSync(join(copyDir(targetStore, qId), 'params', 'lr'), 'utf8')).toBe('0.2');
    const hId = h.split('/').pop()!;
    expect(byId.get(hId).outcome).toBe('failed');
    expect(byId.get(hId).reason).toContain("metric loss: the copy's 5 point(s) are not the first 5 of the source's history; not synced");
    expect(lines(join(copyDir(targetStore, hId), 'metrics', 'loss'))).toBe(5);

    const copy = copyDir(targetStore, rId);
    expect(readFileSync(join(copy, 'tags', 'team'), 'utf8')).toBe('b');
    expect(() => statSync(join(copy, 'tags', 'old'))).toThrow();
    expect(readFileSync(join(copy, 'artifacts', 'eval', 'x.txt'), 'utf8')).toBe('hello');
    expect(lines(join(copy, 'metrics', 'loss'))).toBe(21);
    expect(readFileSync(join(copy, 'meta.yaml'), 'utf8')).toMatch(/^status: 4$/m);
  });
});
