import type { Random } from '../engine/ports.js';

/**
 * A deterministic Random (mulberry32): the same seed replays the same sequence in [0, 1).
 * @see https://gist.github.com/tommyettinger/46a874533244883189143505d203312c
 * @example const random = createSeededRandom(42); orderRoutes('weighted', routes, { random, latencyOf });
 */
export function createSeededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
