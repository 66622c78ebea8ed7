/**
 * The one suite every backend passes (rclone's fstests is the model). It writes a run through the
 * contract (or through the fixture's seeder for read-only backends), reads it back through the
 * contract and checks every field the engine relies on, then checks the exactly-once hooks
 * (listCopies, discardRun, deleteRun) of writable backends.
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store, TargetProject, TargetRun, SourceRun } from '../../src/backends/contract.js';
import { NotFoundError } from '../../src/util/errors.js';
import { mapKeys, mapPath } from '../../src/engine/key-mapping.js';
import type { KeyValue, MetricPoint, ProjectMeta } from '../../src/model/run.js';
import type { ProjectRef } from '../../src/model/project-ref.js';
import { PROVENANCE } from '../../src/model/provenance.js';
import type { ConformanceFixture } from './fixture.js';
import { describeModelConformance } from './models-suite.js';
import { collect, readAll } from '../support/streams.js';

const START = 1_700_000_000_123;

const META: ProjectMeta = {
  tags: [{ key: 'team', value: 'vision' }],
  description: 'conformance project',
};

function provenance(runId: string): KeyValue[] {
  return [
    { key: PROVENANCE.runId, value: runId },
    { key: PROVENANCE.project, value: 'src-ws/src-project' },
    { key: PROVENANCE.uri, value: 'http://source.example:5000' },
  ];
}

/** A deterministic history with the awkward values: NaN, infinities, negative and huge steps. */
function history(count: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (let i = 0; i < count; i++) {
    points.push({ value: Math.sin(i) * 1e3 + 0.125, timestamp: START + i * 7, step: i });
  }
  return points;
}

const SPECIAL_POINTS: MetricPoint[] = [
  { value: Number.NaN, timestamp: START, step: 0 },
  { value: 1e-5, timestamp: START + 1, step: 1 },
  { value: -0.5, timestamp: START + 2, step: -3 },
  { value: Number.POSITIVE_INFINITY, timestamp: START + 3, step: 4 },
  { value: Number.NEGATIVE_INFINITY, timestamp: START + 4, step: 5 },
  { value: 123456789.125, timestamp: START + 5, step: 9_007_199_254_740_993n },
];

const FILES: Array<{ path: string; bytes: Buffer }> = [
  { path: 'model/weights.bin', bytes: Buffer.from([0, 1, 2, 253, 254, 255, 0, 10, 13]) },
  { path: 'model/config/params.json', bytes: Buffer.from('{"lr": 0.01}\n') },
  { path: 'notes.txt', bytes: Buffer.from('héllo wörld\n') },
  { path: 'empty.txt', bytes: Buffer.alloc(0) },
];

async function readHistory(run: SourceRun, key: string): Promise<{ points: MetricPoint[]; batches: number }> {
  const points: MetricPoint[] = [];
  let batches = 0;
  for await (const batch of run.metricHistory(key)) {
    batches++;
    points.push(...batch);
  }
  return { points, batches };
}

function sortPoints(points: MetricPoint[]): MetricPoint[] {
  return [...points].sort((a, b) => a.timestamp - b.timestamp || compareSteps(a.step, b.step));
}

function compareSteps(a: number | bigint, b: number | bigint): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** What a store gives back for a value it was sent, per its declared non-finite support. */
function expectedValue(store: Store, value: number): number {
  if (store.capabilities.nonFinite === 'infinity-clamped' && !Number.isFinite(value) && !Number.isNaN(value)) {
    return value > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
  }
  return value;
}

function byKey(items: KeyValue[]): Map<string, string> {
  return new Map(items.map((item) => [item.key, item.value]));
}

