import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisions } from '../../../drizzle/schema/index.js';
import { startTestBackstop, type TestBackstop } from '../../support/backstop.js';
import { waitFor } from './support.js';

interface RouteRow {
  id: string;
  breaker: { state: string };
  synthetic: { ok: boolean; latencyMs: number; checkedAt: string; error: string | null } | null;
}
interface EventRow {
  ruleId: string;
  state: string;
  subject: string;
  severity: string;
}

let tb: TestBackstop;
beforeAll(async () => {
  tb = await startTestBackstop({
    monitoring: { start: true, syntheticEveryMs: 50, syntheticTimeoutMs: 2_000, evaluateEveryMs: 100 },
  });
});
afterAll(() => tb.close());

const events = async () =>
  (await tb.gql<{ alertEvents: EventRow[] }>('{ alertEvents(first: 100) { ruleId state subject severity } }')).data!
    .alertEvents;

describe('synthetic checks', () => {
  it('notice a dead route with no user traffic: its breaker opens and the synthetic alert fires', async () => {
    tb.sim.setProfile('gpt-4.1', { errorRates: { 500: 1 } });
    try {
      // Five failed probes in a row open the breaker; the probes go straight to the adapter, not through the engine.
      await waitFor('the breaker of gpt-4.1 to open', async () => {
        return (await tb.services.engine.breakers.snapshot('gpt-4.1')).state === 'open';
      });
      const fired = await waitFor('the synthetic and breaker alerts', async () => {
        const all = (await events()).filter((e) => e.subject === 'route:gpt-4.1' && e.state === 'fired');
        const ids = new Set(all.map((e) => e.ruleId));
        return ids.has('default:synthetic-failing') && ids.has('default:breaker-open') && all;
      });
      expect(fired.every((e) => e.severity === 'critical')).toBe(true);

      const { data } = await tb.gql<{ routes: RouteRow[] }>(
        '{ routes { id breaker { state } synthetic { ok latencyMs checkedAt error } } }',
      );
      const dead = data!.routes.find((r) => r.id === 'gpt-4.1')!;
      expect(dead.breaker.state).toBe('open');
      expect(dead.synthetic).toMatchObject({ ok: false, error: expect.stringMatching(/^server_error/) });
      const healthy = data!.routes.find((r) => r.id === 'gpt-4o')!;
      expect(healthy.synthetic).toMatchObject({ ok: true, error: null });
      expect(Date.parse(healthy.synthetic!.checkedAt)).toBeGreaterThan(Date.now() - 60_000);
      expect(tb.services.monitoring.live.syntheticFailuresInARow('gpt-4.1')).toBeGreaterThanOrEqual(2);

      // Probes are not requests: no decision, no spend.
      await tb.services.decisions.flush();
      const [row] = await tb.services.database.db.select({ n: count() }).from(decisions);
      expect(row!.n).toBe(0);
    } finally {
      tb.sim.clearProfile('gpt-4.1');
    }
  });
});
