/**
 * The private temp directory (0700) a store's spill files live in, and their lifetime. The
 * contract has no `SourceRun.close()`, so a spill is closed when the store closes, or earlier when
 * its run object is garbage collected; the directory goes at store close or process exit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spill } from './spill.js';

export class TempSpace {
  private dir?: string;
  private readonly open = new Set<Spill>();
  private counter = 0;
  private readonly registry = new FinalizationRegistry<Spill>((spill) => this.release(spill));
  private readonly onExit = (): void => this.removeDir();

  /** The directory, created on first use. */
  path(): string {
    if (!this.dir) {
      this.dir = mkdtempSync(join(tmpdir(), 'runs-migrator-neptune-'));
      process.once('exit', this.onExit);
    }
    return this.dir;
  }

  nextName(): string {
    return `run-${process.pid}-${++this.counter}.spill`;
  }

  /** Tracks a spill; it is closed when `owner` is collected or at close(). */
  track(spill: Spill, owner: object): void {
    this.open.add(spill);
    this.registry.register(owner, spill, spill);
  }

  release(spill: Spill): void {
    spill.close();
    this.open.delete(spill);
    this.registry.unregister(spill);
  }

  close(): void {
    for (const spill of this.open) spill.close();
    this.open.clear();
    this.removeDir();
  }

  private removeDir(): void {
    if (!this.dir) return;
    rmSync(this.dir, { recursive: true, force: true });
    process.removeListener('exit', this.onExit);
    this.dir = undefined;
  }
}
