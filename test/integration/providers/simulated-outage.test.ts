import { afterEach, describe, expect, it } from 'vitest';
import { demoConfig } from '../../../server/config.js';
import { createProviderRegistry, type ProviderRegistry } from '../../../server/providers/registry.js';
import { CompletionRequestSchema, type CompletionRequestInput } from '../../../shared/contracts/completion.js';
import type { Decision } from '../../../shared/contracts/decision.js';
import type { Policy } from '../../../shared/contracts/policy.js';
import { createFallbackEngine } from '../../../shared/engine/fallback-engine.js';
import { createFakeClock } from '../../../shared/testing/fake-clock.js';
import { createSeededRandom } from '../../../shared/testing/seeded-random.js';

// Real HTTP to the simulator on loopback; the fake clock only drives breaker cooldowns (no sleeping).
let registry: ProviderRegistry | undefined;
afterEach(async () => {
  await registry?.close();
  registry = undefined;
});

async function setup() {
  const config = demoConfig();
  registry = await createProviderRegistry(config.providers, { zeroDelay: true });
  const clock = createFakeClock();
  const decisions: Decision[] = [];
  // Retries off: a backoff would wait on the fake clock, which this test moves only by hand.
  const policy: Policy = structuredClone(config.policy);
  for (const c of Object.values(policy.classes)) c.retry.maxRetriesPerRoute = 0;
  let n = 0;
  const engine = createFallbackEngine({
    clock,
    random: createSeededRandom(3),
    newId: () => `r${++n}`,
    routes: config.routes,
    providers: registry.resolve,
    decisionSink: { record: (d) => decisions.push(d) },
  });
  const complete = (req: CompletionRequestInput) =>
    engine.complete({ tenantId: 'default', policy, request: CompletionRequestSchema.parse(req) });
  return { sim: registry.simulator!, clock, engine, policy, decisions, complete };
}

const critical = (i: number): CompletionRequestInput => ({
  trafficClass: 'critical',
  messages: [{ role: 'user', content: `Question ${i}: what is the capital of France?` }],
});

describe('a simulated primary outage', () => {
  it('answers every request from the fallback, then returns to the primary after a half-open probe', async () => {
    const { sim, clock, complete, decisions } = await setup();
    sim.setProfile('gpt-4o', { errorRates: { 500: 1 } });

    const during = [];
    for (let i = 0; i < 20; i++) during.push(await complete(critical(i)));
    expect(during.every((r) => r.status === 'answered' && r.routeId === 'claude-sonnet-4')).toBe(true);
    expect(during[0]!.content).toContain('Question 0');
    // Five failures open the breaker; after that the dead route gets no upstream call at all.
    expect(sim.stats().models['gpt-4o']!.requests).toBe(5);
    expect(decisions.at(-1)!.attempts[0]).toMatchObject({ routeId: 'gpt-4o', skipReason: 'circuit_open' });

    sim.clearProfile('gpt-4o');
    expect((await complete(critical(20))).routeId).toBe('claude-sonnet-4');
    await clock.advance(30_000);
    const probe = await complete(critical(21));
    expect(probe).toMatchObject({ routeId: 'gpt-4o', degraded: false });
    expect(decisions.at(-1)!.attempts[0]!.breakerState).toBe('half_open');
    expect((await complete(critical(22))).routeId).toBe('gpt-4o');
  });

  it('carries the whole conversation across wire formats when it falls back', async () => {
    const { sim, complete } = await setup();
    sim.setProfile('gpt-4o', { errorRates: { 503: 1 } });
    const r = await complete({
      trafficClass: 'critical',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Remember the number 42.' },
        { role: 'assistant', content: 'Noted.' },
        { role: 'user', content: 'Which number did I ask you to remember?' },
      ],
    });
    expect(r.provider).toBe('anthropic');
    expect(r.content).toContain('Which number did I ask you to remember?');
    expect(r.usage.inputTokens).toBeGreaterThan(10);
  });
});

describe('streaming failover over real HTTP', () => {
  it('continues a stream dropped mid-way on the next tier with no duplicated or lost text', async () => {
    const { sim, engine, policy } = await setup();
    const request = CompletionRequestSchema.parse({
      trafficClass: 'non_critical',
      messages: [{ role: 'user', content: 'Tell me something about lighthouses and the sea.' }],
    });
    // The healthy answer, for comparison: the simulator's echo is the same text on every model.
    const expected = (await engine.complete({ tenantId: 'default', policy, request })).content;

    sim.setProfile('claude-3-5-haiku-20241022', { streamDropAfterChunks: 2 });
    let text = '';
    const events = [];
    for await (const e of engine.stream({ tenantId: 'default', policy, request })) {
      events.push(e);
      if (e.type === 'text') text += e.text;
    }
    const fallback = events.find((e) => e.type === 'fallback');
    expect(fallback).toMatchObject({ fromRouteId: 'claude-3-5-haiku', toRouteId: 'gpt-4.1-mini', mode: 'continue' });
    expect(fallback!.type === 'fallback' && fallback!.afterChars).toBeGreaterThan(0);
    expect(text).toBe(expected);
    expect(events.at(-1)).toMatchObject({ type: 'done', result: { content: expected, routeId: 'gpt-4.1-mini' } });
  });
});
