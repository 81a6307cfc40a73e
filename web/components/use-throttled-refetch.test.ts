// @vitest-environment happy-dom
import { cleanup, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useThrottledRefetch } from './use-throttled-refetch.js';

describe('useThrottledRefetch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it('runs the first trigger at once', () => {
    const refetch = vi.fn();
    const { result } = renderHook(() => useThrottledRefetch(refetch));
    result.current();
    expect(refetch).toHaveBeenCalledTimes(1);
  });

  it('collapses a burst within 2 s into one trailing run at the end of the interval', () => {
    const refetch = vi.fn();
    const { result } = renderHook(() => useThrottledRefetch(refetch));
    result.current();
    vi.advanceTimersByTime(500);
    result.current();
    result.current();
    vi.advanceTimersByTime(1_000);
    result.current();
    expect(refetch).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(499);
    expect(refetch).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(refetch).toHaveBeenCalledTimes(2);
  });

  it('never runs more than once per interval under a steady stream of triggers', () => {
    const refetch = vi.fn();
    const { result } = renderHook(() => useThrottledRefetch(refetch));
    for (let ms = 0; ms < 9_000; ms += 100) {
      result.current();
      vi.advanceTimersByTime(100);
    }
    expect(refetch).toHaveBeenCalledTimes(5);
  });

  it('runs again at once after a quiet interval', () => {
    const refetch = vi.fn();
    const { result } = renderHook(() => useThrottledRefetch(refetch));
    result.current();
    vi.advanceTimersByTime(2_000);
    result.current();
    expect(refetch).toHaveBeenCalledTimes(2);
  });

  it('calls the latest refetch, not the one of the first render', () => {
    const first = vi.fn();
    const second = vi.fn();
    const { result, rerender } = renderHook(({ fn }) => useThrottledRefetch(fn), { initialProps: { fn: first } });
    result.current();
    rerender({ fn: second });
    result.current();
    vi.advanceTimersByTime(2_000);
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);
  });

  it('drops a pending run when the component unmounts', () => {
    const refetch = vi.fn();
    const { result, unmount } = renderHook(() => useThrottledRefetch(refetch));
    result.current();
    result.current();
    unmount();
    vi.advanceTimersByTime(5_000);
    expect(refetch).toHaveBeenCalledTimes(1);
  });
});
