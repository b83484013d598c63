import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff.js';

describe('backoffMs', () => {
  it('doubles from the base, between half and all of the step', () => {
    expect(backoffMs(0, { baseMs: 100, random: () => 0 })).toBe(50);
    expect(backoffMs(0, { baseMs: 100, random: () => 1 })).toBe(100);
    expect(backoffMs(3, { baseMs: 100, random: () => 1 })).toBe(800);
    expect(backoffMs(3, { baseMs: 100, random: () => 0.5 })).toBe(600);
  });

  it('never waits longer than the cap, however many failures', () => {
    expect(backoffMs(50, { baseMs: 100, capMs: 5_000, random: () => 1 })).toBe(5_000);
    expect(backoffMs(1e6, { baseMs: 100, capMs: 5_000, random: () => 0 })).toBe(2_500);
  });
});
