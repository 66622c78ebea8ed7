/**
 * The way to run at scale (docs/scale.md) without Docker or Kubernetes on this machine: the
 * Indexed Job's manifest is read as Kubernetes would read it, its command line goes through the
 * CLI's own argument parser once per index, and the Dockerfile is read step by step against the
 * README's install and what the CLI needs at run time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseCopyArgs } from '../../src/cli/args.js';
import { COMMANDS } from '../../src/cli/main.js';

const root = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: unknown[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: unknown;
}
interface IndexedJob {
  apiVersion: string;
  kind: string;
  spec: {
    completionMode?: string;
    completions?: number;
    parallelism?: number;
    template: { spec: { restartPolicy?: string; securityContext?: { runAsNonRoot?: boolean; runAsUser?: number }; containers: Container[]; volumes?: Volume[] } };
  };
}

function loadJob(): IndexedJob {
  const documents = parseAllDocuments(read('deploy/k8s/indexed-job.yaml'));
  expect(documents).toHaveLength(1);
  const document = documents[0]!;
  if (!('errors' in document)) throw new Error('the manifest is empty');
  expect(document.errors).toEqual([]);
  return document.toJS() as IndexedJob;
}

/** What the kubelet does with `$(NAME)` in args: the container's environment variable's value. */
function expandArgs(args: string[], env: Record<string, string>): string[] {
  return args.map((arg) =>
    arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => {
      if (!(name in env)) throw new Error(`${whole} in args names no environment variable of the container`);
      return env[name]!;
    }),
  );
}

const CREDENTIAL_NAME = /TOKEN|PASSWORD|USERNAME|SECRET|PGPASS/i;

describe('deploy/k8s/indexed-job.yaml', () => {
  const job = loadJob();
  const pod = job.spec.template.spec;
  const container = pod.containers[0]!;
  const args = container.args ?? [];
  const shardArg = args.find((arg) => arg.startsWith('--shard'));
  const shardCount = Number(/\/(\d+)$/.exec(shardArg ?? '')?.[1]);

  it('is an Indexed Job whose completions and parallelism equal the N of --shard $(JOB_COMPLETION_INDEX)/N', () => {
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.kind).toBe('Job');
    expect(job.spec.completionMode).toBe('Indexed');
    expect(pod.containers).toHaveLength(1);
    expect(shardArg).toMatch(/^--shard[= ]\$\(JOB_COMPLETION_INDEX\)\/\d+$/);
    expect(shardCount).toBeGreaterThan(1);
    expect(job.spec.completions).toBe(shardCount);
    expect(job.spec.parallelism).toBe(shardCount);
    expect(pod.restartPolicy).toBe('Never');
  });

  it('runs a command the CLI accepts, once per index, each index copying its own share', () => {
    // The image's ENTRYPOINT is the CLI, so the container gives only arguments.
    expect(container.command).toBeUndefined();
    const [command, ...rest] = args;
    expect(command).toBe('copy');
    expect(Object.hasOwn(COMMANDS, command!)).toBe(true);
    const logFiles = new Set<string>();
    const reports = new Set<string>();
    for (let index = 0; index < shardCount; index++) {
      const parsed = parseCopyArgs(expandArgs(rest, { JOB_COMPLETION_INDEX: String(index) }), { cwd: '/data' });
      expect(parsed.shard).toEqual({ index, count: shardCount });
      expect(parsed.sourceUri).toBeDefined();
      expect(parsed.targetUri).toBeDefined();
      expect(parsed.sourceProject).toBeDefined();
      expect(parsed.targetProject).toBeDefined();
      expect(parsed.dryRun).toBe(false);
      logFiles.add(parsed.logFile!);
      reports.add(parsed.report!);
    }
    // Each index writes its own log and report: none overwrites another's.
    expect(logFiles.size).toBe(shardCount);
    expect(reports.size).toBe(shardCount);
  });

  it('names JOB_COMPLETION_INDEX from the pod annotation the Job controller sets', () => {
    const index = container.env?.find((variable) => variable.name === 'JOB_COMPLETION_INDEX');
    expect(index?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.annotations['batch.kubernetes.io/job-completion-index']");
  });

  it('takes credentials only from a Secret, as environment variables, never in args', () => {
    const credentials = (container.env ?? []).filter((variable) => CREDENTIAL_NAME.test(variable.name));
    expect(credentials.map((variable) => variable.name).sort()).toEqual(['RUNS_MIGRATOR_SOURCE_TOKEN', 'RUNS_MIGRATOR_TARGET_TOKEN']);
    for (const variable of credentials) {
      expect(variable.value).toBeUndefined();
      expect(variable.valueFrom?.secretKeyRef?.name).toBeTruthy();
      expect(variable.valueFrom?.secretKeyRef?.key).toBeTruthy();
    }
    // Every other variable is plain configuration, and nothing is pulled in wholesale.
    expect(container.envFrom).toBeUndefined();
    for (const arg of args) expect(arg).not.toMatch(/token|password|secret/i);
    // No credential in a URI either (user:password@host).
    for (const arg of args) expect(arg).not.toMatch(/:\/\/[^/@\s]*:[^/@\s]*@/);
  });

  it('writes the log and the report on a persistent volume, and spools on scratch space', () => {
    const mounts = container.volumeMounts ?? [];
    const volumeAt = (path: string) => {
      const mount = mounts.find((candidate) => path.startsWith(`${candidate.mountPath.replace(/\/$/, '')}/`));
      return pod.volumes?.find((volume) => volume.name === mount?.name);
    };
    const parsed = parseCopyArgs(expandArgs(args.slice(1), { JOB_COMPLETION_INDEX: '0' }), { cwd: '/data' });
    expect(volumeAt(parsed.logFile!)?.persistentVolumeClaim?.claimName).toBeTruthy();
    expect(volumeAt(parsed.report!)?.persistentVolumeClaim?.claimName).toBeTruthy();
    const tmpdir = container.env?.find((variable) => variable.name === 'TMPDIR')?.value;
    expect(tmpdir).toBeDefined();
    expect(volumeAt(`${tmpdir}/spool`)?.emptyDir).toBeDefined();
  });

  it('runs as a non-root user, the one the image declares', () => {
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).toBe(1000); // `node` in node:20-slim
  });
});

