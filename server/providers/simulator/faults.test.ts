import { describe, expect, it } from 'vitest';
import type { FaultProfile } from '../../../shared/contracts/fault-profile.js';
import { createSeededRandom } from '../../../shared/testing/seeded-random.js';
import { createModelRandoms, decideOutcome, sampleLatencyMs } from './faults.js';
import { startSimulator } from './server.js';
import { openaiBody, send } from './test-helpers.js';

const NOW = Date.UTC(2026, 0, 1);

async function statusSequence(seed: number, count: number): Promise<number[]> {
  const sim = await startSimulator({ seed, profiles: { flaky: { errorRates: { 429: 0.3 } } } });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++)
      statuses.push((await send(sim.url, '/v1/chat/completions', { body: openaiBody('hi', {}, 'flaky') })).status);
    return statuses;
  } finally {
    await sim.close();
  }
}

describe('decideOutcome', () => {
  it('walks the rates in order with one draw', () => {
    const profile: FaultProfile = { hangRate: 0.1, errorRates: { 429: 0.2 }, emptyRate: 0.3 };
    const at = (draw: number) => decideOutcome(profile, () => draw, NOW, false);
    expect([at(0.05), at(0.15), at(0.45), at(0.65)]).toEqual(['hang', 'status_429', 'empty', 'ok']);
  });

  it('turns a healthy streamed answer into a stream fault, preferring the error event', () => {
    const both: FaultProfile = { streamDropAfterChunks: 1, streamErrorAfterChunks: 2 };
    expect(decideOutcome(both, () => 0.5, NOW, true)).toBe('stream_error');
    expect(decideOutcome({ streamDropAfterChunks: 1 }, () => 0.5, NOW, true)).toBe('stream_drop');
    expect(decideOutcome({ streamDropAfterChunks: 1 }, () => 0.5, NOW, false)).toBe('ok');
  });

  it('draws once per request even during an outage, so the sequence after it is unchanged', () => {
    const profile: FaultProfile = { errorRates: { 500: 0.5 }, outages: [{ startMs: NOW, endMs: NOW + 10 }] };
    const during = createSeededRandom(9);
    const outside = createSeededRandom(9);
    expect(decideOutcome(profile, during, NOW + 5, false)).toBe('outage');
    decideOutcome(profile, outside, NOW + 20, false);
    const next = (r: () => number) => Array.from({ length: 20 }, () => decideOutcome(profile, r, NOW + 20, false));
    expect(next(during)).toEqual(next(outside));
  });

  it('gives each model its own stream under one seed', () => {
    const a = createModelRandoms(1, 'model-a').outcome;
    const b = createModelRandoms(1, 'model-b').outcome;
    expect(a()).not.toBe(b());
  });
});

describe('sampleLatencyMs', () => {
  it('samples fixed, uniform and normal latencies within their bounds', () => {
    const random = createSeededRandom(3);
    expect(sampleLatencyMs(undefined, random)).toBe(0);
    expect(sampleLatencyMs({ kind: 'fixed', ms: 12 }, random)).toBe(12);
    for (let i = 0; i < 100; i++) {
      const uniform = sampleLatencyMs({ kind: 'uniform', minMs: 5, maxMs: 9 }, random);
      expect(uniform).toBeGreaterThanOrEqual(5);
      expect(uniform).toBeLessThan(9);
      expect(sampleLatencyMs({ kind: 'normal', meanMs: 1, stddevMs: 50 }, random)).toBeGreaterThanOrEqual(0);
    }
  });

  it('centres normal latencies on the mean', () => {
    const random = createSeededRandom(5);
    const samples = Array.from({ length: 2_000 }, () =>
      sampleLatencyMs({ kind: 'normal', meanMs: 100, stddevMs: 10 }, random),
    );
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(mean).toBeGreaterThan(98);
    expect(mean).toBeLessThan(102);
  });
});

describe('replay', () => {
  it('replays the same outcomes for the same seed over 200 requests at a 30% 429 rate', async () => {
    const first = await statusSequence(42, 200);
    const second = await statusSequence(42, 200);
    expect(second).toEqual(first);
    const limited = first.filter((s) => s === 429).length;
    expect(limited).toBeGreaterThan(40);
    expect(limited).toBeLessThan(80);
    expect(first.every((s) => s === 200 || s === 429)).toBe(true);
  });

  it('produces a different sequence for a different seed', async () => {
    expect(await statusSequence(43, 200)).not.toEqual(await statusSequence(42, 200));
  });

  it('rewinds to the start of the sequence on reset', async () => {
    const sim = await startSimulator({ seed: 42, profiles: { flaky: { errorRates: { 429: 0.3 } } } });
    try {
      const run = async () => {
        const out: number[] = [];
        for (let i = 0; i < 30; i++)
          out.push((await send(sim.url, '/v1/chat/completions', { body: openaiBody('hi', {}, 'flaky') })).status);
        return out;
      };
      const first = await run();
      sim.reset();
      expect(sim.stats().total).toBe(0);
      expect(await run()).toEqual(first);
      expect(first).toEqual(await statusSequence(42, 30));
    } finally {
      await sim.close();
    }
  });
});
