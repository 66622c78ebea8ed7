/**
 * Reads logged-model copies back through the target store's own reader (as verify does), for a
 * sync to compare them with their sources. The target is opened and its models listed once, on
 * first use: a pass where no model's token moved never opens it.
 */
import type { SourceProject, Store } from '../../backends/contract.js';
import { sourceModelsOf, type LoggedModelInfo, type SourceModel } from '../../backends/model-contract.js';
import type { ProjectRef } from '../../model/project-ref.js';

export class ModelCopyReader {
  private opened: Promise<{ project: SourceProject; models: Map<string, LoggedModelInfo> }> | undefined;

  constructor(private readonly store: Store, private readonly ref: ProjectRef) {}

  async open(targetModelId: string): Promise<SourceModel> {
    this.opened ??= (async () => {
      const project = await this.store.openSource(this.ref);
      const models = new Map<string, LoggedModelInfo>();
      const reader = sourceModelsOf(project);
      if (reader) for await (const info of reader.listModels()) models.set(info.modelId, info);
      return { project, models };
    })();
    const { project, models } = await this.opened;
    const info = models.get(targetModelId);
    const reader = sourceModelsOf(project);
    if (!info || !reader) throw new Error(`the copy ${targetModelId} cannot be read back from the target`);
    return reader.openModel(info);
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (opened) await (await opened.catch(() => undefined))?.project.close?.();
  }
}
