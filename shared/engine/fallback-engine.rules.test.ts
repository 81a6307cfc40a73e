import { describe, expect, it } from 'vitest';
import type { PolicyInput } from '../contracts/policy.js';
import { ask, createEngineHarness, rejection } from '../testing/engine-harness.js';
import { DEFAULT_ROUTES } from './default-routes.js';
import { createRouteCatalog } from './policy-matrix.js';

const withRules =
  (rules: NonNullable<PolicyInput['rules']>) =>
  (p: PolicyInput): PolicyInput => ({ ...p, rules });

describe('routing rules', () => {
  it('switches the traffic class when the request carries every tag of the rule', async () => {
    const h = createEngineHarness({
      policy: withRules([{ when: { tags: ['vip', 'checkout'] }, then: { trafficClass: 'critical' } }]),
    });
    const r = await h.run(ask('non_critical', { tags: ['checkout', 'vip', 'eu'] }));
    expect(r).toMatchObject({ routeId: 'gpt-4o', tier: 0 });
    expect(h.decisions[0]!.trafficClass).toBe('critical');
  });

  it('keeps the request class when only some of the rule tags are present', async () => {
    const h = createEngineHarness({
      policy: withRules([{ when: { tags: ['vip', 'checkout'] }, then: { trafficClass: 'critical' } }]),
    });
    const r = await h.run(ask('non_critical', { tags: ['vip'] }));
    expect(r.routeId).toBe('claude-3-5-haiku');
    expect(h.decisions[0]!.trafficClass).toBe('non_critical');
  });

  it('pins a route for a feature and answers from it at tier 0', async () => {
    const h = createEngineHarness({
      policy: withRules([{ when: { feature: 'translate' }, then: { route: 'gemini-2.0-flash' } }]),
    });
    const r = await h.run(ask('non_critical', { featureId: 'translate' }));
    expect(r).toMatchObject({ routeId: 'gemini-2.0-flash', provider: 'google', tier: 0, degraded: false });
    expect(h.providers.calls.map((c) => c.routeId)).toEqual(['gemini-2.0-flash']);
    expect(h.decisions[0]).toMatchObject({ originalRouteId: 'gemini-2.0-flash', finalTier: 0 });
  });

  it('falls back to the class tiers when the pinned route fails', async () => {
    const h = createEngineHarness({
      policy: withRules([{ when: { feature: 'translate' }, then: { route: 'gemini-2.0-flash' } }]),
    });
    h.providers.always('gemini-2.0-flash', { fail: 'server_error' });
    const r = await h.run(ask('non_critical', { featureId: 'translate' }));
    expect(r).toMatchObject({ routeId: 'claude-3-5-haiku', degraded: true, degradedReasons: ['fallback'] });
  });

  it('does not pin the route for other features', async () => {
    const h = createEngineHarness({
      policy: withRules([{ when: { feature: 'translate' }, then: { route: 'gemini-2.0-flash' } }]),
    });
    expect((await h.run(ask('non_critical', { featureId: 'summarize' }))).routeId).toBe('claude-3-5-haiku');
  });

  it('matches on metadata, every key and value of the rule', async () => {
    const h = createEngineHarness({
      policy: withRules([{ when: { metadata: { env: 'staging', team: 'ml' } }, then: { trafficClass: 'experiment' } }]),
    });
    const matched = await h.run(ask('non_critical', { metadata: { env: 'staging', team: 'ml', x: '1' } }));
    const unmatched = await h.run(ask('non_critical', { metadata: { env: 'staging', team: 'web' } }));
    expect(matched.routeId).toBe('gpt-4.1');
    expect(unmatched.routeId).toBe('claude-3-5-haiku');
    expect(h.decisions.map((d) => d.trafficClass)).toEqual(['experiment', 'non_critical']);
  });

  it('applies only the first matching rule', async () => {
    const h = createEngineHarness({
      policy: withRules([
        { when: { tags: ['ops'] }, then: { trafficClass: 'internal' } },
        { when: { tags: ['ops'] }, then: { trafficClass: 'critical', route: 'claude-sonnet-4' } },
      ]),
    });
    const r = await h.run(ask('non_critical', { tags: ['ops'] }));
    expect(r.routeId).toBe('gpt-4.1-nano');
    expect(h.decisions[0]!.trafficClass).toBe('internal');
    expect(h.providers.callsTo('claude-sonnet-4')).toBe(0);
  });
});

