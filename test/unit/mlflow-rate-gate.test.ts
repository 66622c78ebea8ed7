/**
 * The request gate of an MLflow store on a virtual clock: pacing to --max-rps, one halving per
 * cooldown however many workers got the 429, gradual recovery and the two log notices, and the
 * dataset insert race recognised by its wording only.
 */
import { describe, expect, it } from 'vitest';
import { RateGate, type RateNotice } from '../../src/backends/mlflow/rate-gate.js';
import { isDatasetInsertRace } from '../../src/backends/mlflow/dataset-race.js';
import { MlflowRequestError } from '../../src/backends/mlflow/errors.js';
import { parseCopyArgs } from '../../src/cli/args.js';

function virtualClock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('RateGate', () => {
  it('lets N requests per second through, plus a burst of N/4', async () => {
    const clock = virtualClock();
    const gate = new RateGate({ maxRps: 40, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 410; i++) await gate.take();
    // 410 requests = a burst of 10 at once, then 400 at 40/s.
    expect(clock.now()).toBeCloseTo(10_000, -1);
  });

  it('halves once per cooldown when many workers see the same 429, then recovers step by step and says so', async () => {
    const clock = virtualClock();
    const notices: RateNotice[] = [];
    const gate = new RateGate({ maxRps: 40, now: clock.now, sleep: clock.sleep, cooldownMs: 1000, recoverAfterMs: 2000, onNotice: (n) => notices.push(n) });
    for (let i = 0; i < 8; i++) gate.slowDown('HTTP 429 on POST runs/log-batch');
    expect(gate.currentRate).toBe(20);
    expect(notices).toEqual([{ type: 'slowed', ratePerSecond: 20, reason: 'HTTP 429 on POST runs/log-batch' }]);
    clock.advance(1001);
    gate.slowDown('HTTP 503 on GET runs/get');
    expect(gate.currentRate).toBe(10);
    // Recovery: +N/4 per quiet 2 s, then back at the cap with a notice.
    const rates: number[] = [];
    for (let step = 0; step < 4; step++) {
      clock.advance(2001);
      await gate.take();
      rates.push(gate.currentRate!);
    }
    expect(rates).toEqual([20, 30, 40, 40]);
    expect(notices.at(-1)).toEqual({ type: 'recovered', ratePerSecond: 40 });
    expect(gate.slowed).toBe(false);
  });

  it('without a cap, paces at half the measured rate after a 429 and stops pacing once recovered', async () => {
    const clock = virtualClock();
    const notices: RateNotice[] = [];
    const gate = new RateGate({ now: clock.now, sleep: clock.sleep, onNotice: (n) => notices.push(n) });
    for (let i = 0; i < 200; i++) {
      await gate.take();
      clock.advance(10); // 100 requests per second, unpaced
    }
    expect(gate.currentRate).toBeUndefined();
    gate.slowDown('HTTP 429 on POST runs/create');
    // Half of the ~100/s measured over the last 2 s (in 100 ms slots, so a little under).
    expect(gate.currentRate).toBeGreaterThanOrEqual(45);
    expect(gate.currentRate).toBeLessThanOrEqual(50);
    for (let step = 0; step < 3; step++) {
      clock.advance(2001);
      await gate.take();
    }
    expect(gate.currentRate).toBeUndefined();
    expect(notices.map((n) => n.type)).toEqual(['slowed', 'recovered']);
  });
});

describe('isDatasetInsertRace', () => {
  const error = (status: number, code: string, text: string) => new MlflowRequestError(`failed: ${text}`, status, code, false, text);

  it('recognises the duplicate key on the datasets table, on SQLite and PostgreSQL', () => {
    expect(isDatasetInsertRace(error(400, 'BAD_REQUEST', '(sqlite3.IntegrityError) UNIQUE constraint failed: datasets.experiment_id, datasets.name, datasets.digest'))).toBe(true);
    expect(isDatasetInsertRace(error(400, 'BAD_REQUEST', '(psycopg2.errors.UniqueViolation) duplicate key value violates unique constraint "dataset_pk"'))).toBe(true);
  });

  it('leaves every other bad request alone', () => {
    expect(isDatasetInsertRace(error(400, 'INVALID_PARAMETER_VALUE', 'UNIQUE constraint failed: datasets.name'))).toBe(false);
    expect(isDatasetInsertRace(error(400, 'BAD_REQUEST', '(sqlite3.IntegrityError) UNIQUE constraint failed: inputs.input_uuid'))).toBe(false);
    expect(isDatasetInsertRace(error(500, 'BAD_REQUEST', 'UNIQUE constraint failed: datasets.name'))).toBe(false);
    expect(isDatasetInsertRace(new Error('UNIQUE constraint failed: datasets.name'))).toBe(false);
  });
});

describe('flags of a live migration', () => {
  const cwd = process.cwd();
  it('reads --watch, --until-idle, --max-rps and --all-workspaces', () => {
    const args = parseCopyArgs(['--all-projects', '--all-workspaces', '--watch', '30', '--until-idle', '3', '--max-rps', '12.5'], { cwd });
    expect(args).toMatchObject({ allProjects: true, allWorkspaces: true, watchSeconds: 30, untilIdle: 3, maxRps: 12.5 });
  });

  it('refuses values and combinations that cannot work, naming the flag', () => {
    expect(() => parseCopyArgs(['--watch', '0'], { cwd })).toThrow(/--watch must be a number above 0/);
    expect(() => parseCopyArgs(['--max-rps', 'fast'], { cwd })).toThrow(/--max-rps must be a number above 0/);
    expect(() => parseCopyArgs(['--until-idle', '2'], { cwd })).toThrow(/--until-idle needs --watch SECONDS/);
    expect(() => parseCopyArgs(['--watch', '5', '--until-idle', '1.5'], { cwd })).toThrow(/--until-idle must be a whole number/);
    expect(() => parseCopyArgs(['--watch', '5', '--dry-run'], { cwd })).toThrow(/--watch repeats a copy/);
    expect(() => parseCopyArgs(['--all-workspaces'], { cwd })).toThrow(/--all-workspaces goes with --all-projects/);
  });
});
