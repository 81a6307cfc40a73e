import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultProfileSchema } from '../../../shared/contracts/fault-profile.js';
import type { Simulator } from './server.js';
import { startSimulator } from './server.js';
import { InvalidFaultProfileError } from './state.js';
import { openaiBody, send } from './test-helpers.js';

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ seed: 1, profiles: { 'sim-budget': { emptyRate: 1 } } });
});
afterEach(() => sim.close());

const put = (model: string, body: unknown) =>
  send(sim.url, `/_sim/profiles/${encodeURIComponent(model)}`, { method: 'PUT', body });
const complete = (model: string) => send(sim.url, '/v1/chat/completions', { body: openaiBody('hi', {}, model) });

describe('FaultProfileSchema', () => {
  it('accepts the healthy profile {}', () => {
    expect(FaultProfileSchema.parse({})).toEqual({});
  });

  it('accepts every field together', () => {
    const profile = {
      errorRates: { 429: 0.1, 500: 0.05, 503: 0.05, 529: 0.05 },
      retryAfterSeconds: 2,
      latency: { kind: 'normal', meanMs: 20, stddevMs: 5 },
      hangRate: 0.05,
      resetRate: 0.05,
      streamDropAfterChunks: 3,
      streamErrorAfterChunks: 4,
      malformedRate: 0.05,
      emptyRate: 0.05,
      lowQualityRate: 0.05,
      contentFilterRate: 0.05,
      outages: [{ startMs: 1_000, endMs: 2_000 }],
      chunkDelayMs: 1,
    };
    expect(FaultProfileSchema.parse(profile)).toEqual({
      ...profile,
      errorRates: { '429': 0.1, '500': 0.05, '503': 0.05, '529': 0.05 },
    });
  });
});

describe('admin API', () => {
  it('lists the profiles', async () => {
    const res = await send(sim.url, '/_sim/profiles');
    expect(JSON.parse(res.text)).toEqual({ profiles: { 'sim-budget': { emptyRate: 1 } } });
  });

  it('applies a profile put at runtime to the next request', async () => {
    expect((await complete('sim-standard')).status).toBe(200);
    const res = await put('sim-standard', { errorRates: { 503: 1 } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ model: 'sim-standard', profile: { errorRates: { '503': 1 } } });
    expect((await complete('sim-standard')).status).toBe(503);
  });

  it('accepts model names with slashes when percent-encoded', async () => {
    await put('openai/gpt-4o', { errorRates: { 500: 1 } });
    expect((await complete('openai/gpt-4o')).status).toBe(500);
  });

  it.each([
    [{ errorRates: { 429: 1.5 } }, 'errorRates.429'],
    [{ errorRates: { 418: 0.5 } }, 'errorRates.418'],
    [{ hangRate: -0.1 }, 'hangRate'],
    [{ hangrate: 0.1 }, 'hangrate'],
    [{ latency: { kind: 'uniform', minMs: 10, maxMs: 5 } }, 'latency.maxMs'],
    [{ latency: { kind: 'gamma' } }, 'latency.kind'],
    [{ outages: [{ startMs: 10, endMs: 5 }] }, 'outages.0.endMs'],
    [{ streamDropAfterChunks: 1.5 }, 'streamDropAfterChunks'],
    [{ errorRates: { 429: 0.6 }, resetRate: 0.6 }, 'errorRates'],
  ])('rejects %j with a 400 naming %s', async (body, field) => {
    const res = await put('sim-standard', body);
    expect(res.status).toBe(400);
    const json = JSON.parse(res.text);
    expect(json.error.field).toBe(field);
    expect(json.error.message).toContain(field);
    expect(JSON.parse((await send(sim.url, '/_sim/profiles')).text).profiles['sim-standard']).toBeUndefined();
  });

  it('rejects a body that is not JSON', async () => {
    const res = await put('sim-standard', '{not json');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error.message).toMatch(/not valid JSON/);
  });

  it('deletes a profile so the model is healthy again', async () => {
    const res = await send(sim.url, '/_sim/profiles/sim-budget', { method: 'DELETE' });
    expect(JSON.parse(res.text)).toEqual({ model: 'sim-budget', deleted: true });
    expect(JSON.parse((await complete('sim-budget')).text).choices[0].message.content).toBe('You said: "hi"');
  });

  it('applies the * profile to models without their own', async () => {
    await put('*', { errorRates: { 529: 1 } });
    expect((await complete('anything')).status).toBe(529);
    expect((await complete('sim-budget')).status).toBe(200);
  });

  it('counts requests per model and outcome, and resets them', async () => {
    await put('flaky', { errorRates: { 500: 1 } });
    await complete('flaky');
    await complete('flaky');
    await complete('sim-standard');
    await send(sim.url, '/v1/chat/completions', { body: { model: 'sim-standard' } });
    const stats = JSON.parse((await send(sim.url, '/_sim/stats')).text);
    expect(stats).toEqual({
      total: 4,
      models: {
        flaky: { requests: 2, outcomes: { status_500: 2 } },
        'sim-standard': { requests: 2, outcomes: { ok: 1, bad_request: 1 } },
      },
    });
    expect(sim.stats()).toEqual(stats);
    expect((await send(sim.url, '/_sim/reset', { method: 'POST' })).status).toBe(200);
    expect(JSON.parse((await send(sim.url, '/_sim/stats')).text)).toEqual({ total: 0, models: {} });
  });

  it('answers an unknown admin route with 404', async () => {
    expect((await send(sim.url, '/_sim/nothing')).status).toBe(404);
  });
});

describe('programmatic control', () => {
  it('sets and clears profiles', async () => {
    sim.setProfile('sim-standard', { errorRates: { 429: 1 }, retryAfterSeconds: 3 });
    const limited = await complete('sim-standard');
    expect([limited.status, limited.headers['retry-after']]).toEqual([429, '3']);
    sim.clearProfile('sim-standard');
    expect((await complete('sim-standard')).status).toBe(200);
  });

  it('throws an error naming the field for an invalid profile', () => {
    const attempt = () => sim.setProfile('x', { emptyRate: 2 });
    expect(attempt).toThrow(InvalidFaultProfileError);
    expect(attempt).toThrow(/emptyRate/);
  });
});
