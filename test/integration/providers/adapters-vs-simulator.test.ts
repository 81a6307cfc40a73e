import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnthropicAdapter } from '../../../server/providers/anthropic.js';
import { createOpenAIAdapter } from '../../../server/providers/openai.js';
import { startSimulator, type Simulator } from '../../../server/providers/simulator/server.js';
import type { FaultProfile } from '../../../shared/contracts/fault-profile.js';
import { RouteSpecSchema } from '../../../shared/contracts/route.js';
import { isProviderError } from '../../../shared/engine/errors.js';
import type { ProviderAdapter, ProviderCall } from '../../../shared/engine/ports.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 9 });
});
afterAll(() => sim.close());

const formats: Record<string, () => ProviderAdapter> = {
  openai: () => createOpenAIAdapter({ baseUrl: `${sim.url}/v1`, auth: 'none' }),
  anthropic: () => createAnthropicAdapter({ baseUrl: sim.url, apiKey: 'sim-key' }),
};

let n = 0;
const call = (model: string): ProviderCall => ({
  route: RouteSpecSchema.parse({ id: model, provider: 'sim', model }),
  messages: [{ role: 'user', content: 'Name three colours of the rainbow.' }],
  params: { maxTokens: 200 },
  requestId: `req-${++n}`,
});

type Outcome = { kind: string; retryAfterMs?: number } | { ok: true; finishReason: string; content: string };

async function outcome(adapter: ProviderAdapter, model: string, stream: boolean, timeoutMs = 2_000): Promise<Outcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    if (!stream) {
      const r = await adapter.complete(call(model), signal);
      return { ok: true, finishReason: r.finishReason, content: r.content };
    }
    let content = '';
    for await (const e of adapter.stream!(call(model), signal)) {
      if (e.type === 'text') content += e.text;
      if (e.type === 'finish') return { ok: true, finishReason: e.finishReason, content };
    }
    return { kind: 'no finish' };
  } catch (e) {
    if (!isProviderError(e)) throw e;
    return {
      kind: e.failure.kind,
      ...(e.failure.retryAfterMs !== undefined && { retryAfterMs: e.failure.retryAfterMs }),
    };
  }
}

// Each fault, and what every adapter must make of it (by wire format where they differ).
const CASES: { name: string; profile: FaultProfile; stream?: boolean; expect: Record<string, Partial<Outcome>> }[] = [
  {
    name: '429 with Retry-After',
    profile: { errorRates: { 429: 1 }, retryAfterSeconds: 3 },
    expect: {
      openai: { kind: 'rate_limited', retryAfterMs: 3000 },
      anthropic: { kind: 'rate_limited', retryAfterMs: 3000 },
    },
  },
  {
    name: '500',
    profile: { errorRates: { 500: 1 } },
    expect: { openai: { kind: 'server_error' }, anthropic: { kind: 'server_error' } },
  },
  {
    name: '503',
    profile: { errorRates: { 503: 1 } },
    expect: { openai: { kind: 'server_error' }, anthropic: { kind: 'server_error' } },
  },
  {
    name: '529 overloaded',
    profile: { errorRates: { 529: 1 } },
    expect: { openai: { kind: 'server_error' }, anthropic: { kind: 'overloaded' } },
  },
  {
    name: 'scheduled outage',
    profile: { outages: [{ startMs: 0, endMs: 8_000_000_000_000 }] },
    expect: { openai: { kind: 'server_error' }, anthropic: { kind: 'server_error' } },
  },
  {
    name: 'connection reset',
    profile: { resetRate: 1 },
    expect: { openai: { kind: 'network' }, anthropic: { kind: 'network' } },
  },
  {
    name: 'hang until the caller gives up',
    profile: { hangRate: 1 },
    expect: { openai: { kind: 'timeout' }, anthropic: { kind: 'timeout' } },
  },
  {
    name: 'malformed JSON',
    profile: { malformedRate: 1 },
    expect: { openai: { kind: 'unknown' }, anthropic: { kind: 'unknown' } },
  },
  {
    name: 'empty answer',
    profile: { emptyRate: 1 },
    expect: { openai: { ok: true, content: '' }, anthropic: { ok: true, content: '' } },
  },
  {
    name: 'low-quality answer',
    profile: { lowQualityRate: 1 },
    expect: { openai: { ok: true, finishReason: 'length' }, anthropic: { ok: true, finishReason: 'length' } },
  },
  {
    name: 'content filter',
    profile: { contentFilterRate: 1 },
    expect: { openai: { ok: true, finishReason: 'content_filter' }, anthropic: { ok: true, finishReason: 'refusal' } },
  },
  {
    name: 'stream dropped after 2 chunks',
    stream: true,
    profile: { streamDropAfterChunks: 2 },
    expect: { openai: { kind: 'stream_interrupted' }, anthropic: { kind: 'stream_interrupted' } },
  },
  {
    name: 'error event mid-stream',
    stream: true,
    profile: { streamErrorAfterChunks: 2 },
    expect: { openai: { kind: 'server_error' }, anthropic: { kind: 'overloaded' } },
  },
  {
    name: 'healthy stream',
    stream: true,
    profile: {},
    expect: { openai: { ok: true, finishReason: 'stop' }, anthropic: { ok: true, finishReason: 'stop' } },
  },
];

describe.each(Object.keys(formats))('%s adapter against the simulator', (format) => {
  it.each(CASES)('maps $name', async (c) => {
    const model = `m-${format}-${c.name.replace(/\W+/g, '-')}`;
    sim.setProfile(model, c.profile);
    const got = await outcome(formats[format]!(), model, c.stream ?? false, c.profile.hangRate ? 300 : 2_000);
    expect(got).toMatchObject(c.expect[format]!);
  });

  it('measures a fixed latency profile', async () => {
    const model = `m-${format}-latency`;
    sim.setProfile(model, { latency: { kind: 'fixed', ms: 120 } });
    const started = performance.now();
    await outcome(formats[format]!(), model, false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });
});
