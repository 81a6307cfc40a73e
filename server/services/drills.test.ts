import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FaultProfile } from '../../shared/contracts/fault-profile.js';
import { isBackstopError } from '../../shared/engine/errors.js';
import { createRouteCatalog } from '../../shared/engine/policy-matrix.js';
import { createDrillService, DrillUnavailableError, type DrillServiceOptions } from './drills.js';
import type { Principal } from './tenant-store.js';

const routes = createRouteCatalog([
  { id: 'gpt-4o', provider: 'sim', model: 'gpt-4o' },
  { id: 'gpt-4o-eu', provider: 'sim', model: 'gpt-4o' },
  { id: 'sonnet', provider: 'sim-anthropic', model: 'claude-sonnet-4-20250514' },
  { id: 'real', provider: 'openai', model: 'gpt-4.1' },
]);
const providers = { sim: { kind: 'simulator' }, 'sim-anthropic': { kind: 'simulator' }, openai: { kind: 'openai' } };
const admin: Principal = { keyId: 'key-1', role: 'admin', tenantId: null };
const failing: FaultProfile = { errorRates: { '500': 1 } };
const slow: FaultProfile = { latency: { kind: 'fixed', ms: 2_000 } };

/** A simulator's profile table, as `setProfile` / `clearProfile` leave it. */
function fakeSimulator(initial: Record<string, FaultProfile> = {}) {
  const profiles = new Map(Object.entries(initial));
  return {
    setProfile: vi.fn((model: string, profile: FaultProfile) => void profiles.set(model, profile)),
    clearProfile: vi.fn((model: string) => void profiles.delete(model)),
    profiles: () => Object.fromEntries(profiles),
  };
}

