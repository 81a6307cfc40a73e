import type { RouteSpecInput } from '../contracts/route.js';

/**
 * The route catalogue the default policy names. Prices are USD per million tokens (list prices, late 2025);
 * a deployment's config file overrides them.
 */
export const DEFAULT_ROUTES: readonly RouteSpecInput[] = [
  {
    id: 'gpt-4o',
    provider: 'openai',
    model: 'gpt-4o',
    qualityClass: 'premium',
    price: { inputPerMTok: 2.5, outputPerMTok: 10 },
    sloP95Ms: 15_000,
  },
  {
    id: 'claude-sonnet-4',
    provider: 'anthropic',
    model: 'claude-sonnet-4-20250514',
    qualityClass: 'premium',
    price: { inputPerMTok: 3, outputPerMTok: 15 },
    contextWindow: 200_000,
    sloP95Ms: 15_000,
  },
  {
    id: 'gpt-4o-mini',
    provider: 'openai',
    model: 'gpt-4o-mini',
    qualityClass: 'budget',
    price: { inputPerMTok: 0.15, outputPerMTok: 0.6 },
    sloP95Ms: 8_000,
  },
  {
    id: 'gpt-4.1',
    provider: 'openai',
    model: 'gpt-4.1',
    qualityClass: 'premium',
    price: { inputPerMTok: 2, outputPerMTok: 8 },
    contextWindow: 1_000_000,
  },
  {
    id: 'gpt-4.1-mini',
    provider: 'openai',
    model: 'gpt-4.1-mini',
    qualityClass: 'standard',
    price: { inputPerMTok: 0.4, outputPerMTok: 1.6 },
    contextWindow: 1_000_000,
    sloP95Ms: 10_000,
  },
  {
    id: 'claude-3-5-haiku',
    provider: 'anthropic',
    model: 'claude-3-5-haiku-20241022',
    qualityClass: 'standard',
    price: { inputPerMTok: 0.8, outputPerMTok: 4 },
    contextWindow: 200_000,
    sloP95Ms: 8_000,
  },
  {
    id: 'gpt-4.1-nano',
    provider: 'openai',
    model: 'gpt-4.1-nano',
    qualityClass: 'budget',
    price: { inputPerMTok: 0.1, outputPerMTok: 0.4 },
    contextWindow: 1_000_000,
    sloP95Ms: 6_000,
  },
  {
    id: 'gemini-2.0-flash',
    provider: 'google',
    model: 'gemini-2.0-flash',
    qualityClass: 'budget',
    price: { inputPerMTok: 0.1, outputPerMTok: 0.4 },
    contextWindow: 1_000_000,
    sloP95Ms: 6_000,
  },
];
