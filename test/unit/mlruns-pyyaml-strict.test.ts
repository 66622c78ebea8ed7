/**
 * The strict reader of MLflow's small YAML files gives exactly what the full PyYAML-faithful
 * reader gives, for the files FileStore writes and for every shape it does not take itself
 * (those go to the full reader).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpPyYaml, parsePyYaml, type YamlValue } from '../../src/backends/mlruns/pyyaml.js';
import { parseMlflowYaml, readsStrictly } from '../../src/backends/mlruns/pyyaml-strict.js';

const STORE = join(import.meta.dirname, '../golden/stores/genai-mlruns');

describe('parseMlflowYaml', () => {
  it('reads every trace_info.yaml and assessment file of the real MLflow store as the full reader does', () => {
    const files = readdirSync(STORE, { recursive: true, encoding: 'utf8' }).filter((file) => /\/traces\/[^/]+\/(trace_info\.yaml|assessments\/[^/]+\.yaml)$/.test(file));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(join(STORE, file), 'utf8');
      expect(readsStrictly(text), file).toBe(true);
      expect(parseMlflowYaml(text), file).toEqual(parsePyYaml(text));
    }
  });

  it('reads back what dumpPyYaml writes, values of every kind, as the full reader does', () => {
    const values: YamlValue[] = [
      'plain', 'yes', 'no', 'on', 'null', '~', '', '0', '007', '1_000', '0x1f', '1:30', '1.5', '.inf', '2025-01-01', '2025-01-01T00:00:00Z',
      "it's", "''", 'a: b', 'a #b', ' lead', 'trail ', '-1', '- x', '?', ':', '#', '@x', '`x', '%x', '!x', '&x', '*x', '|', '>', '{x}', '[x]',
      'Zoë', 'line\nbreak', 'tab\there', '\u2028', 'x'.repeat(200), `a ${'word '.repeat(30)}`, '{"question": "q"}',
      0, -1, 12345678901234, 1.5, -2.25e-7, true, false, null,
    ];
    for (const value of values) {
      const text = dumpPyYaml({ key: value, nested: { inner: value, deeper: { leaf: value } }, z_last: 'end' });
      expect(parseMlflowYaml(text), JSON.stringify(value)).toEqual(parsePyYaml(text));
    }
  });

  it('hands shapes it does not take to the full reader: the same answer, or the same error', () => {
    const texts = [
      'a: 1\n\nb: 2\n', 'a: 1 # note\n', 'a: [1, 2]\n', 'a:\n- 1\n- 2\n', 'a: "x\\ty"\n', 'a: |\n  text\n', 'a: b\n  c\n',
      '---\na: 1\n', 'a: 1\r\n', 'yes: 1\n', '1_0: x\n', 'a: 1\na: 2\n', 'a:\n', 'a:\nb: 1\n', "a: 'x'y'\n", 'a: x', '', 'just text\n',
      '__proto__: x\n', 'a:\n    b: 1\n', 'a: {b: 1}\n', "a: 'folded\n  over'\n",
    ];
    for (const text of texts) {
      let full: { value?: YamlValue; error?: string };
      try {
        full = { value: parsePyYaml(text) };
      } catch (error) {
        full = { error: (error as Error).message };
      }
      if (full.error !== undefined) expect(() => parseMlflowYaml(text), JSON.stringify(text)).toThrow(full.error);
      else expect(parseMlflowYaml(text), JSON.stringify(text)).toEqual(full.value);
    }
  });
});
