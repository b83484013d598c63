/** `30d`, `12h`, `90m`, `45s` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhd])$/.exec(text.trim());
  if (!m) throw new Error(`Invalid duration "${text}": use e.g. 90m, 12h or 30d.`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
