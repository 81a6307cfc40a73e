import { describe, expect, it } from 'vitest';
import type { RoutingRule } from '../contracts/policy.js';
import { RouteSpecSchema, type RouteSpec, type RouteSpecInput } from '../contracts/route.js';
import { createSeededRandom } from '../testing/seeded-random.js';
import { applyRules, orderRoutes, type RuleSubject } from './routing.js';

const route = (id: string, extra: Partial<RouteSpecInput> = {}): RouteSpec =>
  RouteSpecSchema.parse({ id, provider: 'sim', model: id, ...extra });

const ids = (routes: RouteSpec[]) => routes.map((r) => r.id);
const noLatency = () => undefined;
const ctx = (seed = 1) => ({ random: createSeededRandom(seed), latencyOf: noLatency });

describe('orderRoutes', () => {
  describe('ordered', () => {
    it('keeps the given order (active-passive)', () => {
      const routes = [route('a'), route('b'), route('c')];
      expect(ids(orderRoutes('ordered', routes, ctx()))).toEqual(['a', 'b', 'c']);
    });

    it('returns a new array', () => {
      const routes = [route('a'), route('b')];
      const ordered = orderRoutes('ordered', routes, ctx());
      expect(ordered).not.toBe(routes);
      expect(ordered).toEqual(routes);
    });
  });

  describe('weighted', () => {
    it('picks a 3:1 route first 75% of the time over 10,000 draws', () => {
      const routes = [route('heavy', { weight: 3 }), route('light', { weight: 1 })];
      const random = createSeededRandom(42);
      let heavyFirst = 0;
      for (let i = 0; i < 10_000; i++) {
        if (orderRoutes('weighted', routes, { random, latencyOf: noLatency })[0]!.id === 'heavy') heavyFirst++;
      }
      expect(heavyFirst / 10_000).toBeGreaterThanOrEqual(0.73);
      expect(heavyFirst / 10_000).toBeLessThanOrEqual(0.77);
    });

    it('never puts a zero-weight route first while others have weight', () => {
      const routes = [route('off', { weight: 0 }), route('a', { weight: 1 }), route('b', { weight: 2 })];
      const random = createSeededRandom(7);
      for (let i = 0; i < 1_000; i++) {
        expect(orderRoutes('weighted', routes, { random, latencyOf: noLatency })[0]!.id).not.toBe('off');
      }
    });

    it('puts zero-weight routes last in their given order', () => {
      const routes = [route('z1', { weight: 0 }), route('a'), route('z2', { weight: 0 }), route('b')];
      const ordered = ids(orderRoutes('weighted', routes, ctx(3)));
      expect(ordered.slice(2)).toEqual(['z1', 'z2']);
      expect(ordered.slice(0, 2).sort()).toEqual(['a', 'b']);
    });

    it('keeps every route reachable: the light route comes second when not first', () => {
      const routes = [route('heavy', { weight: 3 }), route('light', { weight: 1 })];
      const random = createSeededRandom(9);
      for (let i = 0; i < 200; i++) {
        expect(ids(orderRoutes('weighted', routes, { random, latencyOf: noLatency })).sort()).toEqual([
          'heavy',
          'light',
        ]);
      }
    });

    it('orders the rest by weight without replacement', () => {
      const routes = [route('a', { weight: 1 }), route('b', { weight: 1 }), route('c', { weight: 1 })];
      // A scripted Random: 0.9 of 3 picks c; 0.1 of the remaining 2 picks a.
      const script = [0.9, 0.1];
      const random = () => script.shift() ?? 0;
      expect(ids(orderRoutes('weighted', routes, { random, latencyOf: noLatency }))).toEqual(['c', 'a', 'b']);
    });

    it('replays the same order for the same seed', () => {
      const routes = ['a', 'b', 'c', 'd'].map((id, i) => route(id, { weight: i + 1 }));
      expect(ids(orderRoutes('weighted', routes, ctx(123)))).toEqual(ids(orderRoutes('weighted', routes, ctx(123))));
    });

    it('keeps the given order when every weight is zero', () => {
      const routes = [route('a', { weight: 0 }), route('b', { weight: 0 })];
      expect(ids(orderRoutes('weighted', routes, ctx()))).toEqual(['a', 'b']);
    });
  });

  describe('lowest_latency', () => {
    const latencies: Record<string, number> = { fast: 120, mid: 400, slow: 900 };
    const latencyOf = (id: string) => latencies[id];

    it('orders measured routes by ascending p50 latency', () => {
      const routes = [route('slow'), route('fast'), route('mid')];
      expect(ids(orderRoutes('lowest_latency', routes, { random: () => 0, latencyOf }))).toEqual([
        'fast',
        'mid',
        'slow',
      ]);
    });

    it('puts unmeasured routes after measured ones, in their given order', () => {
      const routes = [route('new1'), route('slow'), route('new2'), route('fast')];
      expect(ids(orderRoutes('lowest_latency', routes, { random: () => 0, latencyOf }))).toEqual([
        'fast',
        'slow',
        'new1',
        'new2',
      ]);
    });

    it('keeps the given order when no route is measured', () => {
      const routes = [route('b'), route('a')];
      expect(ids(orderRoutes('lowest_latency', routes, ctx()))).toEqual(['b', 'a']);
    });

    it('keeps the given order for equal latencies', () => {
      const routes = [route('x'), route('y')];
      expect(ids(orderRoutes('lowest_latency', routes, { random: () => 0, latencyOf: () => 300 }))).toEqual(['x', 'y']);
    });
  });

  describe('lowest_cost', () => {
    it('orders by expected cost with the default 1000 input / 500 output tokens', () => {
      const routes = [
        route('premium', { price: { inputPerMTok: 15, outputPerMTok: 75 } }),
        route('cheap', { price: { inputPerMTok: 0.15, outputPerMTok: 0.6 } }),
        route('mid', { price: { inputPerMTok: 3, outputPerMTok: 15 } }),
      ];
      expect(ids(orderRoutes('lowest_cost', routes, ctx()))).toEqual(['cheap', 'mid', 'premium']);
    });

    it('weighs input and output by the expected tokens', () => {
      const routes = [
        route('cheap-out', { price: { inputPerMTok: 10, outputPerMTok: 1 } }),
        route('cheap-in', { price: { inputPerMTok: 1, outputPerMTok: 10 } }),
      ];
      const inputHeavy = { ...ctx(), expectedTokens: { input: 10_000, output: 100 } };
      const outputHeavy = { ...ctx(), expectedTokens: { input: 100, output: 10_000 } };
      expect(ids(orderRoutes('lowest_cost', routes, inputHeavy))).toEqual(['cheap-in', 'cheap-out']);
      expect(ids(orderRoutes('lowest_cost', routes, outputHeavy))).toEqual(['cheap-out', 'cheap-in']);
    });

    it('keeps the given order for equal costs', () => {
      const price = { inputPerMTok: 1, outputPerMTok: 2 };
      const routes = [route('b', { price }), route('a', { price }), route('c', { price })];
      expect(ids(orderRoutes('lowest_cost', routes, ctx()))).toEqual(['b', 'a', 'c']);
    });
  });

  it.each(['ordered', 'weighted', 'lowest_latency', 'lowest_cost'] as const)(
    'does not mutate the input routes (%s)',
    (strategy) => {
      const routes = [
        route('a', { weight: 1, price: { inputPerMTok: 9, outputPerMTok: 9 } }),
        route('b', { weight: 5, price: { inputPerMTok: 1, outputPerMTok: 1 } }),
        route('c', { weight: 0, price: { inputPerMTok: 5, outputPerMTok: 5 } }),
      ];
      const snapshot = structuredClone(routes);
      const latencies: Record<string, number> = { a: 900, b: 100 };
      const ordered = orderRoutes(strategy, routes, {
        random: createSeededRandom(5),
        latencyOf: (id) => latencies[id],
      });
      expect(routes).toEqual(snapshot);
      expect(ordered).not.toBe(routes);
      expect(ids(ordered).sort()).toEqual(['a', 'b', 'c']);
    },
  );
});

