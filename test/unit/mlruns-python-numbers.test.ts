/**
 * Metric values are written with Python's float repr and read with float()/int(), as MLflow's
 * FileStore does. Every expected string below was printed by CPython 3.11 (`repr(x)`).
 */
import { describe, expect, it } from 'vitest';
import { formatPythonFloat, parsePythonFloat, parsePythonInt } from '../../src/backends/mlruns/python-numbers.js';

describe('formatPythonFloat (repr of a Python float)', () => {
  const cases: Array<[number, string]> = [
    [0.1, '0.1'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [1, '1.0'],
    [100, '100.0'],
    [-0, '-0.0'],
    [0, '0.0'],
    [123456789.125, '123456789.125'],
    [1.5e300, '1.5e+300'],
    [5e-324, '5e-324'],
    [2 / 3, '0.6666666666666666'],
    [-1.25, '-1.25'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [12345678901234567, '1.2345678901234568e+16'],
    [1e22, '1e+22'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ];
  it.each(cases)('%s is written as Python writes it: %s', (value, text) => {
    expect(formatPythonFloat(value)).toBe(text);
  });

  it('round-trips every value through parsePythonFloat', () => {
    for (const [value] of cases) expect(Object.is(parsePythonFloat(formatPythonFloat(value)), value)).toBe(true);
  });
});

describe('parsePythonFloat (Python float())', () => {
  it('reads what Python writes and what older writers left', () => {
    expect(parsePythonFloat('1e-05')).toBe(1e-5);
    expect(parsePythonFloat('1')).toBe(1);
    expect(parsePythonFloat('1.')).toBe(1);
    expect(parsePythonFloat('.5')).toBe(0.5);
    expect(parsePythonFloat('+2.5E3')).toBe(2500);
    expect(parsePythonFloat('1_000.5')).toBe(1000.5);
    expect(parsePythonFloat('-inf')).toBe(-Infinity);
    expect(parsePythonFloat('Infinity')).toBe(Infinity);
    expect(parsePythonFloat('NaN')).toBeNaN();
    expect(parsePythonFloat('-nan')).toBeNaN();
  });

  it('refuses what Python refuses', () => {
    for (const bad of ['', 'abc', '0x10', '1e', '1__0', '_1', '1,5', 'inff']) {
      expect(() => parsePythonFloat(bad), bad).toThrow(/not a Python float/);
    }
  });
});

describe('parsePythonInt (Python int(), kept exact)', () => {
  it('gives numbers while safe and bigints beyond 2^53', () => {
    expect(parsePythonInt('42')).toBe(42);
    expect(parsePythonInt('-3')).toBe(-3);
    expect(parsePythonInt('007')).toBe(7);
    expect(parsePythonInt('9007199254740991')).toBe(9007199254740991);
    expect(parsePythonInt('9007199254740993')).toBe(9007199254740993n);
    expect(parsePythonInt('-9223372036854775808')).toBe(-9223372036854775808n);
  });

  it('refuses floats and junk', () => {
    for (const bad of ['1.0', '1e3', '', 'x', '0x1']) expect(() => parsePythonInt(bad), bad).toThrow(/not a Python int/);
  });
});
