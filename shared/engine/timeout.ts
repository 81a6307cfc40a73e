import type { Clock } from './ports.js';

/** Resolves after `ms` on the injected clock; rejects with the signal's reason if it aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export type TimedOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown; timedOut: boolean };

/**
 * Runs `fn` with a signal that aborts after `timeoutMs` or when `parent` aborts. The attempt is cancelled,
 * not left running, and a callee that ignores its signal cannot hold the engine past the timeout.
 */
export function withTimeout<T>(
  clock: Clock,
  timeoutMs: number,
  parent: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<TimedOutcome<T>> {
  if (parent?.aborted) return Promise.resolve({ ok: false, error: parent.reason, timedOut: false });
  // One promise settled by whichever comes first (the work, the timer, the parent), rather than Promise.race over an
  // extra abort promise: this runs once per upstream attempt.
  return new Promise((resolve) => {
    const controller = new AbortController();
    let settled = false;
    const finish = (outcome: TimedOutcome<T>) => {
      if (settled) return;
      settled = true;
      cancelTimer();
      parent?.removeEventListener('abort', onParentAbort);
      resolve(outcome);
    };
    // Settled right after the abort, so a callee that ignores its signal cannot hold the engine.
    const abort = (reason: unknown, timedOut: boolean) => {
      controller.abort(reason);
      finish({ ok: false, error: controller.signal.reason, timedOut });
    };
    const onParentAbort = () => abort(parent?.reason, false);
    parent?.addEventListener('abort', onParentAbort, { once: true });
    const cancelTimer = clock.setTimeout(
      () => abort(new DOMException(`attempt timed out after ${timeoutMs} ms`, 'TimeoutError'), true),
      timeoutMs,
    );
    let work: Promise<T>;
    try {
      work = fn(controller.signal);
    } catch (error) {
      finish({ ok: false, error, timedOut: false });
      return;
    }
    // After a timeout or an abort these come too late: `finish` keeps the first outcome.
    work.then(
      (value) => finish({ ok: true, value }),
      (error: unknown) => finish({ ok: false, error, timedOut: false }),
    );
  });
}

/**
 * `work`'s outcome, or a rejection with `timeoutError()` once `timeoutMs` passes on the injected clock without it
 * settling. For work that cannot be cancelled (a database transaction): it is left to itself, and a late outcome is
 * ignored.
 */
export function settleWithin<T>(
  clock: Clock,
  timeoutMs: number,
  work: Promise<T>,
  timeoutError: () => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = clock.setTimeout(() => reject(timeoutError()), timeoutMs);
    work.then(
      (value) => (cancel(), resolve(value)),
      (error: unknown) => (cancel(), reject(error)),
    );
  });
}
