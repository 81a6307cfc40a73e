import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../testing/fake-clock.js';
import { settleWithin, withTimeout } from './timeout.js';

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

describe('withTimeout', () => {
  /** Work that never settles on its own and records the signal it was given. */
  const hanging = () => {
    const seen: { signal?: AbortSignal } = {};
    const fn = (signal: AbortSignal) => {
      seen.signal = signal;
      return new Promise<number>(() => undefined);
    };
    return { seen, fn };
  };

  it('gives the value of work that settles in time and leaves its signal unaborted', async () => {
    const clock = createFakeClock();
    let signal: AbortSignal | undefined;
    const outcome = await withTimeout(clock, 1_000, undefined, async (s) => ((signal = s), 7));
    expect(outcome).toEqual({ ok: true, value: 7 });
    await clock.advance(2_000);
    expect(signal!.aborted).toBe(false);
  });

  it('gives the error of work that fails in time, thrown or rejected', async () => {
    const clock = createFakeClock();
    const rejected = await withTimeout(clock, 1_000, undefined, () => Promise.reject(new Error('boom')));
    expect(rejected).toMatchObject({ ok: false, timedOut: false, error: { message: 'boom' } });
    const thrown = await withTimeout(clock, 1_000, undefined, () => {
      throw new Error('sync boom');
    });
    expect(thrown).toMatchObject({ ok: false, timedOut: false, error: { message: 'sync boom' } });
  });

  it('times out work that ignores its signal, aborting the signal with a TimeoutError', async () => {
    const clock = createFakeClock();
    const { seen, fn } = hanging();
    const outcome = withTimeout(clock, 1_000, undefined, fn);
    await clock.advance(999);
    expect(seen.signal!.aborted).toBe(false);
    await clock.advance(1);
    const settled = await outcome;
    expect(settled).toMatchObject({ ok: false, timedOut: true, error: { name: 'TimeoutError' } });
    expect(seen.signal!.reason).toBe((settled as { error: unknown }).error);
  });

  it("reports the timeout, not the callee's abort error, when the callee rejects on its aborted signal", async () => {
    const clock = createFakeClock();
    const outcome = withTimeout(clock, 1_000, undefined, (signal) => {
      return new Promise<number>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    });
    await clock.advance(1_000);
    expect(await outcome).toMatchObject({ ok: false, timedOut: true, error: { name: 'TimeoutError' } });
  });

  it("cancels the work when the caller aborts, with the caller's reason, and stops listening to the caller after", async () => {
    const clock = createFakeClock();
    const parent = new AbortController();
    const { seen, fn } = hanging();
    const outcome = withTimeout(clock, 1_000, parent.signal, fn);
    parent.abort(new Error('caller left'));
    expect(await outcome).toMatchObject({ ok: false, timedOut: false, error: { message: 'caller left' } });
    expect(seen.signal!.aborted).toBe(true);
    await clock.advance(1_000);
    expect(await outcome).toMatchObject({ timedOut: false });

    const next = new AbortController();
    let signal: AbortSignal | undefined;
    await withTimeout(clock, 1_000, next.signal, async (s) => ((signal = s), 1));
    next.abort(new Error('later'));
    expect(signal!.aborted).toBe(false);
  });

  it('does not call the work at all when the caller has already aborted', async () => {
    const clock = createFakeClock();
    const parent = new AbortController();
    parent.abort(new Error('gone'));
    let called = false;
    const outcome = await withTimeout(clock, 1_000, parent.signal, async () => ((called = true), 1));
    expect(outcome).toMatchObject({ ok: false, timedOut: false, error: { message: 'gone' } });
    expect(called).toBe(false);
  });
});
