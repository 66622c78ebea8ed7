/**
 * The private temp directory (0700) a store's spill files live in, and their lifetime. A spill is
 * closed when the engine closes its run (SourceRun.close), else when the run object is garbage
 * collected or the store closes; the directory goes at store close or process exit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spill } from './spill.js';

/** Directories still to remove at process exit: one listener for all stores. */
const LIVE_DIRS = new Set<string>();
let exitHook = false;

function removeAtExit(dir: string): void {
  LIVE_DIRS.add(dir);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const live of LIVE_DIRS) rmSync(live, { recursive: true, force: true });
  });
}

export class TempSpace {
  private dir?: string;
  private readonly open = new Set<Spill>();
  private counter = 0;
  private readonly registry = new FinalizationRegistry<Spill>((spill) => this.release(spill));

  /** The directory (0700, as mkdtemp makes it), created on first use. */
  path(): string {
    if (!this.dir) {
      this.dir = mkdtempSync(join(tmpdir(), 'runs-migrator-neptune-'));
      removeAtExit(this.dir);
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
    LIVE_DIRS.delete(this.dir);
    this.dir = undefined;
  }
}
