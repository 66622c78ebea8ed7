/**
 * neptune-exporter's `S(x)` (format spec 1.1): Unicode-aware character mapping per code point
 * plus BLAKE2b with an 8-byte output length over the original UTF-8 bytes. Vectors from Python's
 * hashlib, as published in the spec.
 */
import { describe, expect, it } from 'vitest';
import { blake2b8Hex, mapPathChars, sanitizePathPart } from '../../src/backends/neptune-export/sanitise.js';

describe('S(x)', () => {
  it.each([
    ['org/project', 'org_project-ea8dfac2f8d8c39c'],
    ['my-org/my-project', 'my-org_my-project-de40b447a2778f2b'],
    ['workspace/proj', 'workspace_proj-61c9220866f210fe'],
    ['RUN-1', 'RUN-1-549fcb30a0f06072'],
    ['SAN-1', 'SAN-1-9f64a122e3f44eb4'],
    ['kittiwake-i2ufv', 'kittiwake-i2ufv-43af3f93f9a219a2'],
    ['', '-e4a6a0577479b2b4'],
    ['é/ü.x', 'é_ü_x-c711fe707a09fef6'],
  ])('S(%j) = %s', (input, expected) => {
    expect(sanitizePathPart(input)).toBe(expected);
  });

  it('keeps letters and numbers of any script, maps everything else to one _ per code point', () => {
    expect(mapPathChars('a b.c@d/e_f-g')).toBe('a_b_c_d_e_f-g');
    expect(mapPathChars('x²½三')).toBe('x²½三'); // numeric characters are alphanumeric in Python
    expect(mapPathChars('run🚀1')).toBe('run_1'); // an astral emoji is one code point, one _
    expect(mapPathChars('e\u0301')).toBe('e_'); // a combining mark is not alphanumeric
  });

  it('uses an 8-byte BLAKE2b output, not a truncated 64-byte digest', () => {
    expect(blake2b8Hex('')).toBe('e4a6a0577479b2b4');
    expect(blake2b8Hex('')).toHaveLength(16);
  });

  it('is case-sensitive and keeps distinct ids apart after lossy mapping', () => {
    expect(sanitizePathPart('a/b')).not.toBe(sanitizePathPart('a.b'));
    expect(sanitizePathPart('Run')).not.toBe(sanitizePathPart('run'));
  });
});