function setup(options: Partial<DrillServiceOptions> = {}) {
  const simulator = fakeSimulator();
  const audit = vi.fn(async () => undefined);
  // Fake timers fake Date.now too, so the stamps and the end timer share one timeline.
  const clock = { now: () => Date.now(), setTimeout: () => () => undefined };
  const drills = createDrillService({ simulator, routes, providers, clock, audit, ...options });
  return { simulator, audit, drills };
}

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createDrillService', () => {
  it('sets the profile on the route’s model and lists the drill with its end time', async () => {
    const { simulator, drills } = setup();
    const drill = await drills.start({ routeId: 'sonnet', profile: failing, durationSeconds: 120 }, admin);
    expect(simulator.setProfile).toHaveBeenCalledWith('claude-sonnet-4-20250514', failing);
    expect(drill).toEqual({
      routeId: 'sonnet',
      model: 'claude-sonnet-4-20250514',
      profile: failing,
      startedAt: new Date(Date.UTC(2026, 0, 1)),
      endsAt: new Date(Date.UTC(2026, 0, 1) + 120_000),
    });
    expect(drills.list()).toEqual([drill]);
  });

  it('clears the profile when the duration ends, and not a moment before', async () => {
    const { simulator, drills } = setup();
    await drills.start({ routeId: 'gpt-4o', profile: failing, durationSeconds: 60 }, admin);
    vi.advanceTimersByTime(59_999);
    expect(simulator.profiles()).toEqual({ 'gpt-4o': failing });
    vi.advanceTimersByTime(1);
    expect(simulator.profiles()).toEqual({});
    expect(drills.list()).toEqual([]);
  });

  it('puts back a profile the model had before the drill', async () => {
    const simulator = fakeSimulator({ 'gpt-4o': slow });
    const { drills } = setup({ simulator });
    await drills.start({ routeId: 'gpt-4o', profile: failing, durationSeconds: 60 }, admin);
    expect(simulator.profiles()['gpt-4o']).toEqual(failing);
    expect(await drills.stop('gpt-4o', admin)).toBe(true);
    expect(simulator.profiles()['gpt-4o']).toEqual(slow);
  });

  it('replaces a running drill on the same route: the new duration counts, the original profile comes back', async () => {
    const simulator = fakeSimulator({ 'gpt-4o': slow });
    const { drills } = setup({ simulator });
    await drills.start({ routeId: 'gpt-4o', profile: failing, durationSeconds: 30 }, admin);
    vi.advanceTimersByTime(20_000);
    const second: FaultProfile = { errorRates: { '429': 1 } };
    await drills.start({ routeId: 'gpt-4o', profile: second, durationSeconds: 30 }, admin);
    vi.advanceTimersByTime(15_000);
    // The first drill's timer would have fired by now; it was cancelled.
    expect(simulator.profiles()['gpt-4o']).toEqual(second);
    expect(drills.list()).toHaveLength(1);
    vi.advanceTimersByTime(15_000);
    expect(simulator.profiles()['gpt-4o']).toEqual(slow);
  });

  it('lets a drill on another route of the same model take over that model', async () => {
    const { simulator, drills } = setup();
    await drills.start({ routeId: 'gpt-4o', profile: failing, durationSeconds: 60 }, admin);
    await drills.start({ routeId: 'gpt-4o-eu', profile: slow, durationSeconds: 60 }, admin);
    expect(drills.list().map((d) => d.routeId)).toEqual(['gpt-4o-eu']);
    expect(await drills.stop('gpt-4o')).toBe(false);
    expect(simulator.profiles()).toEqual({ 'gpt-4o': slow });
    expect(await drills.stop('gpt-4o-eu')).toBe(true);
    expect(simulator.profiles()).toEqual({});
  });

  it('audits start and stop with the actor, but not a stop with nothing running', async () => {
    const { audit, drills } = setup();
    await drills.start({ routeId: 'gpt-4o', profile: failing, durationSeconds: 60 }, admin);
    await drills.stop('gpt-4o', admin);
    await drills.stop('gpt-4o', admin);
    expect(audit.mock.calls).toEqual([
      [
        admin,
        'drill.started',
        'gpt-4o',
        null,
        { model: 'gpt-4o', profile: failing, durationSeconds: 60, endsAt: '2026-01-01T00:01:00.000Z' },
      ],
      [admin, 'drill.stopped', 'gpt-4o', null, { model: 'gpt-4o' }],
    ]);
  });

  it('applies nothing when the audit write fails', async () => {
    const { simulator, drills } = setup({ audit: async () => Promise.reject(new Error('database down')) });
    await expect(drills.start({ routeId: 'gpt-4o', profile: failing, durationSeconds: 60 }, admin)).rejects.toThrow(
      'database down',
    );
    expect(simulator.setProfile).not.toHaveBeenCalled();
    expect(drills.list()).toEqual([]);
  });

  it('is unavailable without a simulator, and for a route on a real provider', async () => {
    const { drills } = setup({ simulator: undefined });
    const start = drills.start({ routeId: 'gpt-4o', profile: failing, durationSeconds: 60 }, admin);
    await expect(start).rejects.toBeInstanceOf(DrillUnavailableError);
    await expect(start).rejects.toMatchObject({ code: 'DRILL_UNAVAILABLE' });
    expect(drills.list()).toEqual([]);
    expect(await drills.stop('gpt-4o')).toBe(false);

    const real = setup().drills.start({ routeId: 'real', profile: failing, durationSeconds: 60 }, admin);
    await expect(real).rejects.toMatchObject({ code: 'DRILL_UNAVAILABLE', message: expect.stringContaining('openai') });
  });

  it('rejects an unknown route, a duration outside 10..900 s and an invalid profile, changing nothing', async () => {
    const { simulator, audit, drills } = setup();
    const bad = [
      { routeId: 'nope', profile: failing, durationSeconds: 60 },
      { routeId: 'gpt-4o', profile: failing, durationSeconds: 9 },
      { routeId: 'gpt-4o', profile: failing, durationSeconds: 901 },
      { routeId: 'gpt-4o', profile: { errorRates: { '500': 2 } }, durationSeconds: 60 },
    ];
    for (const input of bad) {
      const error = await drills.start(input, admin).catch((e: unknown) => e);
      expect(isBackstopError(error) && error.code).toBe('REQUEST_REJECTED');
    }
    await expect(drills.stop('nope')).rejects.toMatchObject({ code: 'REQUEST_REJECTED' });
    expect(simulator.setProfile).not.toHaveBeenCalled();
    expect(audit).not.toHaveBeenCalled();
  });

  it('restores every profile and cancels every timer on close, then refuses new drills', async () => {
    const simulator = fakeSimulator({ 'claude-sonnet-4-20250514': slow });
    const { drills } = setup({ simulator });
    await drills.start({ routeId: 'gpt-4o', profile: failing, durationSeconds: 60 }, admin);
    await drills.start({ routeId: 'sonnet', profile: failing, durationSeconds: 60 }, admin);
    drills.close();
    expect(simulator.profiles()).toEqual({ 'claude-sonnet-4-20250514': slow });
    expect(drills.list()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    await expect(
      drills.start({ routeId: 'gpt-4o', profile: failing, durationSeconds: 60 }, admin),
    ).rejects.toMatchObject({ code: 'DRILL_UNAVAILABLE' });
  });
});
