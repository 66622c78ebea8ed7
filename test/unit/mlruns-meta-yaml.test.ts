/**
 * meta.yaml files byte for byte as MLflow's FileStore writes them (PyYAML safe_dump, sorted keys,
 * allow_unicode). The expected texts were printed by PyYAML 6 from the dicts FileStore builds.
 */
import { describe, expect, it } from 'vitest';
import {
  formatExperimentMeta,
  formatRunMeta,
  MalformedMetaError,
  parseExperimentMeta,
  parseRunMeta,
  type RunMeta,
} from '../../src/backends/mlruns/meta-files.js';
import { formatDatasetMeta, formatInputMeta } from '../../src/backends/mlruns/inputs.js';
import { dumpPyYaml, parsePyYaml } from '../../src/backends/mlruns/pyyaml.js';

const RUN_ID = '0123456789abcdef0123456789abcdef';

const NEW_RUN: RunMeta = {
  runId: RUN_ID,
  runName: 'on',
  experimentId: '42',
  userId: 'Zoë',
  status: 'RUNNING',
  startTime: 1700000000000,
  endTime: null,
  artifactUri: `file:///data/ml%20runs/42/${RUN_ID}/artifacts`,
  lifecycleStage: 'active',
  deletedTime: null,
};

describe('run meta.yaml', () => {
  it('is written as FileStore create_run writes it', () => {
    expect(formatRunMeta(NEW_RUN)).toBe(
      [
        `artifact_uri: file:///data/ml%20runs/42/${RUN_ID}/artifacts`,
        'deleted_time: null',
        'end_time: null',
        "entry_point_name: ''",
        "experiment_id: '42'",
        'lifecycle_stage: active',
        `run_id: ${RUN_ID}`,
        "run_name: 'on'",
        `run_uuid: ${RUN_ID}`,
        "source_name: ''",
        'source_type: 4',
        "source_version: ''",
        'start_time: 1700000000000',
        'status: 1',
        'tags: []',
        'user_id: Zoë',
        '',
      ].join('\n'),
    );
  });

  it('writes status as the integer enum and drops deleted_time after an update, as _overwrite_run_info does', () => {
    const statuses = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 } as const;
    for (const [status, code] of Object.entries(statuses)) {
      const { deletedTime: _dropped, ...finished } = { ...NEW_RUN, status: status as RunMeta['status'], endTime: 1700000005000 };
      const text = formatRunMeta(finished);
      expect(text).toContain(`\nstatus: ${code}\n`);
      expect(text).toContain('\nend_time: 1700000005000\n');
      expect(text).not.toContain('deleted_time');
    }
    const deleted = formatRunMeta({ ...NEW_RUN, lifecycleStage: 'deleted', deletedTime: 1700000009000 });
    expect(deleted).toContain('deleted_time: 1700000009000\n');
    expect(deleted).toContain('lifecycle_stage: deleted\n');
  });

  it('reads back what it writes', () => {
    expect(parseRunMeta(formatRunMeta(NEW_RUN), 'meta.yaml')).toEqual({ meta: NEW_RUN, issues: [] });
  });

  it('reads legacy files: int experiment_id, run_uuid only, no lifecycle_stage, no status', () => {
    const legacy = [
      'artifact_uri: /old/mlruns/3/abc/artifacts',
      'end_time: 1500000001000',
      'experiment_id: 3',
      'run_uuid: abc',
      'source_type: 4',
      'start_time: 1500000000000',
      'user_id: y',
      '',
    ].join('\n');
    const { meta, issues } = parseRunMeta(legacy, 'meta.yaml');
    expect(meta).toEqual({
      runId: 'abc',
      runName: '',
      experimentId: '3',
      // PyYAML reads a plain `y` as a string; a YAML 1.1 reader would make it `true`.
      userId: 'y',
      status: 'RUNNING',
      startTime: 1500000000000,
      endTime: 1500000001000,
      artifactUri: '/old/mlruns/3/abc/artifacts',
      lifecycleStage: 'active',
    });
    expect(issues).toEqual([]);
  });

  it('reports an unknown status instead of guessing silently', () => {
    const { meta, issues } = parseRunMeta("experiment_id: '1'\nrun_id: r\nstatus: 9\n", 'meta.yaml');
    expect(meta.status).toBe('RUNNING');
    expect(issues).toEqual([{ field: 'status', reason: 'unknown run status 9 in meta.yaml; read as RUNNING' }]);
  });

  it('refuses an empty or foreign file with MalformedMetaError', () => {
    expect(() => parseRunMeta('', 'x/meta.yaml')).toThrow(MalformedMetaError);
    expect(() => parseRunMeta('- a\n- b\n', 'x/meta.yaml')).toThrow(/not a mapping/);
    expect(() => parseRunMeta("experiment_id: '1'\n", 'x/meta.yaml')).toThrow(/no run_id/);
  });
});

