// @vitest-environment happy-dom
import { renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useVisibleInterval } from './use-visible-interval.js';

function setVisibility(state: DocumentVisibilityState) {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('useVisibleInterval', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    setVisibility('visible');
    vi.useRealTimers();
  });

  it('calls back every interval while the page is visible', () => {
    const tick = vi.fn();
    renderHook(() => useVisibleInterval(tick, 5000));
    vi.advanceTimersByTime(15_000);
    expect(tick).toHaveBeenCalledTimes(3);
  });

  it('pauses while the page is hidden and calls at once when it is shown again', () => {
    const tick = vi.fn();
    renderHook(() => useVisibleInterval(tick, 5000));
    setVisibility('hidden');
    vi.advanceTimersByTime(20_000);
    expect(tick).not.toHaveBeenCalled();
    setVisibility('visible');
    expect(tick).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5000);
    expect(tick).toHaveBeenCalledTimes(2);
  });

  it('stops on unmount', () => {
    const tick = vi.fn();
    const { unmount } = renderHook(() => useVisibleInterval(tick, 5000));
    unmount();
    vi.advanceTimersByTime(20_000);
    expect(tick).not.toHaveBeenCalled();
  });
});
