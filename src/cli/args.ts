/**
 * Flags of `runs-migrator copy`: parsed with node:util parseArgs, then checked one by one. Every
 * error names the flag it is about. A secret given on the command line is refused before anything
 * else is looked at, and its value is never repeated (argv is visible to other users through ps).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { RunFilters, Shard } from '../engine/types.js';
import { parseProjectRef, type ProjectRef } from '../model/project-ref.js';
import { RUN_STATUSES, type RunStatus } from '../model/run.js';
import { errorMessage, UsageError } from '../util/errors.js';

export const DEFAULT_WORKERS = 4;
export const MAX_WORKERS = 256;

export const COPY_OPTIONS = {
  'source-uri': { type: 'string' },
  'source-project': { type: 'string' },
  'target-uri': { type: 'string' },
  'target-project': { type: 'string' },
  'all-projects': { type: 'boolean' },
  'all-workspaces': { type: 'boolean' },
  watch: { type: 'string' },
  'until-idle': { type: 'string' },
  'max-rps': { type: 'string' },
  'target-artifact-location': { type: 'string' },
  'source-token-file': { type: 'string' },
  'target-token-file': { type: 'string' },
  workers: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'no-update': { type: 'boolean' },
  verify: { type: 'boolean' },
  registry: { type: 'boolean' },
  'step-multiplier': { type: 'string' },
  'run-id': { type: 'string', multiple: true },
  'run-name': { type: 'string' },
  tag: { type: 'string', multiple: true },
  since: { type: 'string' },
  until: { type: 'string' },
  status: { type: 'string', multiple: true },
  filter: { type: 'string' },
  'include-deleted': { type: 'boolean' },
  shard: { type: 'string' },
  'log-file': { type: 'string' },
  report: { type: 'string' },
  html: { type: 'string' },
  quiet: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

export const COPY_HELP = `Usage: runs-migrator copy [options]

Copies every run of a project (or the runs the filters select) to another project, exactly once:
a re-run skips completed copies and picks up new runs. Run without arguments on a terminal to be
asked for each value.

Where:
  --source-uri URI          source store (default: $MLFLOW_TRACKING_URI): http(s)://host[:port][/prefix],
                            a path or file: URI (mlruns), sqlite:///path/mlflow.db,
                            neptune-export:<data-path>[?files=<files-path>]
  --source-project WS/PROJ  source WORKSPACE/PROJECT (a bare name means default/<name>)
  --target-uri URI          target store (default: the source URI)
  --target-project WS/PROJ  target WORKSPACE/PROJECT (no default; created when missing)
  --all-projects            instead of the two above: every active project of the source, each
                            into the project of the same name (logs and reports per project);
                            from an MLflow server: every active experiment of workspace default
  --all-workspaces          with --all-projects from an MLflow server: every workspace, each into
                            the workspace of the same name (created on the target when missing)
  --target-artifact-location URI
                            where the files of a target project the copy creates go (s3://bucket/path,
                            wasbs://..., abfss://..., mlflow-artifacts:/..., a local path): relocation;
                            with --all-projects one folder per project below URI (docs/artifact-stores.md)

Credentials (never on the command line):
  env RUNS_MIGRATOR_SOURCE_TOKEN, or RUNS_MIGRATOR_SOURCE_USERNAME + _PASSWORD; same for TARGET;
  otherwise MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME + MLFLOW_TRACKING_PASSWORD
  --source-token-file PATH  read the source token from a file (chmod 600 it)
  --target-token-file PATH  read the target token from a file

Which runs:
  --run-id ID               only this run; repeatable; @FILE reads one id per line
  --run-name REGEX          run name matches the regular expression
  --tag KEY=VALUE           run has this tag; repeatable (all must match)
  --since TIME              started at or after TIME (ISO date or datetime, UTC unless an offset
  --until TIME              is given, or epoch milliseconds); --until is exclusive
  --status S                RUNNING|SCHEDULED|FINISHED|FAILED|KILLED; repeatable
  --filter EXPR             MLflow search filter, for sources that understand it
  --include-deleted         copy deleted runs too (as deleted runs)
  --shard I/N               copy only share I (0-based) of N; a parent and its children stay together

How:
  --workers N               runs copied in parallel (default ${DEFAULT_WORKERS})
  --dry-run                 print the plan and counts; write nothing (with copies there:
                            also what a sync would change in them)
  --watch SECONDS           copy again every SECONDS until SIGINT/SIGTERM (which end the pass in
                            flight cleanly, exit 0); one summary line per pass in the log
  --until-idle N            with --watch: stop after N passes in a row found nothing to do
  --max-rps N               at most N requests per second to each MLflow server (source and
                            target counted apart); on 429/503 the whole pool slows down anyway
  --no-update               leave complete copies as they are (a snapshot); by default a re-run
                            brings every copy up to date with its source (docs/sync.md)
  --verify                  after the copy, run \`runs-migrator verify\` on the same projects
  --registry                also copy (verify: compare) the registered models whose versions
                            point at the copied runs or logged models
  --step-multiplier N       Neptune archive source: step x N becomes the integer step (default 1);
                            same as &step_multiplier=N in the neptune-export: URI
  --log-file PATH           log file (default <source>_to_<target>_YYYYmmddHHMMSS.log here)
  --report PATH             JSON report (default: beside the log, .report.json)
  --html PATH               also write a one-file HTML report: every run's outcome, params, tags,
                            files and source-versus-copy curves (implies --verify)
  --quiet                   print only the summary
  --no-progress             plain lines instead of a progress bar
  --json                    print the JSON report on stdout
  -h, --help                this help
  --version                 print the version
`;

export interface CopyArgs {
  help: boolean;
  version: boolean;
  /** No argument at all was given (the interactive form, on a terminal). */
  empty: boolean;
  sourceUri?: string;
  sourceProject?: ProjectRef;
  targetUri?: string;
  targetProject?: ProjectRef;
  /** Copy every project of the source store, each to the project of the same name. */
  allProjects: boolean;
  /** With allProjects from an MLflow server: every workspace, not only the default one. */
  allWorkspaces: boolean;
  /** Repeat the copy every this many seconds (--watch). */
  watchSeconds?: number;
  /** With --watch: stop after this many passes in a row found nothing to do. */
  untilIdle?: number;
  /** Requests per second to each network store (--max-rps). */
  maxRps?: number;
  /** --target-artifact-location (relocation). */
  targetArtifactLocation?: string;
  sourceTokenFile?: string;
  targetTokenFile?: string;
  /** Undefined when not given: the caller applies DEFAULT_WORKERS (or asks). */
  workers?: number;
  dryRun: boolean;
  /** --no-update: complete copies are skipped, not brought up to date. */
  noUpdate: boolean;
  /** Run verify after the copy. */
  verify: boolean;
  /** Copy / verify the model registry entries of the project too. */
  registry: boolean;
  /** Neptune archive sources: decimal step x N = integer step. */
  stepMultiplier?: number;
  includeDeleted: boolean;
  filters: RunFilters;
  shard?: Shard;
  logFile?: string;
  report?: string;
  /** Write the HTML report here (src/report/). */
  html?: string;
  quiet: boolean;
  noProgress: boolean;
  json: boolean;
  /** Things worth saying that do not stop the command. */
  warnings: string[];
}

