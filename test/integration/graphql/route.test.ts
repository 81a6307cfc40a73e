import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { ask, COMPLETE, expectData } from './support.js';

const ROUTES = /* GraphQL */ `
  {
    routes {
      id
      provider
      model
      qualityClass
      price {
        inputPerMTok
        outputPerMTok
      }
      contextWindow
      sloP95Ms
      breaker {
        state
        requests
        errorRate
        p50LatencyMs
        p95LatencyMs
      }
    }
  }
`;

interface RouteData {
  id: string;
  breaker: { state: string; requests: number; errorRate: number; p50LatencyMs: number | null };
}

let tb: TestBackstop;
beforeAll(async () => {
  tb = await startTestBackstop();
});
afterAll(() => tb.close());

const routes = async (key?: string) => expectData<{ routes: RouteData[] }>(await tb.gql(ROUTES, {}, key)).routes;

describe('routes', () => {
  it('lists the catalogue with idle breakers', async () => {
    const list = await routes();
    expect(list.map((r) => r.id)).toEqual([...tb.services.config.routes.keys()]);
    expect(list.find((r) => r.id === 'gpt-4o')).toEqual({
      id: 'gpt-4o',
      provider: 'openai',
      model: 'gpt-4o',
      qualityClass: 'premium',
      price: { inputPerMTok: 2.5, outputPerMTok: 10 },
      contextWindow: 128_000,
      sloP95Ms: 15_000,
      breaker: { state: 'closed', requests: 0, errorRate: 0, p50LatencyMs: null, p95LatencyMs: null },
    });
  });

  it('shows live breaker state: an outage opens the primary’s breaker', async () => {
    tb.sim.setProfile('gpt-4o', { errorRates: { 500: 1 } });
    for (let i = 0; i < 6; i++) expectData(await tb.gql(COMPLETE, ask(`outage ${i}`)));
    const primary = (await routes(await tb.key('tenant', 'acme'))).find((r) => r.id === 'gpt-4o')!;
    expect(primary.breaker.state).toBe('open');
    expect(primary.breaker.errorRate).toBe(1);
    const fallback = (await routes()).find((r) => r.id === 'claude-sonnet-4')!;
    expect(fallback.breaker).toMatchObject({ state: 'closed', errorRate: 0, p50LatencyMs: expect.any(Number) });
    expect(fallback.breaker.requests).toBeGreaterThan(0);
    tb.sim.clearProfile('gpt-4o');
  });
});
