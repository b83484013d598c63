import { describe, expect, it } from 'vitest';
import { uuidv7 } from './uuid7.js';

describe('uuidv7', () => {
  it('puts the time first and marks version 7 and the RFC variant', () => {
    const id = uuidv7(0x0190_2d6f_bb35, new Uint8Array(10).fill(0xff));
    expect(id).toBe('01902d6f-bb35-7fff-bfff-ffffffffffff');
  });

  it('sorts by time', () => {
    const r = new Uint8Array(10);
    expect(uuidv7(1000, r) < uuidv7(1001, r)).toBe(true);
  });
});
