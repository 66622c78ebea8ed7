/**
 * A race MLflow leaves to its clients: two runs of one experiment logging the same dataset at the
 * same moment both see it missing and both insert it; the second insert breaks the `datasets`
 * primary key (experiment_id, name, digest) and the server answers HTTP 400 BAD_REQUEST with the
 * SQLAlchemy IntegrityError as its message (mlflow/store/db/utils.py maps every non-operational
 * SQLAlchemyError to BAD_REQUEST). Nothing of that request was written (its transaction rolled
 * back), and by then the dataset exists, so the same request sent again reuses it.
 *
 * So on that answer, and only on runs/log-inputs: read the run back (the inputs may be there
 * already, e.g. an earlier attempt that did land), and log what is still missing again.
 */
import type { DatasetInput } from '../../model/run.js';
import { MlflowRequestError } from './errors.js';

/** The wording of a duplicate key on SQLite, PostgreSQL and MySQL, as SQLAlchemy prints it. */
const DUPLICATE_KEY = /IntegrityError|UniqueViolation|UNIQUE constraint failed|duplicate key value|Duplicate entry/i;
const DATASETS_TABLE = /\bdatasets\b|dataset_pk/i;

/** True for the server's answer to the dataset insert race (never for a plain bad request). */
export function isDatasetInsertRace(error: unknown): boolean {
  if (!(error instanceof MlflowRequestError)) return false;
  if (error.status !== 400 || error.errorCode !== 'BAD_REQUEST') return false;
  return DUPLICATE_KEY.test(error.serverText) && DATASETS_TABLE.test(error.serverText);
}

/** name + digest + context: what makes two inputs of a run the same input. */
export function inputKey(input: DatasetInput): string {
  const context = input.tags.find((t) => t.key === 'mlflow.data.context')?.value ?? '';
  return `${input.dataset.name}\u0000${input.dataset.digest}\u0000${context}`;
}

export interface RaceRetry {
  /** Sends runs/log-inputs for these inputs. */
  send(inputs: DatasetInput[]): Promise<void>;
  /** The run's inputs as the server has them now (runs/get). */
  readBack(): Promise<DatasetInput[]>;
  /** Told of each retry (for the log); must not throw. */
  onRetry?(attempt: number, reason: string): void;
  /** Tries after the first (default 5). */
  attempts?: number;
  sleep?(ms: number): Promise<void>;
}

export async function logInputsRetryingRace(inputs: DatasetInput[], retry: RaceRetry): Promise<void> {
  const attempts = retry.attempts ?? 5;
  const sleep = retry.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let pending = inputs;
  for (let attempt = 0; ; attempt++) {
    try {
      await retry.send(pending);
      return;
    } catch (error) {
      if (!isDatasetInsertRace(error) || attempt >= attempts) throw error;
      retry.onRetry?.(attempt + 1, 'HTTP 400 dataset insert race (UNIQUE constraint on datasets)');
      // Give the other run's transaction a moment, then read back what landed.
      await sleep(50 * 2 ** attempt + Math.random() * 50);
      const present = new Set((await retry.readBack()).map(inputKey));
      pending = pending.filter((input) => !present.has(inputKey(input)));
      if (pending.length === 0) return;
    }
  }
}
