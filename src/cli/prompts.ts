/**
 * The interactive form, asked like the seed did: source URI, source WORKSPACE/PROJECT, target URI
 * (default: source), target WORKSPACE/PROJECT, both credentials with hidden input (blank = what
 * the environment gives, or none), number of workers (blank = default). With some flags given on a
 * terminal only the missing required values are asked. The prompt functions are injected so the
 * flow is testable without a terminal.
 */
import type { Credentials } from '../backends/contract.js';
import type { ProjectRef } from '../model/project-ref.js';
import { parseProjectRef } from '../model/project-ref.js';
import { errorMessage } from '../util/errors.js';
import { DEFAULT_WORKERS, parseWorkers } from './args.js';
import type { ResolvedCredentials, Side } from './credentials.js';

export interface PromptFns {
  input(config: { message: string; default?: string; validate?: (value: string) => string | true }): Promise<string>;
  /** Hidden input. */
  password(config: { message: string }): Promise<string>;
}

/** The real prompts (@inquirer/prompts), loaded only when asked, writing to `output`. */
export function inquirerPrompts(output?: NodeJS.WritableStream): PromptFns {
  const context = output ? { output } : undefined;
  return {
    async input(config) {
      const { input } = await import('@inquirer/prompts');
      return input(config, context);
    },
    async password(config) {
      const { password } = await import('@inquirer/prompts');
      return password({ message: config.message, mask: false }, context);
    },
  };
}

export interface AskState {
  /** Ask everything, the seed's way (no argument was given); else only the missing values. */
  full: boolean;
  sourceUri?: string;
  sourceProject?: ProjectRef;
  targetUri?: string;
  targetProject?: ProjectRef;
  /** Offered as the answer to a blank source URI (MLFLOW_TRACKING_URI). */
  defaultSourceUri?: string;
  credentials: Record<Side, ResolvedCredentials>;
}

export interface CopyAnswers {
  sourceUri: string;
  sourceProject: ProjectRef;
  targetUri: string;
  targetProject: ProjectRef;
  /** Only when asked and answered. */
  workers?: number;
  /** Only when typed in; blank keeps the environment's credentials. */
  sourceCredentials?: Credentials;
  targetCredentials?: Credentials;
}

const nonEmpty = (value: string): string | true => (value.trim() === '' ? 'a value is needed' : true);

const validProject = (value: string): string | true => {
  try {
    parseProjectRef(value);
    return true;
  } catch (error) {
    return errorMessage(error);
  }
};

export async function askCopySettings(prompts: PromptFns, state: AskState): Promise<CopyAnswers> {
  const sourceUri =
    state.sourceUri ??
    (await prompts.input({ message: 'Source URI', default: state.defaultSourceUri, validate: nonEmpty })).trim();
  const sourceProject =
    state.sourceProject ??
    parseProjectRef(await prompts.input({ message: 'Source project (WORKSPACE/PROJECT)', validate: validProject }));
  let targetUri = state.targetUri;
  if (targetUri === undefined) {
    targetUri = state.full
      ? (await prompts.input({ message: 'Target URI', default: sourceUri, validate: nonEmpty })).trim()
      : sourceUri;
  }
  const targetProject =
    state.targetProject ??
    parseProjectRef(
      await prompts.input({ message: 'Target project (WORKSPACE/PROJECT)', validate: validProject }),
    );
  const answers: CopyAnswers = { sourceUri, sourceProject, targetUri, targetProject };
  if (!state.full) return answers;

  const sourceCredentials = await askSecret(prompts, 'Source', state.credentials.source);
  if (sourceCredentials) answers.sourceCredentials = sourceCredentials;
  const targetCredentials = await askSecret(prompts, 'Target', state.credentials.target);
  if (targetCredentials) answers.targetCredentials = targetCredentials;

  const workers = await prompts.input({
    message: `Number of workers (blank = ${DEFAULT_WORKERS})`,
    validate: (value) => {
      if (value.trim() === '') return true;
      try {
        parseWorkers(value, 'workers');
        return true;
      } catch (error) {
        return errorMessage(error);
      }
    },
  });
  if (workers.trim() !== '') answers.workers = parseWorkers(workers, 'workers');
  return answers;
}

/**
 * A token, or the password of the user named in the environment. Blank keeps what the
 * environment gives (or nothing).
 */
async function askSecret(prompts: PromptFns, label: string, resolved: ResolvedCredentials): Promise<Credentials | undefined> {
  const username = resolved.credentials.username;
  const fallback = resolved.origin === 'none' ? 'none' : resolved.origin;
  const message = username
    ? `${label} password for ${username} (hidden; blank = ${fallback})`
    : `${label} token (hidden; blank = ${fallback})`;
  const answer = await prompts.password({ message });
  if (answer === '') return undefined;
  return username ? { username, password: answer } : { token: answer };
}
