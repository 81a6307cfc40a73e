import type { Price } from '../../shared/contracts/route.js';

const p = (inputPerMTok: number, outputPerMTok: number): Price => ({ inputPerMTok, outputPerMTok });

/**
 * List prices in USD per million tokens (standard tier, uncached input, short-context rate), as published by each
 * provider in late 2025. Keys are model ids or id prefixes; operators correct drift through `priceFor` overrides.
 */
export const DEFAULT_PRICES: Readonly<Record<string, Price>> = {
  // OpenAI
  'gpt-4o': p(2.5, 10),
  'gpt-4o-mini': p(0.15, 0.6),
  'gpt-4.1': p(2, 8),
  'gpt-4.1-mini': p(0.4, 1.6),
  'gpt-4.1-nano': p(0.1, 0.4),
  o1: p(15, 60),
  'o1-mini': p(1.1, 4.4),
  o3: p(2, 8),
  'o3-mini': p(1.1, 4.4),
  'o3-pro': p(20, 80),
  'o4-mini': p(1.1, 4.4),
  'gpt-3.5-turbo': p(0.5, 1.5),
  // Anthropic
  'claude-opus-4': p(15, 75),
  'claude-opus-4-5': p(5, 25),
  'claude-sonnet-4': p(3, 15),
  'claude-sonnet-4-5': p(3, 15),
  'claude-haiku-4-5': p(1, 5),
  'claude-3-7-sonnet': p(3, 15),
  'claude-3-5-sonnet': p(3, 15),
  'claude-3-5-haiku': p(0.8, 4),
  'claude-3-haiku': p(0.25, 1.25),
  // Google (Gemini 2.5 Pro doubles its input price above 200k prompt tokens; this is the lower rate)
  'gemini-2.5-pro': p(1.25, 10),
  'gemini-2.5-flash': p(0.3, 2.5),
  'gemini-2.5-flash-lite': p(0.1, 0.4),
  'gemini-2.0-flash': p(0.1, 0.4),
  'gemini-2.0-flash-lite': p(0.075, 0.3),
  'gemini-1.5-pro': p(1.25, 5),
  'gemini-1.5-flash': p(0.075, 0.3),
  // Groq
  'llama-3.3-70b-versatile': p(0.59, 0.79),
  'llama-3.1-8b-instant': p(0.05, 0.08),
  'llama-4-scout-17b-16e-instruct': p(0.11, 0.34),
  'llama-4-maverick-17b-128e-instruct': p(0.2, 0.6),
  'mixtral-8x7b-32768': p(0.24, 0.24),
  // DeepSeek (V3.2 prices, the same for both endpoints)
  'deepseek-chat': p(0.28, 0.42),
  'deepseek-reasoner': p(0.28, 0.42),
  // Mistral
  'mistral-large': p(2, 6),
  'mistral-medium': p(0.4, 2),
  'mistral-small': p(0.1, 0.3),
  codestral: p(0.3, 0.9),
};

// A prefix only counts at a boundary, so that `o3` never prices `o3x` and `gpt-4.1` never prices `gpt-4.10`.
const BOUNDARY = /^[-:@]/;

/**
 * The price of a model: an exact id first, then the longest prefix at a `-`, `:` or `@` boundary (so dated ids such as
 * `gpt-4o-2024-08-06` find `gpt-4o`), then the same for the id after a `vendor/` namespace. Overrides win over the
 * defaults. Undefined for an unknown model.
 */
export function priceFor(model: string, overrides?: Readonly<Record<string, Price>>): Price | undefined {
  const table = overrides ? { ...DEFAULT_PRICES, ...overrides } : DEFAULT_PRICES;
  const slash = model.lastIndexOf('/');
  return lookup(table, model) ?? (slash >= 0 ? lookup(table, model.slice(slash + 1)) : undefined);
}

function lookup(table: Readonly<Record<string, Price>>, model: string): Price | undefined {
  if (Object.hasOwn(table, model)) return table[model];
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    if (model.startsWith(key) && BOUNDARY.test(model.slice(key.length)) && (!best || key.length > best.length))
      best = key;
  }
  return best === undefined ? undefined : table[best];
}
