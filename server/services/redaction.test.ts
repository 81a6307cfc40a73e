import { describe, expect, it } from 'vitest';
import { contentHash, redact } from './redaction.js';

describe('redact', () => {
  it.each([
    ['mail me at jane.doe@example.com please', 'mail me at [email] please'],
    ['card 4111 1111 1111 1111 exp 12/29', 'card [card] exp 12/29'],
    ['call +1 415-555-0132 now', 'call [phone] now'],
    ['key sk-proj-abcdefghijklmnopqrstuv123', 'key [secret]'],
    ['token bk_tenant_Zx8Qw3rTy6Ui9Op2As5Df8Gh', 'token [secret]'],
    ['aws AKIAIOSFODNN7EXAMPLE', 'aws [secret]'],
    [
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'jwt [secret]',
    ],
  ])('redacts %j', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('leaves ordinary text and short numbers alone', () => {
    expect(redact('The answer is 42, in 2026.')).toBe('The answer is 42, in 2026.');
  });

  it('hashes content stably', () => {
    expect(contentHash('a')).toBe(contentHash('a'));
    expect(contentHash('a')).toHaveLength(64);
  });
});
