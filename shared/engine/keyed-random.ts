import type { Random } from './ports.js';

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

/**
 * A deterministic Random seeded by a string (FNV-1a hash of the key, then mulberry32): the same key always gives
 * the same sequence in [0, 1), whatever else ran before. The what-if replay keys its draws by decision and route.
 * @see http://www.isthe.com/chongo/tech/comp/fnv/
 * @example const random = keyedRandom(`${decisionId}:${routeId}:0`); random() // same number on every run
 */
export function keyedRandom(key: string): Random {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return createSeededRandom(hash);
}
