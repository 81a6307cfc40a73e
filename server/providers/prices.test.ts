import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICES, priceFor } from './prices.js';

describe('priceFor', () => {
  it('finds an exact model id', () => {
    expect(priceFor('gpt-4o-mini')).toEqual({ inputPerMTok: 0.15, outputPerMTok: 0.6 });
  });

  it('finds dated and suffixed ids by their longest known prefix', () => {
    expect(priceFor('gpt-4o-2024-08-06')).toBe(DEFAULT_PRICES['gpt-4o']);
    expect(priceFor('gpt-4o-mini-2024-07-18')).toBe(DEFAULT_PRICES['gpt-4o-mini']);
    expect(priceFor('claude-sonnet-4-20250514')).toBe(DEFAULT_PRICES['claude-sonnet-4']);
    expect(priceFor('claude-opus-4-5-20251101')).toBe(DEFAULT_PRICES['claude-opus-4-5']);
    expect(priceFor('gemini-2.5-flash-lite-preview-06-17')).toBe(DEFAULT_PRICES['gemini-2.5-flash-lite']);
    expect(priceFor('mistral-large-latest')).toBe(DEFAULT_PRICES['mistral-large']);
  });

  it('matches a prefix only at a name boundary', () => {
    expect(priceFor('o3x')).toBeUndefined();
    expect(priceFor('gpt-4.10')).toBeUndefined();
  });

  it('looks past a vendor namespace', () => {
    expect(priceFor('meta-llama/llama-4-scout-17b-16e-instruct')).toBe(
      DEFAULT_PRICES['llama-4-scout-17b-16e-instruct'],
    );
  });

  it('prefers overrides and returns undefined for unknown models', () => {
    const cheap = { inputPerMTok: 0.01, outputPerMTok: 0.02 };
    expect(priceFor('gpt-4o-2024-08-06', { 'gpt-4o': cheap })).toBe(cheap);
    expect(priceFor('my-finetune', { 'my-finetune': cheap })).toBe(cheap);
    expect(priceFor('my-finetune')).toBeUndefined();
  });
});
