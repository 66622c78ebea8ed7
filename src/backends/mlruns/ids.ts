/**
 * New ids the way FileStore makes them: run ids are `uuid.uuid4().hex` (`create_run`);
 * experiment ids come from `_generate_unique_integer_id` (mlflow/utils/name_utils.py): the last
 * 18 decimal digits of a uuid4, leading zeros replaced, so 18 digits without a leading zero.
 */
import { randomInt, randomUUID } from 'node:crypto';

export function newRunId(): string {
  return randomUUID().replaceAll('-', '');
}

export function newExperimentId(): string {
  let id = String(randomInt(1, 10));
  for (let i = 1; i < 18; i++) id += String(randomInt(0, 10));
  return id;
}
