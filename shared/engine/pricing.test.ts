import { describe, expect, it } from 'vitest';
import type { Message } from '../contracts/completion.js';
import { RouteSpecSchema } from '../contracts/route.js';
import {
  CHARS_PER_TOKEN,
  DEFAULT_MAX_OUTPUT_TOKENS,
  MESSAGE_OVERHEAD_TOKENS,
  costUsd,
  estimateCostUsd,
  estimateTokens,
} from './pricing.js';

const route = RouteSpecSchema.parse({
  id: 'openai/gpt-x',
  provider: 'openai',
  model: 'gpt-x',
  price: { inputPerMTok: 2, outputPerMTok: 8 },
});

describe('estimateTokens', () => {
  it('counts about 4 ASCII characters per token plus a per-message overhead', () => {
    const messages: Message[] = [{ role: 'user', content: 'a'.repeat(400) }];
    expect(estimateTokens(messages)).toBe(400 / CHARS_PER_TOKEN + MESSAGE_OVERHEAD_TOKENS);
  });

  it('rounds a partial token up', () => {
    expect(estimateTokens([{ role: 'user', content: 'abcde' }])).toBe(2 + MESSAGE_OVERHEAD_TOKENS);
  });

  it('charges the overhead for every message, even an empty one', () => {
    const messages: Message[] = [
      { role: 'system', content: '' },
      { role: 'user', content: '' },
      { role: 'assistant', content: null },
    ];
    expect(estimateTokens(messages)).toBe(3 * MESSAGE_OVERHEAD_TOKENS);
  });

  it('counts tool call names and arguments of assistant messages', () => {
    const args = JSON.stringify({ city: 'Paris', units: 'metric' });
    const withCall: Message[] = [
      { role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'weather', arguments: args }] },
    ];
    const expected = Math.ceil(('weather' + args).length / CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS;
    expect(estimateTokens(withCall)).toBe(expected);
  });

  it('counts tool results and their name', () => {
    const result: Message[] = [{ role: 'tool', toolCallId: 'call_1', name: 'weather', content: '{"temp":21}' }];
    expect(estimateTokens(result)).toBe(Math.ceil('weather{"temp":21}'.length / 4) + MESSAGE_OVERHEAD_TOKENS);
  });

  it('counts each non-ASCII character as a whole token so dense scripts are not underestimated', () => {
    expect(estimateTokens([{ role: 'user', content: '日本語のテキスト' }])).toBe(8 + MESSAGE_OVERHEAD_TOKENS);
  });

  it('is deterministic', () => {
    const messages: Message[] = [{ role: 'user', content: 'hello there, how are you?' }];
    expect(estimateTokens(messages)).toBe(estimateTokens(messages));
  });

  it('is zero for no messages', () => {
    expect(estimateTokens([])).toBe(0);
  });
});

describe('estimateCostUsd', () => {
  const messages: Message[] = [{ role: 'user', content: 'a'.repeat(3_996) }];
  const inputTokens = 3_996 / 4 + MESSAGE_OVERHEAD_TOKENS;

  it('prices estimated input plus maxTokens of output with the route price per million tokens', () => {
    expect(estimateCostUsd(route, messages, { maxTokens: 1_000 })).toBeCloseTo(
      (inputTokens * 2 + 1_000 * 8) / 1_000_000,
      12,
    );
  });

  it('reserves DEFAULT_MAX_OUTPUT_TOKENS (512) of output when maxTokens is unset', () => {
    expect(DEFAULT_MAX_OUTPUT_TOKENS).toBe(512);
    expect(estimateCostUsd(route, messages, {})).toBeCloseTo((inputTokens * 2 + 512 * 8) / 1_000_000, 12);
  });

  it('counts tool definitions as input', () => {
    const tools = [{ name: 'weather', description: 'Current weather for a city', parameters: { type: 'object' } }];
    expect(estimateCostUsd(route, messages, { tools })).toBeGreaterThan(estimateCostUsd(route, messages, {}));
  });

  it('is never below the cost of the same input and a full-length answer', () => {
    const estimate = estimateCostUsd(route, messages, { maxTokens: 200 });
    expect(estimate).toBeGreaterThanOrEqual(costUsd(route, { inputTokens: 3_996 / 4, outputTokens: 200 }));
  });

  it('is zero on a free route', () => {
    const free = RouteSpecSchema.parse({ id: 'local/llama', provider: 'local', model: 'llama' });
    expect(estimateCostUsd(free, messages, {})).toBe(0);
  });
});

describe('costUsd', () => {
  it('prices input and output tokens separately, in USD per million tokens', () => {
    expect(costUsd(route, { inputTokens: 1_000_000, outputTokens: 0 })).toBe(2);
    expect(costUsd(route, { inputTokens: 0, outputTokens: 1_000_000 })).toBe(8);
    expect(costUsd(route, { inputTokens: 500, outputTokens: 250 })).toBeCloseTo(0.003, 12);
  });

  it('is zero for zero usage', () => {
    expect(costUsd(route, { inputTokens: 0, outputTokens: 0 })).toBe(0);
  });
});
