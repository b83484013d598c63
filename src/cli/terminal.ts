/**
 * The CLI's terminal helpers, in one module: colours (only on a terminal), aligned tables,
 * relative times, sizes, and the live progress bar and spinner (stderr, only on a terminal).
 */
import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

/** What the live widgets draw on: stderr in the CLI, a fake stream in tests. */
export interface LiveStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/** Colours when the stream is a terminal and NO_COLOR is unset (FORCE_COLOR forces them). */
export function colourEnabled(stream: { isTTY?: boolean }, env = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export type Paint = (style: Style, text: string) => string;

export const painter =
  (enabled: boolean): Paint =>
  (style, text) =>
    enabled && text !== '' ? styleText(style, text) : text;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Printed width of a cell: colour codes take no room. */
const width = (s: string) => [...s.replace(ANSI, '')].length;

/** One line per cell: newlines and tabs would break the columns. */
const oneLine = (s: string) => s.replace(/\r?\n/g, ' ⏎ ').replace(/\t/g, ' ');

/** Rows under a header, columns aligned two spaces apart; the last column is not padded. */
export function table(headers: string[], rows: string[][], paint: Paint = (_, t) => t): string {
  const cells = rows.map((r) => r.map(oneLine));
  const widths = headers.map((h, i) => Math.max(width(h), ...cells.map((r) => width(r[i] ?? ''))));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - width(c))))
      .join('  ')
      .trimEnd();
  return [paint('bold', line(headers)), ...cells.map(line)].join('\n') + '\n';
}

/** `label: value` lines with the values aligned; empty values are left out. */
export function keyValues(pairs: [string, string | undefined][], paint: Paint = (_, t) => t) {
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '');
  const w = Math.max(0, ...shown.map(([k]) => width(k)));
  return shown.map(([k, v]) => `${paint('dim', k.padEnd(w))}  ${oneLine(v)}`).join('\n') + '\n';
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['week', 7 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];
const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'always' });

/** "3 minutes ago", "in 2 hours", "just now". */
export function relativeTime(ms: number, now = Date.now()): string {
  const diff = ms - now;
  if (Math.abs(diff) < 5_000) return 'just now';
  for (const [unit, size] of UNITS) {
    if (Math.abs(diff) >= size) return rtf.format(Math.trunc(diff / size), unit);
  }
  return 'just now';
}

/** 1234567 → "1.2 MB" (powers of 1000, as file managers show them). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 999.95 && i < units.length - 1);
  return `${v.toFixed(v < 100 ? 1 : 0)} ${units[i]}`;
}

/** 1234 → "1.2s", 75000 → "1m 15s", 7_200_000 → "2h 0m". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** Widgets drawing on the terminal now, cleared before an error is printed. */
const live = new Set<{ clear(): void }>();

export function clearLiveOutput(): void {
  for (const w of [...live]) w.clear();
}

const CLEAR_LINE = '\r\x1b[2K';
const REDRAW_MS = 100;

export interface ProgressOptions {
  /** `bytes`: sizes and a transfer rate; `count`: "3/5 files". */
  unit: 'bytes' | 'count';
  /** What a count counts ("files"). */
  noun?: string;
  /** Injected in tests. */
  now?: () => number;
}

/** A one-line progress bar, redrawn in place; draws nothing unless the stream is a terminal. */
export class ProgressBar {
  private done = 0;
  private lastDraw = 0;
  private readonly started: number;
  private readonly now: () => number;
  private readonly enabled: boolean;

  constructor(
    private readonly stream: LiveStream,
    private label: string,
    private total: number | undefined,
    private readonly o: ProgressOptions,
  ) {
    this.now = o.now ?? Date.now;
    this.started = this.now();
    this.enabled = stream.isTTY === true;
    if (this.enabled) {
      live.add(this);
      this.draw();
    }
  }

  update(done: number, total = this.total, label = this.label): void {
    this.done = done;
    this.total = total;
    this.label = label;
    if (!this.enabled) return;
    const t = this.now();
    if (t - this.lastDraw >= REDRAW_MS || (total !== undefined && done >= total)) this.draw();
  }

  /** The line as it would be drawn now. */
  render(): string {
    const { done, total } = this;
    const frac = total ? Math.min(1, done / total) : 0;
    const cols = this.stream.columns || 80;
    const bar = total === undefined ? '' : `${'█'.repeat(Math.round(frac * 20)).padEnd(20, '░')} `;
    const pct = total === undefined ? '' : `${String(Math.floor(frac * 100)).padStart(3)}% `;
    let amount: string;
    if (this.o.unit === 'bytes') {
      const secs = (this.now() - this.started) / 1000;
      const rate = secs > 0.05 ? `  ${formatBytes(Math.round(done / secs))}/s` : '';
      amount = `${formatBytes(done)}${total !== undefined ? ` / ${formatBytes(total)}` : ''}${rate}`;
    } else {
      amount = `${done}${total !== undefined ? `/${total}` : ''} ${this.o.noun ?? ''}`.trimEnd();
    }
    const tail = `${bar}${pct}${amount}`;
    // The label gives way to the numbers on a narrow terminal, but keeps a readable stub.
    const room = Math.max(16, cols - width(tail) - 3);
    const label = this.label.length > room ? `${this.label.slice(0, room - 1)}…` : this.label;
    return `${label}  ${tail}`;
  }

  private draw(): void {
    this.lastDraw = this.now();
    this.stream.write(CLEAR_LINE + this.render());
  }

  /** Leaves the final state on its own line. */
  finish(): void {
    if (!this.enabled || !live.has(this)) return;
    this.draw();
    this.stream.write('\n');
    live.delete(this);
  }

  /** Removes the bar from the screen. */
  clear(): void {
    if (!this.enabled || !live.has(this)) return;
    this.stream.write(CLEAR_LINE);
    live.delete(this);
  }
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A spinner with a message, while waiting; draws nothing unless the stream is a terminal. */
export class Spinner {
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: LiveStream,
    private text: string,
  ) {
    if (stream.isTTY !== true) return;
    live.add(this);
    this.draw();
    this.timer = setInterval(() => this.draw(), 80);
    // Never what keeps the process alive.
    this.timer.unref();
  }

  update(text: string): void {
    this.text = text;
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    this.stream.write(`${CLEAR_LINE}${FRAMES[this.frame]} ${this.text}`);
  }

  clear(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.stream.write(CLEAR_LINE);
    live.delete(this);
  }
}
