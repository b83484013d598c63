import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  keyValues,
  ProgressBar,
  relativeTime,
  Spinner,
  table,
} from '../../src/cli/terminal.js';

/** A stand-in for stderr that records what was drawn. */
function fakeStream(isTTY: boolean, columns = 100) {
  const writes: string[] = [];
  return { isTTY, columns, writes, write: (s: string) => writes.push(s) };
}

describe('CLI terminal helpers', () => {
  it('aligns table columns, ignoring colour codes, and keeps each row on one line', () => {
    const text = table(
      ['FILE', 'FIELD', 'VALUE'],
      [
        ['a.txt', 'total', '\x1b[31m12.50\x1b[39m'],
        ['invoice-1002.csv', 'vendor', 'Two\nlines'],
      ],
    );
    expect(text).toBe(
      [
        'FILE              FIELD   VALUE',
        'a.txt             total   \x1b[31m12.50\x1b[39m',
        'invoice-1002.csv  vendor  Two ⏎ lines',
        '',
      ].join('\n'),
    );
    expect(
      keyValues([
        ['Run', 'r1'],
        ['Tags', undefined],
        ['Status', 'COMPLETE'],
      ]),
    ).toBe('Run     r1\nStatus  COMPLETE\n');
  });

  it('says times relative to now, sizes and durations for people', () => {
    const now = Date.UTC(2026, 0, 10, 12);
    expect(relativeTime(now - 2_000, now)).toBe('just now');
    expect(relativeTime(now - 45_000, now)).toBe('45 seconds ago');
    expect(relativeTime(now - 3 * 60_000 - 10_000, now)).toBe('3 minutes ago');
    expect(relativeTime(now - 5 * 3_600_000, now)).toBe('5 hours ago');
    expect(relativeTime(now - 2 * 86_400_000, now)).toBe('2 days ago');
    expect(relativeTime(now + 2 * 3_600_000, now)).toBe('in 2 hours');
    expect([0, 999, 1_300, 30_000_000, 2_500_000_000].map(formatBytes)).toEqual([
      '0 B',
      '999 B',
      '1.3 kB',
      '30.0 MB',
      '2.5 GB',
    ]);
    expect([250, 1_234, 75_000, 7_260_000].map(formatDuration)).toEqual([
      '250ms',
      '1.2s',
      '1m 15s',
      '2h 1m',
    ]);
  });

  it('draws a byte progress bar with the rate on a terminal, and nothing elsewhere', () => {
    let t = 1_000;
    const tty = fakeStream(true);
    const bar = new ProgressBar(tty, 'a.pdf', 2_000_000, { unit: 'bytes', now: () => t });
    t += 1_000;
    bar.update(1_000_000);
    expect(bar.render()).toBe('a.pdf  ██████████░░░░░░░░░░  50% 1.0 MB / 2.0 MB  1.0 MB/s');
    bar.update(2_000_000);
    bar.finish();
    expect(tty.writes.at(-1)).toBe('\n');
    expect(tty.writes.join('')).toContain('100% 2.0 MB / 2.0 MB');

    const pipe = fakeStream(false);
    const quiet = new ProgressBar(pipe, 'a.pdf', 10, { unit: 'bytes' });
    quiet.update(10);
    quiet.finish();
    expect(pipe.writes).toEqual([]);
  });

  it('counts files done of the total, and a spinner draws only on a terminal', () => {
    const tty = fakeStream(true);
    const bar = new ProgressBar(tty, 'invoice-extractor (running)', 3, {
      unit: 'count',
      noun: 'files',
    });
    bar.update(1);
    expect(bar.render()).toBe('invoice-extractor (running)  ███████░░░░░░░░░░░░░  33% 1/3 files');
    bar.clear();
    expect(tty.writes.at(-1)).toBe('\r\x1b[2K');

    const pipe = fakeStream(false);
    new Spinner(pipe, 'waiting').clear();
    expect(pipe.writes).toEqual([]);
    const spinning = new Spinner(tty, 'Deleting run r1');
    expect(tty.writes.at(-1)).toMatch(/Deleting run r1$/);
    spinning.clear();
    expect(tty.writes.at(-1)).toBe('\r\x1b[2K');
  });
});
