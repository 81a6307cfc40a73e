import { describe, expect, it } from 'vitest';
import { ask, createEngineHarness } from '../testing/engine-harness.js';
import { isBackstopError } from './errors.js';
import type { BreakEvent } from './events.js';

const failing = () => {
  const h = createEngineHarness({ engine: { breakerOptions: { consecutiveFailures: 5, cooldownMs: 30_000 } } });
  const breaks: BreakEvent[] = [];
  h.engine.events.onBreak((e) => breaks.push(e));
  return { h, breaks };
};

describe('circuit breakers inside the engine', () => {
  it('skips an open route with no upstream call', async () => {
    const { h, breaks } = failing();
    h.providers.always('gpt-4o', { fail: 'server_error' });
    for (let i = 0; i < 3; i++) await h.run(ask('critical'));
    expect(breaks.map((b) => [b.routeId, b.to])).toEqual([['gpt-4o', 'open']]);
    const before = h.providers.callsTo('gpt-4o');
    const r = await h.run(ask('critical'));
    expect(r.routeId).toBe('claude-sonnet-4');
    expect(h.providers.callsTo('gpt-4o')).toBe(before);
    expect(h.decisions.at(-1)!.attempts[0]).toMatchObject({
      routeId: 'gpt-4o',
      outcome: 'skipped',
      skipReason: 'circuit_open',
    });
  });

  it('sends traffic back to the primary after a successful half-open probe', async () => {
    const { h, breaks } = failing();
    h.providers.always('gpt-4o', { fail: 'server_error' });
    for (let i = 0; i < 3; i++) await h.run(ask('critical'));
    h.providers.always('gpt-4o', {});
    await h.clock.advance(30_000);
    const probe = await h.run(ask('critical'));
    expect(probe.routeId).toBe('gpt-4o');
    expect(h.decisions.at(-1)!.attempts[0]!.breakerState).toBe('half_open');
    expect(breaks.map((b) => b.to)).toEqual(['open', 'half_open', 'closed']);
    expect((await h.run(ask('critical'))).routeId).toBe('gpt-4o');
  });

  it('re-opens when the half-open probe fails', async () => {
    const { h, breaks } = failing();
    h.providers.always('gpt-4o', { fail: 'timeout' });
    for (let i = 0; i < 3; i++) await h.run(ask('critical'));
    await h.clock.advance(30_000);
    await h.run(ask('critical'));
    expect(breaks.map((b) => b.to)).toEqual(['open', 'half_open', 'open']);
  });

  it('does not open on failures the request caused', async () => {
    const { h, breaks } = failing();
    h.providers.always('gpt-4o', { fail: 'bad_request' });
    for (let i = 0; i < 8; i++) await h.run(ask('critical')).catch(() => undefined);
    expect(breaks).toEqual([]);
    expect((await h.engine.breakers.snapshot('gpt-4o')).state).toBe('closed');
  });

  it('fails with CIRCUIT_OPEN and no call when every route is open', async () => {
    const h = createEngineHarness({
      engine: { breakerOptions: { consecutiveFailures: 2 } },
      policy: (p) => {
        p.classes.internal.tiers = p.classes.internal.tiers.slice(0, 2);
        p.classes.internal.retry = { maxRetriesPerRoute: 0 };
        return p;
      },
    });
    for (const id of ['gpt-4.1-nano', 'gemini-2.0-flash']) h.providers.always(id, { fail: 'network' });
    for (let i = 0; i < 2; i++) await h.run(ask('internal')).catch(() => undefined);
    const calls = h.providers.calls.length;
    const error = await h.run(ask('internal')).catch((e: unknown) => e);
    expect(isBackstopError(error) && error.code).toBe('CIRCUIT_OPEN');
    expect(h.providers.calls.length).toBe(calls);
  });
});
