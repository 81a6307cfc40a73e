import { describe, expect, it } from 'vitest';
import {
  addLiveCost,
  addToFeed,
  costRows,
  latencyRows,
  liveCostRows,
  successRate,
  successRateRows,
  tierActivationRows,
  totalCost,
  windowFor,
  type LiveCost,
} from './overview-data.js';

const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);

describe('windowFor', () => {
  const now = at('2025-03-10T12:34:56.789Z');

  it.each([
    ['15m', 1, 15 * MIN, 15 * MIN],
    ['1h', 1, 60 * MIN, 60 * MIN],
    ['6h', 5, 360 * MIN, 60 * MIN],
    ['24h', 15, 1_440 * MIN, 60 * MIN],
    ['7d', 60, 10_080 * MIN, 60 * MIN],
  ] as const)('%s ends now, uses %i-minute buckets and caps the live window at an hour', (range, bucket, ms, live) => {
    const w = windowFor(range, now);
    expect(w.to).toBe('2025-03-10T12:34:56.789Z');
    expect(w.bucketMinutes).toBe(bucket);
    expect(w.windowMs).toBe(live);
    const span = now - Date.parse(w.from);
    expect(span).toBeGreaterThanOrEqual(ms);
    expect(span).toBeLessThan(ms + bucket * MIN);
  });

  it('starts the window on a bucket boundary so the first bucket is whole', () => {
    expect(windowFor('15m', now).from).toBe('2025-03-10T12:19:00.000Z');
    expect(windowFor('6h', now).from).toBe('2025-03-10T06:30:00.000Z');
    expect(windowFor('24h', now).from).toBe('2025-03-09T12:30:00.000Z');
    expect(windowFor('7d', now).from).toBe('2025-03-03T12:00:00.000Z');
  });
});

describe('tierActivationRows', () => {
  const window = { from: '2025-03-10T12:00:00.000Z', to: '2025-03-10T12:03:30.000Z', bucketMinutes: 1 };

  it('gives one row per bucket of the window, with missing tiers and buckets at zero', () => {
    const { rows } = tierActivationRows(
      [
        { bucketStart: '2025-03-10T12:00:00.000Z', tiers: [{ tier: 0, requests: 5 }] },
        {
          bucketStart: '2025-03-10T12:02:00.000Z',
          tiers: [
            { tier: 1, requests: 2 },
            { tier: -1, requests: 1 },
          ],
        },
      ],
      window,
    );
    expect(rows).toEqual([
      { t: at('2025-03-10T12:00:00Z'), tier0: 5, tier1: 0, tier2: 0, none: 0 },
      { t: at('2025-03-10T12:01:00Z'), tier0: 0, tier1: 0, tier2: 0, none: 0 },
      { t: at('2025-03-10T12:02:00Z'), tier0: 0, tier1: 2, tier2: 0, none: 1 },
      { t: at('2025-03-10T12:03:00Z'), tier0: 0, tier1: 0, tier2: 0, none: 0 },
    ]);
  });

  it('names the series primary, fallback 1, fallback 2, deeper tiers seen, then none', () => {
    const { series, rows } = tierActivationRows(
      [{ bucketStart: '2025-03-10T12:01:00.000Z', tiers: [{ tier: 4, requests: 3 }] }],
      window,
    );
    expect(series.map((s) => s.label)).toEqual(['primary', 'fallback 1', 'fallback 2', 'fallback 4', 'none']);
    expect(rows[1]).toMatchObject({ tier4: 3 });
    expect(rows[0]).toMatchObject({ tier4: 0 });
  });

  it('keeps every tier in the legend when the window is empty', () => {
    const { series, rows } = tierActivationRows([], window);
    expect(series.map((s) => s.key)).toEqual(['tier0', 'tier1', 'tier2', 'none']);
    expect(rows).toHaveLength(4);
  });
});

describe('totals', () => {
  it('computes the success rate over all tiers and buckets, null without requests', () => {
    const buckets = [
      { tiers: [{ requests: 8, successes: 8 }] },
      {
        tiers: [
          { requests: 1, successes: 1 },
          { requests: 1, successes: 0 },
        ],
      },
    ];
    expect(successRate(buckets)).toBe(0.9);
    expect(successRate([])).toBeNull();
  });

  it('adds up cost shares', () => {
    expect(totalCost([{ costUsd: 0.25 }, { costUsd: 0.5 }])).toBe(0.75);
  });
});

