import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../testing/fake-clock.js';
import { settleWithin } from './timeout.js';

describe('settleWithin', () => {
  const timedOut = () => new Error('not in time');
  /** What the promise came to, as a value, so a rejection can be compared like a resolution. */
  const outcomeOf = (p: Promise<number>) =>
    p.then(
      (value) => ({ value }),
      (error: Error) => ({ error: error.message }),
    );

  it('settles as the work does when it settles in time', async () => {
    const clock = createFakeClock();
    await expect(settleWithin(clock, 1_000, Promise.resolve(7), timedOut)).resolves.toBe(7);
    await expect(settleWithin(clock, 1_000, Promise.reject(new Error('boom')), timedOut)).rejects.toThrow('boom');
  });

  it('rejects with the timeout error once the time passes, and ignores a late outcome', async () => {
    const clock = createFakeClock();
    let finish: (value: number) => void = () => undefined;
    const seen = outcomeOf(settleWithin(clock, 1_000, new Promise<number>((r) => (finish = r)), timedOut));
    await clock.advance(999);
    finish(1);
    await clock.advance(1);
    expect(await seen).toEqual({ value: 1 });

    const lateSeen = outcomeOf(settleWithin(clock, 1_000, new Promise<number>((r) => (finish = r)), timedOut));
    await clock.advance(1_000);
    finish(2);
    expect(await lateSeen).toEqual({ error: 'not in time' });
  });
});
