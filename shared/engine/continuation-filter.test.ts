import { describe, expect, it } from 'vitest';
import { createContinuationFilter, trimOverlap } from './continuation-filter.js';

const run = (written: string, chunks: string[]) => {
  const f = createContinuationFilter(written);
  return chunks.map((c) => f.push(c)).join('') + f.end();
};

describe('continuation filter', () => {
  it('passes a clean continuation through', () => {
    expect(run('The capital of France ', ['is Paris', '.'])).toBe('is Paris.');
  });

  it('cuts the words the fallback repeated from the end of the partial answer', () => {
    expect(run('The capital of France ', ['of France ', 'is Paris.'])).toBe('is Paris.');
  });

  it('skips a restart from the beginning until it passes the written text', () => {
    expect(run('The capital of France ', ['The capital ', 'of France ', 'is Paris.'])).toBe('is Paris.');
  });

  it('forwards nothing when the continuation only repeats written text', () => {
    expect(run('The capital of France ', ['The capital'])).toBe('');
  });

  it('passes everything when nothing was written', () => {
    const f = createContinuationFilter('');
    expect(f.push('Hello')).toBe('Hello');
  });

  it('forwards a short continuation that diverges at stream end', () => {
    expect(run('abc', ['xyz'])).toBe('xyz');
  });

  it('trims only real overlaps', () => {
    expect(trimOverlap('hello world', 'world peace')).toBe(' peace');
    expect(trimOverlap('hello', 'goodbye')).toBe('goodbye');
  });
});