const SECRET_HINT =
  'command-line arguments are visible to other users (ps, shell history); put the token in ' +
  'RUNS_MIGRATOR_SOURCE_TOKEN / RUNS_MIGRATOR_TARGET_TOKEN (or _USERNAME/_PASSWORD), or in a file ' +
  'given with --source-token-file / --target-token-file';

/** The name of a flag that would carry a secret: --token, --password, --*-token, --*-password. */
function secretFlagName(arg: string): string | undefined {
  if (!arg.startsWith('--') || arg === '--') return undefined;
  const name = arg.slice(2).split('=', 1)[0]!.toLowerCase();
  if (name === 'token' || name === 'password' || name.endsWith('-token') || name.endsWith('-password')) {
    return `--${name}`;
  }
  return undefined;
}

/** Refuses a token or password given as a flag. The message names the flag, never the value. */
export function refuseSecretFlags(argv: string[]): void {
  for (const arg of argv) {
    if (arg === '--') return;
    const flag = secretFlagName(arg);
    if (flag) throw new UsageError(`refusing ${flag} on the command line: ${SECRET_HINT}`);
  }
}

/** node:util's messages, made to name the flag and to never repeat a value. */
function parseError(error: unknown): UsageError {
  const code = (error as { code?: string }).code;
  const message = errorMessage(error);
  const option = /'(-{1,2}[^' =]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option ${option ?? ''}`.trim());
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return new UsageError('unexpected argument: copy takes only --flags (see --help)');
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (option && /missing|ambiguous/.test(message)) return new UsageError(`${option} needs a value`);
    if (option) return new UsageError(`${option} is a switch and takes no value`);
  }
  return new UsageError(message.split('\n', 1)[0]!);
}

export function parseCopyArgs(argv: string[], options: { cwd: string }): CopyArgs {
  refuseSecretFlags(argv);
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: COPY_OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw parseError(error);
  }
  const args: CopyArgs = {
    help: values.help ?? false,
    version: values.version ?? false,
    empty: argv.length === 0,
    dryRun: values['dry-run'] ?? false,
    noUpdate: values['no-update'] ?? false,
    verify: values.verify ?? false,
    registry: values.registry ?? false,
    includeDeleted: values['include-deleted'] ?? false,
    allProjects: values['all-projects'] ?? false,
    allWorkspaces: values['all-workspaces'] ?? false,
    ...(values['target-artifact-location'] !== undefined ? { targetArtifactLocation: checkedArtifactLocation(values['target-artifact-location']) } : {}),
    quiet: values.quiet ?? false,
    noProgress: values['no-progress'] ?? false,
    json: values.json ?? false,
    filters: {},
    warnings: [],
  };
  if (args.help || args.version) return args;

  args.sourceUri = nonEmpty(values['source-uri'], '--source-uri');
  args.targetUri = nonEmpty(values['target-uri'], '--target-uri');
  if (values['source-project'] !== undefined) args.sourceProject = parseProject(values['source-project'], '--source-project');
  if (values['target-project'] !== undefined) args.targetProject = parseProject(values['target-project'], '--target-project');
  args.sourceTokenFile = nonEmpty(values['source-token-file'], '--source-token-file');
  args.targetTokenFile = nonEmpty(values['target-token-file'], '--target-token-file');
  if (values.workers !== undefined) args.workers = parseWorkers(values.workers, '--workers');
  if (values['step-multiplier'] !== undefined) args.stepMultiplier = parseStepMultiplier(values['step-multiplier']);
  if (values.shard !== undefined) args.shard = parseShard(values.shard);
  args.logFile = nonEmpty(values['log-file'], '--log-file');
  args.report = nonEmpty(values.report, '--report');
  args.html = nonEmpty(values.html, '--html');
  if (values.watch !== undefined) args.watchSeconds = parsePositive(values.watch, '--watch', { integer: false, max: 86_400 });
  if (values['until-idle'] !== undefined) args.untilIdle = parsePositive(values['until-idle'], '--until-idle', { integer: true, max: 1_000_000 });
  if (values['max-rps'] !== undefined) args.maxRps = parsePositive(values['max-rps'], '--max-rps', { integer: false, max: 1_000_000 });
  if (args.untilIdle !== undefined && args.watchSeconds === undefined) throw new UsageError('--until-idle needs --watch SECONDS');
  if (args.watchSeconds !== undefined && args.dryRun) throw new UsageError('--watch repeats a copy; a --dry-run writes nothing to repeat: give one of them');
  if (args.allWorkspaces && !args.allProjects) throw new UsageError('--all-workspaces goes with --all-projects');

  const filters = args.filters;
  if (values['run-id'] !== undefined) filters.runIds = readRunIds(values['run-id'], options.cwd);
  if (values['run-name'] !== undefined) filters.runName = parseRegExp(values['run-name'], '--run-name');
  if (values.tag !== undefined) filters.tags = values.tag.map(parseTag);
  if (values.since !== undefined) filters.since = parseTime(values.since, '--since', args.warnings);
  if (values.until !== undefined) filters.until = parseTime(values.until, '--until', args.warnings);
  if (filters.since !== undefined && filters.until !== undefined && filters.since >= filters.until) {
    throw new UsageError(`--since ${values.since} is not before --until ${values.until}: no run can match`);
  }
  if (values.status !== undefined) filters.statuses = [...new Set(values.status.map(parseStatus))];
  if (values.filter !== undefined) filters.nativeFilter = nonEmpty(values.filter, '--filter');
  return args;
}

function nonEmpty(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError(`${flag} is empty`);
  return value.trim();
}

export function parseProject(text: string, flag: string): ProjectRef {
  try {
    return parseProjectRef(text);
  } catch (error) {
    throw new UsageError(`${flag}: ${errorMessage(error)}`);
  }
}

export function parseWorkers(text: string, flag = '--workers'): number {
  const trimmed = text.trim();
  const value = /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_WORKERS) {
    throw new UsageError(`${flag} must be a whole number from 1 to ${MAX_WORKERS}, got "${text}"`);
  }
  return value;
}

/** A positive number (seconds, a rate, a count): whole when `integer`, at most `max`. */
export function parsePositive(text: string, flag: string, rule: { integer: boolean; max: number }): number {
  const trimmed = text.trim();
  const pattern = rule.integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const value = pattern.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isFinite(value) || value <= 0 || value > rule.max) {
    throw new UsageError(`${flag} must be a ${rule.integer ? 'whole ' : ''}number above 0 and at most ${rule.max}, got "${text}"`);
  }
  return value;
}

export function parseStepMultiplier(text: string): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > 1_000_000) {
    throw new UsageError(`--step-multiplier must be a whole number from 1 to 1000000, got "${text}"`);
  }
  return value;
}

/** `I/N`: this process copies share I (0-based) of N. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new UsageError(`--shard expects I/N (e.g. 0/4), got "${text}"`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) throw new UsageError(`--shard ${text}: N must be at least 1`);
  if (index >= count) throw new UsageError(`--shard ${text}: I is 0-based and must be less than N (0..${count - 1})`);
  return { index, count };
}

/** `KEY=VALUE`, split at the first `=`; the value may be empty. */
export function parseTag(text: string): { key: string; value: string } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--tag expects KEY=VALUE, got "${text}"`);
  return { key: text.slice(0, eq), value: text.slice(eq + 1) };
}

