/**
 * Migrating a server in use (issue 20): --max-rps held at the stand-in over a 10 s window, a target
 * that answers 429 under load where the pool backs off and the copy still completes, the dataset
 * insert race on runs/log-inputs, and --watch with --until-idle and with SIGTERM.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';
import { runCli, startCli, tempDir } from '../support/cli-process.js';

const servers: StandinServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function standin(options: Parameters<typeof startStandin>[0] = {}): Promise<StandinServer> {
  const server = await startStandin(options);
  servers.push(server);
  return server;
}

function runs(count: number, extra: (i: number) => Partial<SeedRun> = () => ({})): SeedRun[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `run-${i}`,
    startTime: 1_700_000_000_000 + i * 1000,
    endTime: 1_700_000_000_500 + i * 1000,
    status: 'FINISHED' as const,
    params: { lr: String(i) },
    tags: { team: 'a' },
    metrics: { loss: [{ value: 1 / (i + 1), timestamp: 1_700_000_000_100 + i, step: 0 }] },
    ...extra(i),
  }));
}

function logText(cwd: string): string {
  return readdirSync(cwd)
    .filter((name) => name.endsWith('.log'))
    .map((name) => readFileSync(join(cwd, name), 'utf8'))
    .join('');
}

/** Samples a stand-in's request count every 100 ms while `work` runs. */
async function sampled<T>(server: StandinServer, work: Promise<T>): Promise<{ result: T; samples: Array<{ t: number; n: number }> }> {
  const samples: Array<{ t: number; n: number }> = [];
  const timer = setInterval(() => samples.push({ t: performance.now(), n: server.stats().requests }), 100);
  try {
    const result = await work;
    samples.push({ t: performance.now(), n: server.stats().requests });
    return { result, samples };
  } finally {
    clearInterval(timer);
  }
}

/** The most requests seen within any `windowMs` of the samples (sample-grid resolution). */
function busiestWindow(samples: Array<{ t: number; n: number }>, windowMs: number): { count: number; spanMs: number } {
  let best = { count: 0, spanMs: 0 };
  let j = 0;
  for (let i = 0; i < samples.length; i++) {
    while (samples[i]!.t - samples[j]!.t > windowMs) j++;
    const count = samples[i]!.n - samples[j]!.n;
    if (count > best.count) best = { count, spanMs: samples[i]!.t - samples[j]!.t };
  }
  return best;
}

describe('--max-rps', () => {
  it('holds the target to N requests per second over a 10 s window, source counted apart', async () => {
    const source = await standin();
    const target = await standin();
    await seedProject(new MlflowApi(source.url), 'paced', runs(120));
    const cwd = tempDir('max-rps');
    const maxRps = 20;
    const seeded = source.stats().requests;
    const { result, samples } = await sampled(
      target,
      runCli(['copy', '--source-uri', source.url, '--source-project', 'paced', '--target-uri', target.url, '--target-project', 'paced', '--workers', '8', '--max-rps', String(maxRps), '--no-progress'], { cwd }),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Copied 120, skipped 0 \(already copied\), failed 0/);
    const total = target.stats().requests;
    const elapsed = samples.at(-1)!.t - samples[0]!.t;
    // The copy needed more than 10 s at the cap, so a full window exists.
    expect(elapsed).toBeGreaterThan(10_000);
    const window = busiestWindow(samples, 10_000);
    console.log(`--max-rps ${maxRps}: ${total} target requests in ${(elapsed / 1000).toFixed(1)} s; busiest 10 s window: ${window.count} (${(window.count / 10).toFixed(1)}/s); source: ${source.stats().requests - seeded} requests`);
    // The source has its own gate: its requests are held to the cap on their own.
    expect(source.stats().requests - seeded).toBeLessThanOrEqual((maxRps * elapsed) / 1000 + maxRps / 4 + 2);
    // N per second over 10 s, plus the burst a token bucket allows (N/4) and one sample of slack.
    expect(window.count).toBeLessThanOrEqual(maxRps * 10 + maxRps / 4 + 2);
    // ...and the cap is used, not undershot: the busiest 10 s carried at least 80 % of it.
    expect(window.count).toBeGreaterThanOrEqual(maxRps * 10 * 0.8);
    expect(total).toBeGreaterThan(maxRps * 10);
  }, 120_000);
});

