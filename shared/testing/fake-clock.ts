import type { Clock } from '../engine/ports.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** A Clock whose time moves only when a test moves it. */
export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing due timers in order and letting promises settle between them. */
  advance(ms: number): Promise<void>;
  /** Jumps from timer to timer until `promise` settles (or `maxMs` of fake time passes); returns its result. */
  run<T>(promise: Promise<T>, maxMs?: number): Promise<T>;
  /** Timers not yet fired. */
  pending(): number;
}

// Real macrotask turn: lets every chained promise of the code under test run before time moves again.
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** @example const clock = createFakeClock(); const p = engine.complete(...); await clock.run(p); */
export function createFakeClock(startMs = Date.UTC(2026, 0, 1)): FakeClock {
  let now = startMs;
  let nextId = 1;
  const timers: Timer[] = [];

  const fireDue = (until: number): boolean => {
    timers.sort((a, b) => a.at - b.at || a.id - b.id);
    const t = timers[0];
    if (!t || t.at > until) return false;
    timers.shift();
    now = Math.max(now, t.at);
    t.fn();
    return true;
  };

  return {
    now: () => now,
    setTimeout(fn, ms) {
      const timer = { id: nextId++, at: now + Math.max(0, ms), fn };
      timers.push(timer);
      return () => {
        const i = timers.indexOf(timer);
        if (i >= 0) timers.splice(i, 1);
      };
    },
    async advance(ms) {
      const target = now + ms;
      await flush();
      while (fireDue(target)) await flush();
      now = target;
      await flush();
    },
    async run(promise, maxMs = 24 * 3_600_000) {
      let settled = false;
      const tracked = promise.finally(() => {
        settled = true;
      });
      tracked.catch(() => undefined);
      const limit = now + maxMs;
      for (let guard = 0; guard < 100_000; guard++) {
        await flush();
        if (settled) break;
        timers.sort((a, b) => a.at - b.at || a.id - b.id);
        const next = timers[0];
        if (!next || next.at > limit) break;
        fireDue(next.at);
      }
      await flush();
      if (!settled) throw new Error('FakeClock.run: the promise did not settle (no timer left to fire)');
      return tracked;
    },
    pending: () => timers.length,
  };
}
