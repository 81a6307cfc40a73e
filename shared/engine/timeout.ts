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
export async function withTimeout<T>(
  clock: Clock,
  timeoutMs: number,
  parent: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<TimedOutcome<T>> {
  const controller = new AbortController();
  let timedOut = false;
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) return { ok: false, error: parent.reason, timedOut: false };
  parent?.addEventListener('abort', onParentAbort, { once: true });
  const cancelTimer = clock.setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`attempt timed out after ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  try {
    const value = await Promise.race([fn(controller.signal), aborted]);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: timedOut ? controller.signal.reason : error, timedOut };
  } finally {
    cancelTimer();
    parent?.removeEventListener('abort', onParentAbort);
  }
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
