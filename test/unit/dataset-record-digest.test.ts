/**
 * A record's identity is MLflow's input_hash, sha256 of json.dumps(inputs, sort_keys=True): the
 * copy finds records the target already has by it, and a database copy writes it. Checked against
 * every record the real MLflow 3.11 wrote into the genai-sqlite store.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { parseJsonDoc } from '../../src/model/python-json.js';
import { inputHash, recordDigest, recordFields, sortedPythonJson } from '../../src/engine/datasets/record-digest.js';

describe('dataset record identity', () => {
  it('is the input_hash MLflow wrote for every record of the golden store', () => {
    const db = new Database(join(GOLDEN_STORES_DIR, 'genai-sqlite', 'mlflow.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT inputs, input_hash FROM evaluation_dataset_records').all() as Array<{ inputs: string; input_hash: string }>;
      expect(rows).toHaveLength(5);
      for (const row of rows) expect(inputHash(parseJsonDoc(row.inputs))).toBe(row.input_hash);
    } finally {
      db.close();
    }
  });

  it('writes keys sorted and numbers with their digits, as Python does (21.0 stays 21.0, non-ASCII escaped)', () => {
    expect(sortedPythonJson(parseJsonDoc('{"question": "Temperature?", "celsius": 21.0, "city": "Zürich"}'))).toBe(
      '{"celsius": 21.0, "city": "Z\\u00fcrich", "question": "Temperature?"}',
    );
    // The same inputs with 21 instead of 21.0 are another record for MLflow.
    expect(inputHash(parseJsonDoc('{"celsius": 21.0}'))).not.toBe(inputHash(parseJsonDoc('{"celsius": 21}')));
    expect(inputHash(parseJsonDoc('{"b": 1, "a": 2}'))).toBe(inputHash(parseJsonDoc('{"a": 2, "b": 1}')));
  });

  it('compares absent, null and empty the same where stores say "none" differently', () => {
    const fromServer = { recordId: 'dr-1', inputs: parseJsonDoc('{"q": "hi"}'), tags: parseJsonDoc('{}'), outputs: parseJsonDoc('{}') };
    const fromDatabase = { recordId: 'dr-2', inputs: parseJsonDoc('{"q": "hi"}'), expectations: null, outputs: parseJsonDoc('{}') };
    expect(recordFields(fromServer)).toEqual(recordFields(fromDatabase));
    expect(recordDigest(fromServer)).toEqual(recordDigest(fromDatabase));
    const changed = { ...fromServer, expectations: parseJsonDoc('{"answer": "hello"}') };
    const differ = Object.keys(recordDigest(changed)).filter((field) => recordDigest(changed)[field] !== recordDigest(fromServer)[field]);
    expect(differ).toEqual(['expectations']);
  });
});