describe('a server that answers 429 under load', () => {
  it('slows the whole pool down, says so in the log, and the copy completes and verifies', async () => {
    const source = await standin();
    const target = await standin({ faults: { rate: 0, overloadRps: 25, retryAfterSeconds: 1 } });
    await seedProject(new MlflowApi(source.url), 'busy', runs(40));
    const cwd = tempDir('overload');
    const result = await runCli(
      ['copy', '--source-uri', source.url, '--source-project', 'busy', '--target-uri', target.url, '--target-project', 'busy', '--workers', '16', '--verify', '--no-progress'],
      { cwd },
    );
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toMatch(/Copied 40, skipped 0 \(already copied\), failed 0/);
    expect(result.stdout).toContain('Verify clean');
    expect(target.stats().faults['429'] ?? 0).toBeGreaterThan(0);
    const log = logText(cwd);
    expect(log).toMatch(/target http:\/\/127\.0\.0\.1:\d+ is overloaded \(HTTP 429 on [A-Z]+ [^)]+\): the whole pool slows down to [\d.]+ requests\/s/);
  }, 120_000);
});

describe('the dataset insert race on runs/log-inputs', () => {
  it('copies every run of runs that log one dataset at the same moment (the server answers 400 to all but one)', async () => {
    const source = await standin();
    // Every first insert of a dataset stays open 300 ms: concurrent runs logging it lose the race.
    const target = await standin({ faults: { rate: 0, datasetRaceMs: 300 } });
    const dataset = { name: 'shared-train', digest: 'd1g3st', context: 'training' };
    await seedProject(new MlflowApi(source.url), 'raced', runs(8, () => ({ dataset })));
    const cwd = tempDir('dataset-race');
    const result = await runCli(
      ['copy', '--source-uri', source.url, '--source-project', 'raced', '--target-uri', target.url, '--target-project', 'raced', '--workers', '8', '--verify', '--no-progress'],
      { cwd },
    );
    // The race happened (so the test is not vacuous) and no run failed of it.
    expect(target.stats().datasetRaces ?? 0).toBeGreaterThan(0);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Copied 8, skipped 0 \(already copied\), failed 0/);
    expect(result.stdout).toContain('Verify clean');
    const api = new MlflowApi(target.url);
    const copies = await api.searchRuns((await api.experimentId('raced'))!);
    expect(copies).toHaveLength(8);
    for (const run of copies) {
      const inputs = (run.inputs?.dataset_inputs ?? []) as Array<{ dataset: { name: string; digest: string } }>;
      expect(inputs.map((i) => `${i.dataset.name}@${i.dataset.digest}`)).toEqual(['shared-train@d1g3st']);
    }
  }, 120_000);
});