describe('applyRules', () => {
  const request = (extra: Partial<RuleSubject> = {}): RuleSubject => ({
    trafficClass: 'non_critical',
    tags: [],
    metadata: {},
    ...extra,
  });

  it("keeps the request's own class when no rule matches", () => {
    const rules: RoutingRule[] = [{ when: { feature: 'billing' }, then: { trafficClass: 'critical' } }];
    expect(applyRules(rules, request({ trafficClass: 'batch' }))).toEqual({ trafficClass: 'batch' });
  });

  it("keeps the request's own class when there are no rules", () => {
    expect(applyRules([], request())).toEqual({ trafficClass: 'non_critical' });
  });

  it('matches when the request has every listed tag', () => {
    const rules: RoutingRule[] = [{ when: { tags: ['vip', 'eu'] }, then: { trafficClass: 'critical' } }];
    expect(applyRules(rules, request({ tags: ['eu', 'beta', 'vip'] }))).toEqual({
      trafficClass: 'critical',
      ruleIndex: 0,
    });
  });

  it('does not match when one listed tag is missing', () => {
    const rules: RoutingRule[] = [{ when: { tags: ['vip', 'eu'] }, then: { trafficClass: 'critical' } }];
    expect(applyRules(rules, request({ tags: ['vip'] }))).toEqual({ trafficClass: 'non_critical' });
  });

  it('matches on feature id', () => {
    const rules: RoutingRule[] = [{ when: { feature: 'nightly-report' }, then: { trafficClass: 'batch' } }];
    expect(applyRules(rules, request({ featureId: 'nightly-report' })).trafficClass).toBe('batch');
    expect(applyRules(rules, request({ featureId: 'chat' })).trafficClass).toBe('non_critical');
    expect(applyRules(rules, request()).trafficClass).toBe('non_critical');
  });

  it('matches when every metadata key equals', () => {
    const rules: RoutingRule[] = [
      { when: { metadata: { region: 'eu', plan: 'pro' } }, then: { route: 'eu-pro-route' } },
    ];
    expect(applyRules(rules, request({ metadata: { region: 'eu', plan: 'pro', extra: 'x' } }))).toEqual({
      trafficClass: 'non_critical',
      pinnedRoute: 'eu-pro-route',
      ruleIndex: 0,
    });
    expect(applyRules(rules, request({ metadata: { region: 'eu', plan: 'free' } })).ruleIndex).toBeUndefined();
    expect(applyRules(rules, request({ metadata: { region: 'eu' } })).ruleIndex).toBeUndefined();
  });

  it('does not match metadata through the prototype', () => {
    const rules: RoutingRule[] = [{ when: { metadata: { toString: 'x' } }, then: { trafficClass: 'critical' } }];
    expect(applyRules(rules, request()).ruleIndex).toBeUndefined();
  });

  it('requires every condition of a rule to match', () => {
    const rules: RoutingRule[] = [
      { when: { tags: ['vip'], feature: 'chat', metadata: { region: 'eu' } }, then: { trafficClass: 'critical' } },
    ];
    const all = request({ tags: ['vip'], featureId: 'chat', metadata: { region: 'eu' } });
    expect(applyRules(rules, all).trafficClass).toBe('critical');
    expect(applyRules(rules, { ...all, featureId: 'search' }).trafficClass).toBe('non_critical');
    expect(applyRules(rules, { ...all, tags: [] }).trafficClass).toBe('non_critical');
    expect(applyRules(rules, { ...all, metadata: { region: 'us' } }).trafficClass).toBe('non_critical');
  });

  it('applies the first matching rule only', () => {
    const rules: RoutingRule[] = [
      { when: { feature: 'other' }, then: { trafficClass: 'experiment' } },
      { when: { tags: ['vip'] }, then: { trafficClass: 'critical' } },
      { when: { tags: ['vip'] }, then: { trafficClass: 'batch', route: 'never' } },
    ];
    expect(applyRules(rules, request({ tags: ['vip'] }))).toEqual({ trafficClass: 'critical', ruleIndex: 1 });
  });

  it('sets both the class and a pinned route', () => {
    const rules: RoutingRule[] = [{ when: { tags: ['x'] }, then: { trafficClass: 'internal', route: 'r1' } }];
    expect(applyRules(rules, request({ tags: ['x'] }))).toEqual({
      trafficClass: 'internal',
      pinnedRoute: 'r1',
      ruleIndex: 0,
    });
  });

  it('matches every request with a rule that has no conditions', () => {
    const rules: RoutingRule[] = [{ when: {}, then: { trafficClass: 'internal' } }];
    expect(applyRules(rules, request())).toEqual({ trafficClass: 'internal', ruleIndex: 0 });
  });
});
