/**
 * The model part of the conformance suite, for every backend: a backend that writes logged models
 * reads back what it wrote (info, params, tags, metrics with run and dataset, files byte for
 * byte), lists complete and partial copies and discards partial ones, keeps run<->model links
 * without duplicating them, and, with a registry, keeps registered models, version numbers,
 * tags, stages and aliases. A backend without these abilities must declare none of them; the
 * other tests are then skipped (reported as skipped, with the reason).
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store, TargetProject } from '../../src/backends/contract.js';
import { sourceModelsOf, targetModelsOf, type ModelInit, type TargetModels } from '../../src/backends/model-contract.js';
import { MODEL_PROVENANCE } from '../../src/model/model-provenance.js';
import { PROVENANCE } from '../../src/model/provenance.js';
import type { ProjectRef } from '../../src/model/project-ref.js';
import type { ConformanceFixture } from './fixture.js';
import { collect, readAll } from '../support/streams.js';

const START = 1_700_000_000_000;
const FILES = [
  { path: 'MLmodel', bytes: Buffer.from('artifact_path: model\n') },
  { path: 'data/model.pkl', bytes: Buffer.from([0, 1, 254, 255]) },
  { path: 'empty.txt', bytes: Buffer.alloc(0) },
];

function modelInit(sourceModelId: string, sourceRunId?: string): ModelInit {
  return {
    name: `model-${sourceModelId}`,
    modelType: 'sklearn',
    ...(sourceRunId ? { sourceRunId } : {}),
    params: [{ key: 'alpha', value: '0.1' }, { key: 'long', value: 'x'.repeat(6000) }],
    tags: [
      { key: MODEL_PROVENANCE.modelId, value: sourceModelId },
      { key: MODEL_PROVENANCE.project, value: 'src-ws/src-project' },
      { key: 'stage', value: 'dev' },
    ],
  };
}

export function describeModelConformance(fixture: ConformanceFixture): void {
  const workspace = fixture.workspace ?? 'default';
  const ref: ProjectRef = { workspace, project: 'conformance/models' };

  describe(`backend conformance, logged models: ${fixture.kind}`, () => {
    let opened: { store: Store; cleanup(): Promise<void> } | undefined;
    afterEach(async () => {
      if (opened) {
        await opened.store.close();
        await opened.cleanup();
        opened = undefined;
      }
    });

    async function targetOf(): Promise<{ store: Store; target: TargetProject; models: TargetModels | undefined }> {
      opened = await fixture.open();
      const store = opened.store;
      if (fixture.seed || !store.capabilities.write) return { store, target: undefined as never, models: undefined };
      const target = (await store.openTarget(ref, { tags: [] }, { create: true }))!;
      return { store, target, models: targetModelsOf(target) };
    }

    async function finishedRun(target: TargetProject, sourceRunId: string): Promise<string> {
      const run = await target.createRun({
        name: sourceRunId,
        startTime: START,
        tags: [{ key: PROVENANCE.runId, value: sourceRunId }, { key: PROVENANCE.project, value: 'src-ws/src-project' }],
        source: { project: 'src-ws/src-project', runId: sourceRunId },
      });
      await run.finish({ status: 'FINISHED', endTime: START + 1, deleted: false, marker: { key: PROVENANCE.completed, value: 'done' } });
      return run.runId;
    }

    it('declares reading and writing models together, or neither', async ({ skip }) => {
      const { store, target, models } = await targetOf();
      if (!target) return skip('read-only backend: its model reading is tested with its reader');
      const source = await store.openSource(ref);
      expect(Boolean(models)).toBe(Boolean(sourceModelsOf(source)));
    });

    it('reads back a written model: info, params, tags, metrics with run and dataset, files byte for byte', async ({ skip }) => {
      const { store, target, models } = await targetOf();
      if (!models) return skip('the backend does not write logged models');
      const runId = await finishedRun(target, 'src-run');
      const model = await models.createModel(modelInit('m-src-1', runId));
      for (const file of FILES) await model.writeFile(file.path, Readable.from([file.bytes]), file.bytes.length);
      await model.logMetrics([
        { key: 'accuracy', value: 0.9, timestamp: START, step: 0, runId, datasetName: 'eval-set', datasetDigest: '0cc175b9' },
        { key: 'f1', value: 0.5, timestamp: START + 1, step: 1, runId },
      ]);
      await model.finish('READY', { key: MODEL_PROVENANCE.completed, value: 'done' });

      const source = sourceModelsOf(await store.openSource(ref))!;
      const listed = await collect(source.listModels());
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ modelId: model.modelId, name: 'model-m-src-1', modelType: 'sklearn', status: 'READY', sourceRunId: runId });
      const read = await source.openModel(listed[0]!);
      const params = new Map((await read.params()).map((p) => [p.key, p.value]));
      expect(params.get('alpha')).toBe('0.1');
      expect(params.get('long')).toHaveLength(6000);
      const tags = new Map((await read.tags()).map((t) => [t.key, t.value]));
      expect(tags.get('stage')).toBe('dev');
      expect(tags.get(MODEL_PROVENANCE.modelId)).toBe('m-src-1');
      expect(tags.get(MODEL_PROVENANCE.completed)).toBe('done');
      const metrics = (await read.metrics()).map((m) => [m.key, m.value, m.timestamp, Number(m.step), m.runId, m.datasetName ?? '', m.datasetDigest ?? '']);
      expect(metrics.sort()).toEqual([
        ['accuracy', 0.9, START, 0, runId, 'eval-set', '0cc175b9'],
        ['f1', 0.5, START + 1, 1, runId, '', ''],
      ]);
      const files = (await collect(read.files())).sort((a, b) => (a.path < b.path ? -1 : 1));
      expect(files).toMatchObject(FILES.map((f) => ({ path: f.path, size: f.bytes.length })).sort((a, b) => (a.path < b.path ? -1 : 1)));
      for (const file of FILES) expect(Buffer.compare(await readAll(await read.openFile(file.path)), file.bytes)).toBe(0);
    });

    it('keeps a FAILED model without a run, lists complete and partial copies, and discards partial ones for good', async ({ skip }) => {
      const { store, models } = await targetOf();
      if (!models) return skip('the backend does not write logged models');
      const failed = await models.createModel({ ...modelInit('m-src-2'), modelType: undefined });
      await failed.finish('FAILED', { key: MODEL_PROVENANCE.completed, value: 'done' });
      const partial = await models.createModel(modelInit('m-src-3'));
      await partial.writeFile('MLmodel', Readable.from([FILES[0]!.bytes]), FILES[0]!.bytes.length);

      const copies = await collect(models.listModelCopies());
      const bySource = new Map(copies.map((c) => [c.sourceModelId, c]));
      expect(bySource.get('m-src-2')).toMatchObject({ targetModelId: failed.modelId, complete: true, sourceProject: 'src-ws/src-project' });
      expect(bySource.get('m-src-3')).toMatchObject({ targetModelId: partial.modelId, complete: false });
      await models.discardModel(partial.modelId);
      expect((await collect(models.listModelCopies())).map((c) => c.sourceModelId)).toEqual(['m-src-2']);

      const listed = await collect(sourceModelsOf(await store.openSource(ref))!.listModels());
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ status: 'FAILED', name: 'model-m-src-2' });
      expect(listed[0]!.sourceRunId).toBeUndefined();
      expect(listed[0]!.modelType ?? '').toBe('');
    });

    it('links a run copy to models once, however often it is asked, and reads the links back', async ({ skip }) => {
      const { store, target, models } = await targetOf();
      if (!models) return skip('the backend does not write logged models');
      const runId = await finishedRun(target, 'src-run');
      const a = await models.createModel(modelInit('m-a', runId));
      await a.finish('READY', { key: MODEL_PROVENANCE.completed, value: 'done' });
      const b = await models.createModel(modelInit('m-b', runId));
      await b.finish('READY', { key: MODEL_PROVENANCE.completed, value: 'done' });
      const links = { outputs: [{ modelId: a.modelId, step: 3 }, { modelId: b.modelId, step: 0 }], inputs: [{ modelId: a.modelId }] };
      await models.linkRun(runId, links, [{ key: 'old_sys/model_inputs', value: '[{"model_id": "m-gone"}]' }]);
      await models.linkRun(runId, links, []);

      const source = await store.openSource(ref);
      const info = (await collect(source.listRuns({ includeDeleted: false }))).find((r) => r.runId === runId)!;
      const run = await source.openRun(info);
      const read = await run.modelLinks!();
      expect(read.outputs.map((o) => [o.modelId, Number(o.step)]).sort()).toEqual([[a.modelId, 3], [b.modelId, 0]].sort());
      expect(read.inputs).toEqual([{ modelId: a.modelId }]);
      expect((await run.tags()).find((t) => t.key === 'old_sys/model_inputs')?.value).toBe('[{"model_id": "m-gone"}]');
    });

    it('keeps registered models, version numbers (gaps too), tags, stages and aliases', async ({ skip }) => {
      const { store, target, models } = await targetOf();
      const registry = models ? await store.openTargetRegistry?.(workspace) : undefined;
      if (!registry || !models) return skip('the backend does not write a model registry');
      const runId = await finishedRun(target, 'src-run');
      const model = await models.createModel(modelInit('m-reg', runId));
      await model.finish('READY', { key: MODEL_PROVENANCE.completed, value: 'done' });
      await registry.createRegisteredModel({ name: 'conf-model', description: 'desc', tags: [{ key: 'domain', value: 'tabular' }], aliases: [] });
      expect(await registry.getRegisteredModel('missing-model')).toBeUndefined();
      const v1 = await registry.createVersion({ name: 'conf-model', source: `models:/${model.modelId}`, runId, modelId: model.modelId, description: 'first', tags: [{ key: 'owner', value: 'vision' }] }, 1);
      const v3 = await registry.createVersion({ name: 'conf-model', source: 's3://bucket/other', tags: [] }, 3);
      expect([v1, v3]).toEqual(['1', '3']);
      await registry.setStage('conf-model', '1', 'Staging');
      await registry.setVersionTags('conf-model', '3', [{ key: 'reviewed', value: 'yes' }]);
      await registry.setAlias('conf-model', 'champion', '3');
      await registry.setRegisteredModelTags('conf-model', [{ key: 'team', value: 'ml' }]);

      const reader = await store.openSourceRegistry!(workspace);
      const listed = await collect(reader.listRegisteredModels());
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ name: 'conf-model', description: 'desc', aliases: [{ alias: 'champion', version: '3' }] });
      expect(new Map(listed[0]!.tags.map((t) => [t.key, t.value]))).toEqual(new Map([['domain', 'tabular'], ['team', 'ml']]));
      const versions = (await reader.listVersions('conf-model')).sort((x, y) => Number(x.version) - Number(y.version));
      expect(versions.map((v) => [v.version, v.stage, v.source, v.runId ?? '', v.modelId ?? ''])).toEqual([
        ['1', 'Staging', `models:/${model.modelId}`, runId, model.modelId],
        ['3', 'None', 's3://bucket/other', '', ''],
      ]);
      expect(versions[0]).toMatchObject({ description: 'first', tags: [{ key: 'owner', value: 'vision' }] });
      expect(versions[1]!.tags).toEqual([{ key: 'reviewed', value: 'yes' }]);
      await registry.deleteVersion('conf-model', '3');
      expect((await reader.listVersions('conf-model')).map((v) => v.version)).toEqual(['1']);
    });
  });
}
