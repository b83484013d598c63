import { describe, expect, it } from 'vitest';
import { FairQueue } from './fair-queue.js';

describe('FairQueue', () => {
  it('takes turns between keys, oldest first within a key', () => {
    const q = new FairQueue<string>();
    for (let i = 1; i <= 4; i++) q.push('acme', `a${i}`);
    q.push('globex', 'g1');
    q.push('globex', 'g2');
    expect(q.length).toBe(6);
    expect([q.shift(), q.shift(), q.shift(), q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([
      'g1',
      'a1',
      'g2',
      'a2',
      'a3',
      'a4',
      undefined,
    ]);
    expect(q.length).toBe(0);
  });

  it('gives a key that arrives late its turn next', () => {
    const q = new FairQueue<string>();
    q.push('acme', 'a1');
    q.push('acme', 'a2');
    q.push('acme', 'a3');
    expect(q.shift()).toBe('a1');
    q.push('globex', 'g1');
    expect(q.shift()).toBe('g1');
    expect(q.drain()).toEqual(['a2', 'a3']);
  });
});