describe('tenant and feature overrides', () => {
  const overrides = (p: PolicyInput): PolicyInput => ({
    ...p,
    tenantOverrides: { acme: { non_critical: { tiers: [{ kind: 'routes', routes: ['gpt-4.1-nano'] }] } } },
    featureOverrides: { search: { non_critical: { tiers: [{ kind: 'routes', routes: ['gemini-2.0-flash'] }] } } },
  });

  it("replaces a class's tiers for the overriding tenant only", async () => {
    const h = createEngineHarness({ policy: overrides });
    expect((await h.run(ask('non_critical'), { tenantId: 'acme' })).routeId).toBe('gpt-4.1-nano');
    expect((await h.run(ask('non_critical'), { tenantId: 'globex' })).routeId).toBe('claude-3-5-haiku');
    expect((await h.run(ask('critical'), { tenantId: 'acme' })).routeId).toBe('gpt-4o');
  });

  it('applies a feature override after the tenant override', async () => {
    const h = createEngineHarness({ policy: overrides });
    const both = await h.run(ask('non_critical', { featureId: 'search' }), { tenantId: 'acme' });
    const featureOnly = await h.run(ask('non_critical', { featureId: 'search' }), { tenantId: 'globex' });
    const otherFeature = await h.run(ask('non_critical', { featureId: 'chat' }), { tenantId: 'acme' });
    expect(both.routeId).toBe('gemini-2.0-flash');
    expect(featureOnly.routeId).toBe('gemini-2.0-flash');
    expect(otherFeature.routeId).toBe('gpt-4.1-nano');
  });

  it("keeps the class's hard stop when a tenant override replaces only its tiers", async () => {
    const h = createEngineHarness({
      policy: (p) => ({
        ...p,
        tenantOverrides: {
          acme: {
            critical: {
              tiers: [
                { kind: 'routes', routes: ['gpt-4o'] },
                { kind: 'routes', routes: ['claude-sonnet-4'] },
                { kind: 'routes', routes: ['gemini-2.0-flash'] },
              ],
            },
          },
        },
      }),
    });
    h.providers.always('gpt-4o', { fail: 'server_error' });
    h.providers.always('claude-sonnet-4', { fail: 'server_error' });
    const outcome = h.run(ask('critical'), { tenantId: 'acme' });
    await outcome.catch(() => undefined);
    expect(h.providers.callsTo('gemini-2.0-flash')).toBe(0);
    expect((await rejection(outcome)).message).toMatch(/hard stop: 2 providers failed/);
  });
});

describe('routing strategies inside a tier', () => {
  it('splits traffic by route weight (3:1) over 2 000 requests', async () => {
    const weighted = DEFAULT_ROUTES.map((r) => (r.id === 'claude-3-5-haiku' ? { ...r, weight: 3 } : r));
    const h = createEngineHarness({
      seed: 7,
      engine: { routes: createRouteCatalog(weighted) },
      policy: (p) => {
        p.classes.non_critical.tiers = [
          { kind: 'routes', routes: ['claude-3-5-haiku', 'gpt-4.1-mini'], strategy: 'weighted' },
        ];
        return p;
      },
    });
    const counts = new Map<string | null, number>();
    for (let i = 0; i < 2_000; i++) {
      const r = await h.run(ask('non_critical'));
      counts.set(r.routeId, (counts.get(r.routeId) ?? 0) + 1);
    }
    expect(counts.get('claude-3-5-haiku')! + counts.get('gpt-4.1-mini')!).toBe(2_000);
    expect(counts.get('claude-3-5-haiku')! / 2_000).toBeGreaterThan(0.72);
    expect(counts.get('claude-3-5-haiku')! / 2_000).toBeLessThan(0.78);
  });

  it('lowest_cost sends the request to the cheaper route although it is listed second', async () => {
    const h = createEngineHarness({
      policy: (p) => {
        p.classes.non_critical.tiers = [
          { kind: 'routes', routes: ['gpt-4.1-mini', 'gpt-4.1-nano'], strategy: 'lowest_cost' },
        ];
        return p;
      },
    });
    expect((await h.run(ask('non_critical'))).routeId).toBe('gpt-4.1-nano');
    expect(h.providers.callsTo('gpt-4.1-mini')).toBe(0);
  });

  describe('lowest_latency', () => {
    // Warm-up requests pin one route each (by metadata), so both routes get observed with their own speed.
    const latencyHarness = () =>
      createEngineHarness({
        policy: (p) => {
          p.classes.internal.tiers = [
            { kind: 'routes', routes: ['claude-3-5-haiku', 'gpt-4.1-mini'], strategy: 'lowest_latency' },
          ];
          p.rules = ['claude-3-5-haiku', 'gpt-4.1-mini'].map((route) => ({
            when: { metadata: { warmUp: route } },
            then: { route },
          }));
          return p;
        },
      });

    it('tries the listed order while no latency has been observed', async () => {
      const h = latencyHarness();
      expect((await h.run(ask('internal'))).routeId).toBe('claude-3-5-haiku');
    });

    it('prefers the route its breaker observed as faster', async () => {
      const h = latencyHarness();
      h.providers.always('claude-3-5-haiku', { delayMs: 3_000 });
      h.providers.always('gpt-4.1-mini', { delayMs: 200 });
      for (let i = 0; i < 3; i++) {
        await h.run(ask('internal', { metadata: { warmUp: 'claude-3-5-haiku' } }));
        await h.run(ask('internal', { metadata: { warmUp: 'gpt-4.1-mini' } }));
      }
      expect((await h.engine.breakers.stats('claude-3-5-haiku')).p50LatencyMs).toBeGreaterThan(2_000);
      const r = await h.run(ask('internal'));
      expect(r).toMatchObject({ routeId: 'gpt-4.1-mini', latencyMs: 200 });
      expect(h.providers.callsTo('claude-3-5-haiku')).toBe(3);
    });
  });
});

describe('a route named by the request', () => {
  it('is tried first, and the class tiers still back it up', async () => {
    const { createEngineHarness: make, ask: q } = await import('../testing/engine-harness.js');
    const h = make();
    expect(await h.run(q('non_critical', { route: 'gpt-4o' }))).toMatchObject({ routeId: 'gpt-4o', tier: 0 });
    h.providers.always('gpt-4o', { fail: 'server_error' });
    const r = await h.run(q('non_critical', { route: 'gpt-4o' }));
    expect(r.routeId).toBe('claude-3-5-haiku');
  });
});
