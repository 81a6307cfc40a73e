import { useCallback, useEffect, useRef } from 'react';

/**
 * Wraps `refetch` so that a burst of triggers runs it at most once every `intervalMs` milliseconds (default 2 000):
 * the first trigger runs at once, later ones within the interval collapse into one run at its end, so the last
 * event of a burst is never lost. The returned function is stable; `refetch` may change between renders.
 */
export function useThrottledRefetch(refetch: () => void, intervalMs = 2_000): () => void {
  const latest = useRef(refetch);
  const lastRun = useRef(Number.NEGATIVE_INFINITY);
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    latest.current = refetch;
  }, [refetch]);
  useEffect(
    () => () => {
      clearTimeout(pending.current);
      pending.current = undefined;
    },
    [],
  );

  return useCallback(() => {
    if (pending.current !== undefined) return;
    const run = () => {
      pending.current = undefined;
      lastRun.current = Date.now();
      latest.current();
    };
    const wait = lastRun.current + intervalMs - Date.now();
    if (wait <= 0) run();
    else pending.current = setTimeout(run, wait);
  }, [intervalMs]);
}