export function parseStatus(text: string): RunStatus {
  const upper = text.trim().toUpperCase();
  const status = RUN_STATUSES.find((candidate) => candidate === upper);
  if (!status) throw new UsageError(`--status must be one of ${RUN_STATUSES.join('|')}, got "${text}"`);
  return status;
}

export function parseRegExp(text: string, flag: string): RegExp {
  try {
    return new RegExp(text);
  } catch (error) {
    throw new UsageError(`${flag}: invalid regular expression: ${errorMessage(error)}`);
  }
}

/** Ids given with --run-id, where `@FILE` stands for the ids in FILE, one per line (# comments). */
export function readRunIds(values: string[], cwd: string): string[] {
  const ids: string[] = [];
  for (const value of values) {
    if (!value.startsWith('@')) {
      if (value.trim() === '') throw new UsageError('--run-id is empty');
      ids.push(value.trim());
      continue;
    }
    const file = value.slice(1);
    if (file === '') throw new UsageError('--run-id @FILE needs a file name after @');
    let text: string;
    try {
      text = readFileSync(resolve(cwd, file), 'utf8');
    } catch (error) {
      throw new UsageError(`--run-id ${value}: cannot read the file: ${(error as { code?: string }).code ?? errorMessage(error)}`);
    }
    const fromFile = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    if (fromFile.length === 0) throw new UsageError(`--run-id ${value}: the file holds no run id`);
    ids.push(...fromFile);
  }
  return [...new Set(ids)];
}

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A start-time bound as epoch ms: `2024-05-01`, `2024-05-01T12:30[:00[.123]]` (UTC unless it ends
 * in Z or an offset like +02:00), or epoch milliseconds (digits only).
 */
