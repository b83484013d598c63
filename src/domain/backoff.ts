/**
 * How long to wait before attempt `attempt + 1` after `attempt` failures in a row: doubling
 * from `baseMs`, capped at `capMs`, and jittered (between half and all of that) so processes
 * that lost the database together do not all come back in the same millisecond.
 */
export function backoffMs(
  attempt: number,
  o: { baseMs?: number; capMs?: number; random?: () => number } = {},
): number {
  const base = o.baseMs ?? 100;
  const cap = o.capMs ?? 30_000;
  const random = o.random ?? Math.random;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
