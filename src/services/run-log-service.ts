import { isTerminal, type RunState } from '../domain/run-state.js';
import type { Clock } from '../domain/sources.js';
import type { RunSignals } from '../engine/run-signals.js';
import type { RunEvent } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { Principal } from './principal.js';
import type { RunService } from './run-service.js';

const PAGE = 500;
/** How long after its id was assigned an event may still commit (transactions are short). */
const LATE_COMMIT_WINDOW_MS = 5_000;

/** One event as a log line: time, then what happened. */
export function formatEvent(e: RunEvent): string {
  const at = new Date(e.at).toISOString();
  const d = JSON.parse(e.data) as Partial<
    Record<'state' | 'msg' | 'name' | 'error' | 'file' | 'line', string>
  >;
  switch (e.kind) {
    case 'status':
      return `${at} [status] ${d.state}: ${d.msg}`;
    case 'file':
      return `${at} [file] ${d.name}: ${d.state}${d.error ? ` (${d.error})` : ''}`;
    default:
      return `${at} ${d.file ? `[${d.file}] ` : ''}${d.line}`;
  }
}

export function isTerminalEvent(e: RunEvent): boolean {
  if (e.kind !== 'status') return false;
  return isTerminal((JSON.parse(e.data) as { state: RunState }).state);
}

/** A run's history as a log and as a stream that follows it until the run ends. */
export class RunLogService {
  constructor(
    private readonly store: Store,
    private readonly runs: RunService,
    private readonly signals: RunSignals,
    private readonly clock: Clock,
  ) {}

  /** Every event so far, oldest first. */
  async all(p: Principal, id: string): Promise<RunEvent[]> {
    await this.runs.getRow(p, id);
    const out: RunEvent[] = [];
    for (let after = 0; ;) {
      const page = await this.store.runEvents.since(id, after, PAGE);
      out.push(...page);
      if (page.length < PAGE) return out;
      after = page.at(-1)!.id;
    }
  }

  /**
   * Yields events after `after` as they are recorded, and returns once the run has ended and
   * everything up to its end was yielded (or `signal` aborts, or the run is deleted).
   */
  async *follow(
    p: Principal,
    id: string,
    after: number,
    signal: AbortSignal,
  ): AsyncGenerator<RunEvent> {
    await this.runs.getRow(p, id);
    const inOrder = this.store.capabilities.idsVisibleInOrder;
    /** Ids yielded within the look-back window (only where ids can become visible out of order). */
    const seen = new Map<number, number>();
    if (!inOrder && after > 0) {
      // Resuming (Last-Event-ID): what the client had is not sent again.
      const had = await this.store.runEvents.recentUpTo(
        id,
        after,
        this.clock.now() - LATE_COMMIT_WINDOW_MS,
      );
      for (const e of had) seen.set(e.id, e.at);
    }
    let ended = false;
    /** The run was seen ended in its row: one more read of its events, then stop. */
    let endSeen = false;
    /** Where ids can become visible out of order, the terminal event waits until last. */
    let terminal: RunEvent | undefined;
    while (!signal.aborted) {
      // Listen before reading, so a change between the read and the wait is not missed.
      const changed = this.changeSignal(id, signal);
      try {
        const page = await this.store.runEvents.since(id, after, PAGE);
        const late = inOrder ? [] : await this.lateEvents(id, after, seen);
        for (const e of [...late, ...page]) {
          after = Math.max(after, e.id);
          if (!inOrder) seen.set(e.id, e.at);
          if (isTerminalEvent(e)) {
            ended = true;
            if (!inOrder) {
              terminal = e;
              continue;
            }
          } else if (ended && e.kind === 'status') {
            // A status after the end: the run was resurrected and goes on.
            ended = false;
            if (terminal) yield terminal;
            terminal = undefined;
          }
          yield e;
        }
        if (page.length === PAGE) continue;
        if (ended) {
          // Anything committed just before the end but numbered lower is read once more, and
          // comes before the terminal event, so the stream still ends with it.
          if (!inOrder) for (const e of await this.lateEvents(id, after, seen)) yield e;
          if (terminal) yield terminal;
          return;
        }
        const run = await this.store.runs.get(p.orgId, id);
        if (!run) return; // deleted
        if (isTerminal(run.state) && page.length === 0 && late.length === 0) {
          // Ended with nothing more to read, unless the end committed between the read above
          // and this one: its terminal event commits with it, so read once more.
          if (endSeen) return;
          endSeen = true;
          continue;
        }
        await changed.wait(1_000);
      } finally {
        changed.dispose();
      }
    }
  }

  /** Events numbered at or below `upTo` that committed after the follower passed their id. */
  private async lateEvents(
    id: string,
    upTo: number,
    seen: Map<number, number>,
  ): Promise<RunEvent[]> {
    if (upTo === 0) return [];
    const from = this.clock.now() - LATE_COMMIT_WINDOW_MS;
    for (const [eid, at] of seen) if (at < from) seen.delete(eid);
    const recent = await this.store.runEvents.recentUpTo(id, upTo, from);
    return recent.filter((e) => !seen.has(e.id));
  }

  /** Resolves on the next change of the run (this process), after `ms`, or on abort. */
  private changeSignal(id: string, signal: AbortSignal) {
    let fire: () => void = () => undefined;
    const fired = new Promise<void>((r) => (fire = r));
    const off = this.signals.onChange(id, () => fire());
    const onAbort = () => fire();
    signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    return {
      wait: async (ms: number) => {
        timer = setTimeout(() => fire(), ms);
        await fired;
      },
      dispose: () => {
        clearTimeout(timer);
        off();
        signal.removeEventListener('abort', onAbort);
      },
    };
  }
}
