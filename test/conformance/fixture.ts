/**
 * What a backend gives the conformance suite (test/conformance/suite.ts). One fixture per
 * backend, registered in test/conformance/<kind>.test.ts:
 *
 *   import { describeConformance } from './suite.js';
 *   describeConformance(myFixture);
 */
import type { Store, TargetProject } from '../../src/backends/contract.js';
import type { ProjectMeta } from '../../src/model/run.js';
import type { ProjectRef } from '../../src/model/project-ref.js';

export interface ConformanceFixture {
  /** Backend kind, as Store.kind. */
  kind: string;
  /**
   * A fresh, empty store for one test (own temp dir / own server). Called once per test; the
   * suite closes the store and then calls `cleanup`.
   */
  open(): Promise<{ store: Store; cleanup(): Promise<void> }>;
  /**
   * For read-only backends: a writer that fills the store in its native format (a test-only
   * seeder behaving like TargetProject). Writable backends leave this out and the suite writes
   * through `store.openTarget`.
   */
  seed?(store: Store, ref: ProjectRef, meta: ProjectMeta): Promise<TargetProject>;
  /** The project names the suite may use (a store without workspaces accepts only `default`). */
  workspace?: string;
}
