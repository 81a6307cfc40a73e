import { describe, expect, it } from 'vitest';
import { parseEnv } from './env.js';

describe('environment', () => {
  it('applies the documented defaults', () => {
    expect(parseEnv({})).toMatchObject({
      PORT: 4000,
      HOST: '127.0.0.1',
      BACKSTOP_DATA_DIR: './.backstop',
      BACKSTOP_MAX_BODY_BYTES: 1_048_576,
      BACKSTOP_HEAP_GROWING_PERCENT: 30,
    });
  });

  it('treats empty variables as unset', () => {
    expect(parseEnv({ DATABASE_URL: '', PORT: '' }).DATABASE_URL).toBeUndefined();
  });

  it('fails fast naming every bad variable', () => {
    expect(() => parseEnv({ PORT: 'eighty', DATABASE_URL: 'not a url' })).toThrow(
      /PORT[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*PORT/,
    );
    expect(() => parseEnv({ BACKSTOP_HEAP_GROWING_PERCENT: '-5' })).toThrow(/BACKSTOP_HEAP_GROWING_PERCENT/);
  });
});