/** Dockerfile instructions, continuation lines joined, comments dropped, with their stage. */
function dockerfileSteps(text: string): { stage: number; instruction: string; rest: string }[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const steps: { stage: number; instruction: string; rest: string }[] = [];
  let stage = -1;
  for (const line of joined.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = /^(\S+)\s+(.*)$/.exec(trimmed);
    if (!match) continue;
    const instruction = match[1]!.toUpperCase();
    if (instruction === 'FROM') stage++;
    steps.push({ stage, instruction, rest: match[2]! });
  }
  return steps;
}

describe('Dockerfile', () => {
  const steps = dockerfileSteps(read('Dockerfile'));
  const finalStage = Math.max(...steps.map((step) => step.stage));
  const final = steps.filter((step) => step.stage === finalStage);
  const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; bin: Record<string, string>; files: string[] };
  const readme = read('README.md');

  it('builds on the Node major the README and package.json ask for, slim', () => {
    const nodeMajor = /(\d+)\./.exec(pkg.engines.node)![1];
    expect(readme).toContain(`Node >= ${pkg.engines.node.replace(/^>=\s*/, '')}`);
    const bases = steps.filter((step) => step.instruction === 'FROM').map((step) => step.rest.split(/\s+/)[0]);
    expect(bases.length).toBeGreaterThanOrEqual(2);
    for (const base of bases) expect(base).toBe(`node:${nodeMajor}-slim`);
  });

  it("installs as the README's install does (npm ci, which builds dist/), then only production dependencies", () => {
    expect(readme).toMatch(/^npm ci\b/m);
    const buildRuns = steps.filter((step) => step.stage < finalStage && step.instruction === 'RUN').map((step) => step.rest);
    expect(buildRuns.some((run) => /\bnpm ci\b/.test(run) && !/--omit=dev/.test(run))).toBe(true);
    const finalRuns = final.filter((step) => step.instruction === 'RUN').map((step) => step.rest);
    const install = finalRuns.find((run) => /\bnpm ci\b/.test(run));
    expect(install).toMatch(/--omit=dev/);
    // `prepare` runs tsc, a devDependency: it must not run where tsc is not installed.
    expect(install).toMatch(/--ignore-scripts/);
  });

  it('ships everything package.json "files" names, from the build stage where it is built', () => {
    const copies = final.filter((step) => step.instruction === 'COPY').map((step) => step.rest);
    for (const entry of pkg.files) {
      expect(copies.some((copy) => copy.split(/\s+/).some((part) => part.replace(/\/$/, '') === entry || part.endsWith(`/${entry}`)))).toBe(true);
    }
    expect(copies.some((copy) => copy.startsWith('--from=') && /\/dist\b/.test(copy))).toBe(true);
  });

  it('brings the native build of every production dependency with an install script from the build stage', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }> };
    const native = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.hasInstallScript && !entry.dev)
      .map(([path]) => path);
    expect(native.length).toBeGreaterThan(0);
    const copies = final.filter((step) => step.instruction === 'COPY').map((step) => step.rest);
    for (const path of native) expect(copies.some((copy) => copy.startsWith('--from=') && copy.includes(`${path}/build`))).toBe(true);
  });

  it("runs as a non-root user, with the CLI's bin as the entrypoint", () => {
    const userIndex = final.findIndex((step) => step.instruction === 'USER');
    const entrypointIndex = final.findIndex((step) => step.instruction === 'ENTRYPOINT');
    expect(userIndex).toBeGreaterThanOrEqual(0);
    expect(['root', '0']).not.toContain(final[userIndex]!.rest.split(':')[0]);
    expect(entrypointIndex).toBeGreaterThan(userIndex);
    const entrypoint = JSON.parse(final[entrypointIndex]!.rest) as string[];
    expect(entrypoint[0]).toBe('node');
    expect(entrypoint.at(-1)).toMatch(new RegExp(`/${pkg.bin['runs-migrator']!.replace(/\./g, '\\.')}$`));
  });
});
