/**
 * Stand-in mode `datasetRaceMs`: reproduces the dataset insert race of a real MLflow 3.11 server on
 * a SQL store. Its log_inputs looks the run's datasets up in the experiment, inserts those it did
 * not find and commits; two requests that both looked before either committed both insert, and the
 * second commit breaks the `datasets` primary key (experiment_id, name, digest). The server maps the
 * SQLAlchemy IntegrityError to BAD_REQUEST (HTTP 400; mlflow/store/db/utils.py) with the error's own
 * text as the message, and nothing of that request is written.
 *
 * Here a first insert of a dataset is held open for `holdMs` (the window between look-up and
 * commit); a second request for the same dataset of the same experiment inside that window waits
 * for the first to commit and then fails like the real one.
 *
 * Assumed without a recording: the column list and order of the INSERT (SqlDataset's columns) and
 * the one-tuple parameters; the constraint text follows the recorded IntegrityError cases
 * (experiments-create-duplicate, workspaces) in shape.
 */
import { randomBytes } from 'node:crypto';
import { MlflowError, SQLA_BACKGROUND } from './errors.js';
import { pyRepr } from './pyfmt.js';

export interface RacedDataset {
  experimentId: string;
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string;
  profile?: string;
}

export class DatasetRace {
  /** Commits in flight: key -> the promise that settles when that commit is done. */
  private readonly open = new Map<string, Promise<void>>();
  races = 0;

  constructor(readonly holdMs: number) {}

  /**
   * Call for the datasets a request is about to insert (those the experiment lacks). Resolves when
   * this request's commit may proceed; rejects with the server's 400 when it lost the race.
   */
  async insert(datasets: readonly RacedDataset[]): Promise<void> {
    const keys = datasets.map((d) => `${d.experimentId}\u0000${d.name}\u0000${d.digest}`);
    const lost = datasets.findIndex((_, i) => this.open.has(keys[i]!));
    if (lost >= 0) {
      await this.open.get(keys[lost]!);
      this.races++;
      throw integrityError(datasets[lost]!);
    }
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    for (const key of keys) this.open.set(key, done);
    await new Promise((resolve) => setTimeout(resolve, this.holdMs));
    for (const key of keys) this.open.delete(key);
    release();
  }
}

function integrityError(d: RacedDataset): MlflowError {
  const params = [randomBytes(16).toString('hex'), Number(d.experimentId), d.name, d.digest, d.sourceType, d.source, d.schema ?? null, d.profile ?? null];
  return new MlflowError(
    'BAD_REQUEST',
    '(sqlite3.IntegrityError) UNIQUE constraint failed: datasets.experiment_id, datasets.name, datasets.digest\n' +
      '[SQL: INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?)]\n' +
      `[parameters: (${params.map((p) => pyRepr(p as never)).join(', ')})]\n` +
      SQLA_BACKGROUND,
  );
}
