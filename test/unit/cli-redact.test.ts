import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../src/util/redact.js';

describe('createRedactor', () => {
  it('replaces every occurrence of every secret', () => {
    const redact = createRedactor(['tok-123', 'pw']);
    expect(redact('Bearer tok-123 and tok-123, password pw')).toBe('Bearer *** and ***, password ***');
  });

  it('redacts all non-empty secrets, even one character long, and ignores empty ones', () => {
    expect(createRedactor(['', undefined, 'x'])('axb')).toBe('a***b');
    expect(createRedactor([])('nothing to hide')).toBe('nothing to hide');
  });

  it('removes a longer secret whole when it contains a shorter one', () => {
    expect(createRedactor(['abc', 'abcdef'])('key=abcdef;abc')).toBe('key=***;***');
  });

  it('also catches the URL-encoded and JSON-escaped forms', () => {
    const redact = createRedactor(['p@ss/"word"\\']);
    expect(redact(`https://u:${encodeURIComponent('p@ss/"word"\\')}@h`)).toBe('https://u:***@h');
    expect(redact(JSON.stringify({ password: 'p@ss/"word"\\' }))).toBe('{"password":"***"}');
  });

  it('treats secrets literally, not as patterns', () => {
    expect(createRedactor(['a.c', '$&'])('abc a.c $& x')).toBe('abc *** *** x');
  });
});