describe('bar rows', () => {
  it('names cost shares through the lookup', () => {
    expect(costRows([{ key: 'acme', costUsd: 1 }], (k) => `${k} Inc.`)).toEqual([{ name: 'acme Inc.', costUsd: 1 }]);
  });

  it('leaves out models without latency samples and keeps p50 beside p95', () => {
    expect(
      latencyRows([
        { model: 'a', p50Ms: 100, p95Ms: 400 },
        { model: 'b', p50Ms: null, p95Ms: null },
      ]),
    ).toEqual([{ name: 'a', p95: 400, p50: 100 }]);
  });

  it('turns success fractions into percent', () => {
    expect(successRateRows([{ model: 'a', rate: 0.975 }])).toEqual([{ name: 'a', successPercent: 97.5 }]);
  });
});

describe('live cost', () => {
  const event = (startedAt: string, finalRouteId: string | null, totalCostUsd: number) => ({
    startedAt,
    finalRouteId,
    totalCostUsd,
  });

  it('adds each decision to the minute it started in, per route', () => {
    let cost: LiveCost = [];
    cost = addLiveCost(cost, event('2025-03-10T12:00:10Z', 'r1', 0.01));
    cost = addLiveCost(cost, event('2025-03-10T12:00:50Z', 'r1', 0.02));
    cost = addLiveCost(cost, event('2025-03-10T12:00:30Z', null, 0.001));
    cost = addLiveCost(cost, event('2025-03-10T12:02:00Z', 'r2', 0.5));
    expect(cost).toEqual([
      { t: at('2025-03-10T12:00:00Z'), byRoute: { r1: 0.03, '': 0.001 } },
      { t: at('2025-03-10T12:02:00Z'), byRoute: { r2: 0.5 } },
    ]);
  });

  it('keeps only the most recent minutes', () => {
    let cost: LiveCost = [];
    cost = addLiveCost(cost, event('2025-03-10T12:00:00Z', 'r1', 1), 3);
    cost = addLiveCost(cost, event('2025-03-10T12:02:00Z', 'r1', 1), 3);
    cost = addLiveCost(cost, event('2025-03-10T12:03:00Z', 'r1', 1), 3);
    expect(cost.map((m) => new Date(m.t).toISOString())).toEqual([
      '2025-03-10T12:02:00.000Z',
      '2025-03-10T12:03:00.000Z',
    ]);
  });

  it('charts cost per minute by model, routes of one model added up, gaps at zero', () => {
    const cost: LiveCost = [
      { t: at('2025-03-10T12:00:00Z'), byRoute: { a1: 0.25, a2: 0.5, '': 0.125 } },
      { t: at('2025-03-10T12:02:00Z'), byRoute: { b: 1 } },
    ];
    const model = (route: string) => ({ a1: 'gpt-4.1', a2: 'gpt-4.1', b: 'claude' })[route] ?? 'no route';
    const { rows, series } = liveCostRows(cost, model);
    expect(series).toEqual([
      { key: 'm0', label: 'claude' },
      { key: 'm1', label: 'gpt-4.1' },
      { key: 'm2', label: 'no route' },
    ]);
    expect(rows).toEqual([
      { t: at('2025-03-10T12:00:00Z'), m0: 0, m1: 0.75, m2: 0.125 },
      { t: at('2025-03-10T12:01:00Z'), m0: 0, m1: 0, m2: 0 },
      { t: at('2025-03-10T12:02:00Z'), m0: 1, m1: 0, m2: 0 },
    ]);
  });

  it('has no rows before the first decision', () => {
    expect(liveCostRows([], (r) => r)).toEqual({ rows: [], series: [] });
  });
});

describe('addToFeed', () => {
  const decision = (id: string) => ({ id, startedAt: '2025-03-10T12:00:00Z', finalRouteId: 'r', totalCostUsd: 0.01 });

  it('keeps the ten newest decisions, newest first', () => {
    let feed = addToFeed(undefined, 'k', decision('d0'));
    for (let i = 1; i < 12; i++) feed = addToFeed(feed, 'k', decision(`d${i}`));
    expect(feed.recent.map((d) => d.id)).toEqual(['d11', 'd10', 'd9', 'd8', 'd7', 'd6', 'd5', 'd4', 'd3', 'd2']);
    expect(feed.cost[0]!.byRoute.r).toBeCloseTo(0.12);
  });

  it('starts afresh when the filter changes', () => {
    const feed = addToFeed(addToFeed(undefined, 'all', decision('d0')), 'acme', decision('d1'));
    expect(feed.key).toBe('acme');
    expect(feed.recent.map((d) => d.id)).toEqual(['d1']);
    expect(feed.cost[0]!.byRoute.r).toBe(0.01);
  });
});