export function describeConformance(fixture: ConformanceFixture): void {
  const workspace = fixture.workspace ?? 'default';
  const ref: ProjectRef = { workspace, project: 'conformance/project' };

  describe(`backend conformance: ${fixture.kind}`, () => {
    let opened: { store: Store; cleanup(): Promise<void> } | undefined;

    afterEach(async () => {
      if (opened) {
        await opened.store.close();
        await opened.cleanup();
        opened = undefined;
      }
    });

    async function open(): Promise<Store> {
      opened = await fixture.open();
      return opened.store;
    }

    async function writer(store: Store): Promise<TargetProject> {
      if (fixture.seed) return fixture.seed(store, ref, META);
      const target = await store.openTarget(ref, META, { create: true });
      if (!target) throw new Error('openTarget with create=true returned nothing');
      return target;
    }

    async function writeFullRun(target: TargetProject, sourceRunId: string): Promise<TargetRun> {
      const run = await target.createRun({
        name: 'full-run',
        user: 'alice',
        startTime: START,
        tags: provenance(sourceRunId),
        source: { project: 'src-ws/src-project', runId: sourceRunId },
      });
      await run.logParams([
        { key: 'lr', value: '0.01' },
        { key: 'optimizer/name', value: 'adam' },
      ]);
      await run.setTags([
        { key: 'mlflow.note.content', value: 'a description' },
        { key: 'mlflow.source.name', value: 'train.py' },
        { key: 'stage', value: 'dev' },
      ]);
      const long = history(2500);
      for (let i = 0; i < long.length; i += 1000) {
        await run.logMetrics([{ key: 'loss', points: long.slice(i, i + 1000) }]);
      }
      await run.logMetrics([
        { key: 'special', points: SPECIAL_POINTS },
        { key: 'train/acc', points: [{ value: 0.5, timestamp: START, step: 0 }] },
      ]);
      await run.logInputs([
        {
          dataset: { name: 'iris', digest: 'abc123', sourceType: 'local', source: '{"uri": "/data/iris.csv"}', schema: '{"a": 1}' },
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
        },
      ]);
      for (const file of FILES) {
        await run.writeFile(file.path, Readable.from([file.bytes]), file.bytes.length);
      }
      await run.finish({
        status: 'FAILED',
        endTime: START + 60_000,
        deleted: false,
        marker: { key: PROVENANCE.completed, value: '2026-01-01T00:00:00.000Z' },
      });
      return run;
    }

    async function findRun(store: Store, sourceRunId: string, includeDeleted = false): Promise<SourceRun> {
      const source = await store.openSource(ref);
      const infos = await collect(source.listRuns({ includeDeleted }));
      const candidates = [];
      for (const info of infos) {
        const run = await source.openRun(info);
        const tags = byKey(await run.tags());
        if (tags.get(PROVENANCE.runId) === sourceRunId) candidates.push(run);
      }
      expect(candidates).toHaveLength(1);
      return candidates[0]!;
    }

    it('reads back run info, params, tags and inputs as written', async () => {
      const store = await open();
      const target = await writer(store);
      await writeFullRun(target, 'src-1');
      const run = await findRun(store, 'src-1');

      expect(run.info.name).toBe('full-run');
      expect(run.info.user).toBe('alice');
      expect(run.info.startTime).toBe(START);
      expect(run.info.endTime).toBe(START + 60_000);
      expect(run.info.status).toBe('FAILED');
      expect(run.info.deleted).toBe(false);

      const params = byKey(await run.params());
      expect(params.get('lr')).toBe('0.01');
      expect(params.get('optimizer/name')).toBe('adam');

      const tags = byKey(await run.tags());
      expect(tags.get('mlflow.note.content')).toBe('a description');
      expect(tags.get('stage')).toBe('dev');
      expect(tags.get(PROVENANCE.project)).toBe('src-ws/src-project');
      if (!fixture.seed) expect(tags.has(PROVENANCE.completed)).toBe(true);

      const inputs = await run.inputs();
      expect(inputs).toHaveLength(1);
      expect(inputs[0]!.dataset).toMatchObject({ name: 'iris', digest: 'abc123', sourceType: 'local' });
      expect(byKey(inputs[0]!.tags).get('mlflow.data.context')).toBe('training');
    });

    it('reads back full metric histories point by point, NaN, infinities and int64 steps included', async () => {
      const store = await open();
      const target = await writer(store);
      await writeFullRun(target, 'src-2');
      const run = await findRun(store, 'src-2');

      expect((await run.metricKeys()).sort()).toEqual(['loss', 'special', 'train/acc']);

      const loss = await readHistory(run, 'loss');
      expect(sortPoints(loss.points)).toEqual(history(2500));

      const special = sortPoints((await readHistory(run, 'special')).points);
      expect(special).toHaveLength(SPECIAL_POINTS.length);
      special.forEach((point, index) => {
        const sent = SPECIAL_POINTS[index]!;
        expect(point.timestamp).toBe(sent.timestamp);
        expect(BigInt(point.step)).toBe(BigInt(sent.step));
        expect(Object.is(point.value, expectedValue(store, sent.value)) || point.value === expectedValue(store, sent.value)).toBe(true);
      });
    });

    it('streams a long history in bounded batches', async () => {
      const store = await open();
      const target = await writer(store);
      const run = await target.createRun({ name: 'long', startTime: START, tags: provenance('src-long'), source: { project: 'p', runId: 'src-long' } });
      const points = history(60_000);
      for (let i = 0; i < points.length; i += 1000) {
        await run.logMetrics([{ key: 'm', points: points.slice(i, i + 1000) }]);
      }
      await run.finish({ status: 'FINISHED', endTime: START + 1, deleted: false, marker: { key: PROVENANCE.completed, value: 'x' } });
      const read = await findRun(store, 'src-long');
      const got = await readHistory(read, 'm');
      expect(got.points).toHaveLength(60_000);
      expect(got.batches).toBeGreaterThan(1);
      expect(sortPoints(got.points)).toEqual(points);
    });

    it('lists and streams the artifact tree with identical bytes', async () => {
      const store = await open();
      const target = await writer(store);
      await writeFullRun(target, 'src-3');
      const run = await findRun(store, 'src-3');
      const files = await collect(run.files());
      expect(files.map((f) => f.path).sort()).toEqual(FILES.map((f) => f.path).sort());
      for (const file of FILES) {
        const listed = files.find((f) => f.path === file.path)!;
        expect(listed.size).toBe(file.bytes.length);
        expect(await readAll(await run.openFile(file.path))).toEqual(file.bytes);
      }
    });

    it('refuses to open a file path that escapes the run', async () => {
      const store = await open();
      const target = await writer(store);
      await writeFullRun(target, 'src-4');
      const run = await findRun(store, 'src-4');
      await expect(run.openFile('../../etc/passwd')).rejects.toThrow();
      await expect(run.openFile('/etc/passwd')).rejects.toThrow();
    });

    it('reports an unknown project as NotFoundError', async () => {
      const store = await open();
      await expect(store.openSource({ workspace, project: 'no/such/project' })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('hides deleted runs unless asked for them', async () => {
      const store = await open();
      const target = await writer(store);
      const run = await target.createRun({ name: 'gone', startTime: START, tags: provenance('src-del'), source: { project: 'p', runId: 'src-del' } });
      await run.finish({ status: 'KILLED', endTime: START + 5, deleted: true, marker: { key: PROVENANCE.completed, value: 'x' } });
      const source = await store.openSource(ref);
      const active = await collect(source.listRuns({ includeDeleted: false }));
      const all = await collect(source.listRuns({ includeDeleted: true }));
      expect(active.some((info) => info.name === 'gone')).toBe(false);
      const deleted = all.find((info) => info.name === 'gone');
      expect(deleted?.deleted).toBe(true);
      expect(deleted?.status).toBe('KILLED');
    });

    it('keeps the parent link of nested runs', async () => {
      const store = await open();
      const target = await writer(store);
      const parent = await target.createRun({ name: 'parent', startTime: START, tags: provenance('src-parent'), source: { project: 'p', runId: 'src-parent' } });
      await parent.finish({ status: 'FINISHED', endTime: START + 5, deleted: false, marker: { key: PROVENANCE.completed, value: 'x' } });
      const child = await target.createRun({
        name: 'child',
        startTime: START + 1,
        tags: [...provenance('src-child'), { key: 'mlflow.parentRunId', value: parent.runId }],
        source: { project: 'p', runId: 'src-child' },
      });
      await child.finish({ status: 'FINISHED', endTime: START + 5, deleted: false, marker: { key: PROVENANCE.completed, value: 'x' } });
      const read = await findRun(store, 'src-child');
      expect(read.info.parentRunId).toBe(parent.runId);
    });

    if (fixture.seed) return;

    describe('as a target', () => {
      it('creates the project with its metadata, and dry-run opening writes nothing', async () => {
        const store = await open();
        expect(await store.openTarget(ref, META, { create: false })).toBeUndefined();
        await expect(store.openSource(ref)).rejects.toBeInstanceOf(NotFoundError);
        await store.openTarget(ref, META, { create: true });
        const source = await store.openSource(ref);
        expect(byKey(source.meta.tags).get('team')).toBe('vision');
        expect(source.meta.description).toBe('conformance project');
        expect(await store.openTarget(ref, META, { create: false })).toBeDefined();
      });

      it('lists copies: complete ones, partial ones, and discards partial ones for good', async () => {
        const store = await open();
        const target = await writer(store);
        const done = await writeFullRun(target, 'src-done');
        const partial = await target.createRun({ name: 'partial', startTime: START, tags: provenance('src-partial'), source: { project: 'src-ws/src-project', runId: 'src-partial' } });
        await partial.logParams([{ key: 'a', value: '1' }]);
        await partial.logMetrics([{ key: 'm', points: history(10) }]);

        const copies = await collect(target.listCopies());
        const doneRecord = copies.find((c) => c.sourceRunId === 'src-done');
        const partialRecord = copies.find((c) => c.sourceRunId === 'src-partial');
        expect(doneRecord).toMatchObject({ sourceProject: 'src-ws/src-project', targetRunId: done.runId, complete: true, deleted: false });
        expect(partialRecord).toMatchObject({ targetRunId: partial.runId, complete: false });

        await target.discardRun(partial.runId);
        const after = await collect(target.listCopies());
        expect(after.filter((c) => c.sourceRunId === 'src-partial' && c.complete)).toHaveLength(0);
        const reopened = (await store.openTarget(ref, META, { create: false }))!;
        const again = await collect(reopened.listCopies());
        expect(again.find((c) => c.sourceRunId === 'src-done')?.complete).toBe(true);
        expect(again.filter((c) => c.sourceRunId === 'src-partial' && c.complete)).toHaveLength(0);
      });

      it('deletes a complete copy on request and lists it as deleted', async () => {
        const store = await open();
        const target = await writer(store);
        const run = await writeFullRun(target, 'src-later-deleted');
        await target.deleteRun(run.runId);
        const copies = await collect(target.listCopies());
        expect(copies.find((c) => c.sourceRunId === 'src-later-deleted')).toMatchObject({ complete: true, deleted: true });
      });

      it('declares sane capabilities and rejects keys it cannot store', () => {
        return open().then((store) => {
          const caps = store.capabilities;
          expect(caps.write).toBe(true);
          expect(caps.batch.maxMetrics).toBeGreaterThan(0);
          expect(caps.batch.maxParams).toBeGreaterThan(0);
          expect(caps.writeConcurrency).toBeGreaterThanOrEqual(1);
          expect(store.rejectKey('lr')).toBeUndefined();
          expect(store.rejectKey('')).toBeDefined();
          expect(store.displayUri).not.toMatch(/:[^/@]+@/);
        });
      });

      it('takes every name the published rename rule gives for names it refuses', async () => {
        const store = await open();
        const target = await writer(store);
        const keys = ['metrics/acc@top-1', 'a b!c?', '/lead//x', 'k'.repeat(1100), `${'ü'.repeat(240)}@`];
        const names = new Map(keys.map((key) => [key, mapKeys(keys, store).get(key)?.to ?? key]));
        for (const name of names.values()) expect(store.rejectKey(name), name).toBeUndefined();
        const path = `outputs/${'l'.repeat(300)}/${'é'.repeat(150)}.txt`;
        const stored = mapPath(path, store);

        const run = await target.createRun({ name: 'renamed', startTime: START, tags: provenance('src-renamed'), source: { project: 'src-ws/src-project', runId: 'src-renamed' } });
        await run.logParams([...names.values()].map((key) => ({ key, value: 'p' })));
        await run.setTags([...names.values()].map((key) => ({ key, value: 't' })));
        await run.logMetrics([...names.values()].map((key) => ({ key, points: [{ value: 1, timestamp: START, step: 0 }] })));
        await run.writeFile(stored, Readable.from([Buffer.from('x')]), 1);
        await run.finish({ status: 'FINISHED', endTime: START + 1, deleted: false, marker: { key: PROVENANCE.completed, value: '2026-01-01T00:00:00.000Z' } });

        const copy = await findRun(store, 'src-renamed');
        const params = byKey(await copy.params());
        const tags = byKey(await copy.tags());
        const metricKeys = new Set(await copy.metricKeys());
        for (const name of names.values()) {
          expect(params.get(name), name).toBe('p');
          expect(tags.get(name), name).toBe('t');
          expect(metricKeys.has(name), name).toBe(true);
        }
        expect((await collect(copy.files())).map((file) => file.path)).toEqual([stored]);
      });
    });
  });
  describeModelConformance(fixture);
}
