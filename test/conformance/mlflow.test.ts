/**
 * The MLflow tracking-server backend against the conformance suite: a fresh stand-in server per
 * test (workspace 'default').
 */
import { createMlflowServerFactory } from '../../src/backends/mlflow/index.js';
import { startStandin } from '../support/mlflow-standin/index.js';
import type { ConformanceFixture } from './fixture.js';
import { describeConformance } from './suite.js';

const factory = createMlflowServerFactory({ retry: { backoffBaseMs: 20, jitterMs: 20 } });

const fixture: ConformanceFixture = {
  kind: 'mlflow',
  workspace: 'default',
  async open() {
    const standin = await startStandin();
    const store = await factory.open(standin.url, { credentials: {}, role: 'target' });
    return { store, cleanup: () => standin.close() };
  },
};

describeConformance(fixture);
