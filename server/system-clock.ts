import type { Clock } from '../shared/engine/ports.js';

/** The real clock, for the server. The engine never reads real time itself. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