export function parseTime(text: string, flag: string, warnings: string[] = []): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const ms = Number(trimmed);
    if (!Number.isSafeInteger(ms)) throw new UsageError(`${flag} ${text}: epoch milliseconds out of range`);
    if (ms > 0 && ms < 100_000_000_000) {
      warnings.push(`${flag} ${trimmed} is read as epoch milliseconds (${new Date(ms).toISOString()}); for epoch seconds give ${trimmed}000`);
    }
    return ms;
  }
  const match = ISO_TIME.exec(trimmed);
  const bad = () =>
    new UsageError(`${flag} expects an ISO date or datetime (2024-05-01, 2024-05-01T12:30:00Z) or epoch milliseconds, got "${text}"`);
  if (!match) throw bad();
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) throw bad();
  if (hour > 23 || minute > 59 || second > 59) throw bad();
  let offset = 0;
  if (zone.toUpperCase() !== 'Z') {
    const zoneMatch = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const zoneHours = Number(zoneMatch[2]);
    const zoneMinutes = Number(zoneMatch[3]);
    if (zoneHours > 23 || zoneMinutes > 59) throw bad();
    offset = (zoneMatch[1] === '-' ? -1 : 1) * (zoneHours * 60 + zoneMinutes) * 60_000;
  }
  date.setUTCHours(hour, minute, second, Number(frac.padEnd(3, '0').slice(0, 3)));
  return date.getTime() - offset;
}

/** --target-artifact-location: a store URI without credentials (they come from the environment). */
function checkedArtifactLocation(uri: string): string {
  const trimmed = uri.trim().replace(/\/+$/, '');
  if (trimmed === '') throw new UsageError('--target-artifact-location needs a URI (s3://bucket/path, wasbs://..., a local path)');
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(trimmed) && !/^(wasbs?|abfss?):/i.test(trimmed)) {
    throw new UsageError('--target-artifact-location must not hold credentials: give them in the environment (AWS_*, AZURE_STORAGE_*)');
  }
  return trimmed;
}