describe('experiment meta.yaml', () => {
  it('is written as _create_experiment_with_id writes it, quoting a name PyYAML would read as a date', () => {
    const meta = {
      experimentId: '42',
      name: '2024-01-01',
      artifactLocation: 'file:///data/mlruns/42',
      lifecycleStage: 'active' as const,
      creationTime: 1700000000000,
      lastUpdateTime: 1700000000000,
    };
    const text = formatExperimentMeta(meta);
    expect(text).toBe(
      [
        'artifact_location: file:///data/mlruns/42',
        'creation_time: 1700000000000',
        "experiment_id: '42'",
        'last_update_time: 1700000000000',
        'lifecycle_stage: active',
        "name: '2024-01-01'",
        '',
      ].join('\n'),
    );
    expect(parseExperimentMeta(text, 'meta.yaml')).toEqual(meta);
  });

  it('reads an 18-digit legacy int id without losing digits', () => {
    const meta = parseExperimentMeta('experiment_id: 123456789012345678\nname: big\n', 'meta.yaml');
    expect(meta.experimentId).toBe('123456789012345678');
  });
});

describe('dataset and run input meta.yaml', () => {
  it('match FileStore log_inputs, dataset id repeated as destination_id', () => {
    expect(formatDatasetMeta({ name: 'iris', digest: 'd1', sourceType: 'local', source: '{"uri": "x"}' })).toBe(
      "digest: d1\nname: iris\nprofile: null\nschema: null\nsource: '{\"uri\": \"x\"}'\nsource_type: local\n",
    );
    expect(formatInputMeta('abc', { dataset: { name: 'n', digest: 'd', sourceType: 's', source: 'x' }, tags: [{ key: 'mlflow.data.context', value: 'train' }] })).toBe(
      'destination_id: abc\ndestination_type: RUN\nsource_id: abc\nsource_type: DATASET\ntags:\n  mlflow.data.context: train\n',
    );
  });
});

describe('PyYAML-compatible scalars', () => {
  it('quotes strings PyYAML would read as something else, as PyYAML does', () => {
    expect(dumpPyYaml({ a: 'yes', b: '0', c: 'null', d: '', e: '1.0', f: 'plain text' })).toBe(
      "a: 'yes'\nb: '0'\nc: 'null'\nd: ''\ne: '1.0'\nf: plain text\n",
    );
  });

  it('writes tabs, line breaks and control characters double-quoted with escapes PyYAML reads', () => {
    expect(dumpPyYaml({ k: 'line1\nline2\ttab' })).toBe('k: "line1\\nline2\\ttab"\n');
    expect(dumpPyYaml({ k: 'a\x7fb\x85c\u2028' })).toBe('k: "a\\x7Fb\\Nc\\L"\n');
  });

  it('reads plain scalars with PyYAML meaning and quoted ones as strings', () => {
    expect(parsePyYaml("a: y\nb: 'yes'\nc: yes\nd: ~\ne: 0x1F\nf: 1.5\ng: '0'\nh: .inf\ni: 2024-01-01\nj: \"q\\ttab\"\n")).toEqual({
      a: 'y',
      b: 'yes',
      c: true,
      d: null,
      e: 31,
      f: 1.5,
      g: '0',
      h: Infinity,
      i: '2024-01-01',
      j: 'q\ttab',
    });
  });
});