describe('copy --watch', () => {
  it('repeats the copy, logs one line per pass, and with --until-idle 2 stops after two idle passes', async () => {
    const source = await standin();
    const target = await standin();
    await seedProject(new MlflowApi(source.url), 'watched', runs(3));
    const cwd = tempDir('watch-idle');
    const result = await runCli(
      ['copy', '--source-uri', source.url, '--source-project', 'watched', '--target-uri', target.url, '--target-project', 'watched', '--watch', '0.5', '--until-idle', '2', '--no-progress'],
      { cwd },
    );
    expect(result.code, result.stderr).toBe(0);
    const logs = readdirSync(cwd).filter((name) => name.endsWith('.log'));
    expect(logs).toHaveLength(1); // every pass appends to one log
    const log = logText(cwd);
    expect(log).toMatch(/Watch pass 1: copied 3, updated 0, skipped 0, failed 0/);
    expect(log).toMatch(/Watch pass 2: copied 0, updated 0, skipped 3, failed 0 .*\(idle 1\/2\)/);
    expect(log).toMatch(/Watch pass 3: copied 0, updated 0, skipped 3, failed 0 .*\(idle 2\/2\)/);
    expect(log).not.toContain('Watch pass 4');
    expect(log).toContain('Watch stopped: 2 passes in a row found nothing to do');
  }, 120_000);

  it('picks up runs created between passes', async () => {
    const source = await standin();
    const target = await standin();
    const api = new MlflowApi(source.url);
    await seedProject(api, 'growing', runs(2));
    const cwd = tempDir('watch-grow');
    const { child, done } = startCli(
      ['copy', '--source-uri', source.url, '--source-project', 'growing', '--target-uri', target.url, '--target-project', 'growing', '--watch', '0.5', '--until-idle', '3', '--no-progress'],
      { cwd },
    );
    // Once the first pass is logged, a new run appears in the source.
    for (let i = 0; i < 200 && !/Watch pass 1:/.test(logText(cwd)); i++) await new Promise((r) => setTimeout(r, 100));
    const experimentId = (await api.experimentId('growing'))!;
    await api.call('POST', 'runs/create', { experiment_id: experimentId, run_name: 'late', start_time: 1_700_000_100_000 });
    const result = await done;
    expect(child.exitCode).toBe(0);
    expect(result.code, result.stderr).toBe(0);
    const log = logText(cwd);
    expect(log).toMatch(/Watch pass 1: copied 2,/);
    expect(log).toMatch(/Watch pass \d+: copied 1, updated 0, skipped 2, failed 0/);
    const copies = await new MlflowApi(target.url).searchRuns((await new MlflowApi(target.url).experimentId('growing'))!);
    expect(copies.map((r) => r.info.run_name).sort()).toEqual(['late', 'run-0', 'run-1']);
  }, 120_000);

  it('on SIGTERM during a pass finishes that pass (every run completed) and exits 0', async () => {
    const source = await standin();
    const target = await standin();
    await seedProject(new MlflowApi(source.url), 'draining', runs(15));
    const cwd = tempDir('watch-drain');
    // --max-rps 4 makes the pass take several seconds, so the signal lands in the middle of it.
    const { child, done } = startCli(
      ['copy', '--source-uri', source.url, '--source-project', 'draining', '--target-uri', target.url, '--target-project', 'draining', '--watch', '60', '--max-rps', '4', '--workers', '4', '--no-progress'],
      { cwd },
    );
    for (let i = 0; i < 300 && (target.stats().byRoute['runs/create'] ?? 0) < 2; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    const result = await done;
    const log = logText(cwd);
    expect(result.code, `${result.code} ${result.signal} ${result.stderr}\n${log}`).toBe(0);
    expect(log).toContain('SIGTERM: finishing this pass');
    expect(log).toMatch(/Watch pass 1: copied 15, updated 0, skipped 0, failed 0/);
    expect(log).toMatch(/SIGTERM: the pass in flight finished; watch stopped after 1 pass\b/);
    // Every run is a complete copy: a plain copy afterwards has nothing left to do.
    const check = await runCli(['copy', '--source-uri', source.url, '--source-project', 'draining', '--target-uri', target.url, '--target-project', 'draining', '--no-progress', '--verify'], { cwd });
    expect(check.stdout).toMatch(/Copied 0, skipped 15 /);
    expect(check.stdout).toContain('Verify clean');
  }, 120_000);

  it('ends at once when the first pass cannot start (an experiment that does not exist), with the copy\'s exit code', async () => {
    const source = await standin();
    const target = await standin();
    const cwd = tempDir('watch-bad-input');
    const plain = await runCli(['copy', '--source-uri', source.url, '--source-project', 'nope', '--target-uri', target.url, '--target-project', 'nope', '--no-progress'], { cwd });
    const watched = await runCli(['copy', '--source-uri', source.url, '--source-project', 'nope', '--target-uri', target.url, '--target-project', 'nope', '--watch', '0.2', '--no-progress'], { cwd });
    expect(plain.code).not.toBe(0);
    expect(watched.code).toBe(plain.code);
    expect(watched.stderr).toContain("experiment 'nope' not found");
    expect(logText(cwd)).not.toContain('Watch pass 2');
  }, 60_000);

  it('stops on SIGTERM between passes with exit code 0', async () => {
    const source = await standin();
    const target = await standin();
    await seedProject(new MlflowApi(source.url), 'stopped', runs(2));
    const cwd = tempDir('watch-sigterm');
    const { child, done } = startCli(
      ['copy', '--source-uri', source.url, '--source-project', 'stopped', '--target-uri', target.url, '--target-project', 'stopped', '--watch', '60', '--no-progress'],
      { cwd },
    );
    for (let i = 0; i < 300 && !/Watch pass 1:/.test(logText(cwd)); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const result = await done;
    expect(result.code, `${result.code} ${result.signal} ${result.stderr}\n${logText(cwd)}`).toBe(0);
    expect(logText(cwd)).toMatch(/SIGTERM: watch stopped between passes after 1 pass\b/);
  }, 120_000);
});
