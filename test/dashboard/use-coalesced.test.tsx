// @vitest-environment jsdom
/** Reloads after a burst of events: one call per wait, however many asked for it. */
import { cleanup, renderHook } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useCoalesced } from '../../dashboard/src/ui.js';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('useCoalesced', () => {
  it('calls once at the end of each wait, and never after unmounting', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const { result, unmount } = renderHook(() => useCoalesced(fn, 200));
    for (let i = 0; i < 1000; i++) result.current();
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(200);
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);

    result.current();
    result.current();
    vi.advanceTimersByTime(200);
    expect(fn).toHaveBeenCalledTimes(2);

    result.current();
    unmount();
    vi.advanceTimersByTime(200);
    expect(fn).toHaveBeenCalledTimes(2);
  });
});
