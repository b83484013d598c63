import type { Logger } from 'pino';
import type { Clock } from '../domain/sources.js';
import type { RunStateColumn } from '../store/schema.js';
import type { FileResult } from '../store/repos/run-repo.js';
import type { NewRunEvent } from '../store/repos/run-event-repo.js';
import type { Repositories, Store } from '../store/store.js';
import { isTerminal } from '../domain/run-state.js';
import { GroupCommit } from './group-commit.js';
import { notificationJob } from './webhooks/run-notifications.js';
import type { RunSignals } from './run-signals.js';

type Item =
  | { kind: 'events'; events: NewRunEvent[] }
  | { kind: 'file'; runId: string; token: string; result: FileResult; events: NewRunEvent[] }
  | {
      kind: 'finish';
      runId: string;
      /** With a deployment or webhooks of its own, the transition notifies them. */
      deploymentId: string | null;
      webhooks: string | null;
      orgId: string;
      token: string;
      from: RunStateColumn[];
      to: RunStateColumn;
      msg: string;
      filesFailed: number;
      /**
       * The finish counts on every file's outcome being recorded: it is refused while a file is
       * still pending (an outcome whose write failed, e.g. while the database restarted).
       */
      afterFiles?: boolean;
      events: NewRunEvent[];
    };

type Finish = Extract<Item, { kind: 'finish' }>;
type FileItem = Extract<Item, { kind: 'file' }>;

/**
 * Group commit for everything workers record: file outcomes, run finishes and log/status
 * events. Whatever arrives while one transaction is being written goes into the next one, so
 * under load many runs share a commit and nothing is written per row that can be per batch.
 * Each item resolves to whether it was written (a file outcome or finish whose lease was lost
 * is not).
 */
export class RunWriter {
  private readonly commits: GroupCommit<Item, boolean>;

  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      signals: RunSignals;
      log: Logger;
      newId: () => string;
    },
  ) {
    this.commits = new GroupCommit(deps.store, (tx, items) => this.write(tx, items), {
      maxBatch: 500,
      onCommitted: (items) => {
        for (const id of new Set(items.flatMap(touchedRuns))) deps.signals.changed(id);
        if (
          items.some((i) => i.kind === 'finish' && (i.deploymentId !== null || i.webhooks !== null))
        ) {
          deps.signals.newJobs();
        }
      },
    });
  }

  events(events: NewRunEvent[]): Promise<boolean> {
    return events.length === 0 ? Promise.resolve(true) : this.push({ kind: 'events', events });
  }

  file(runId: string, token: string, result: FileResult, events: NewRunEvent[]): Promise<boolean> {
    return this.push({ kind: 'file', runId, token, result, events });
  }

  finish(i: Omit<Extract<Item, { kind: 'finish' }>, 'kind'>): Promise<boolean> {
    return this.push({ kind: 'finish', ...i });
  }

  private push(item: Item): Promise<boolean> {
    return this.commits.submit(item).catch((err: unknown) => {
      this.deps.log.error({ err }, 'writing run results failed');
      throw err;
    });
  }

  private async write(tx: Repositories, batch: Item[]): Promise<boolean[]> {
    const now = this.deps.clock.now();
    const events: NewRunEvent[] = [];
    const out = new Map<Item, boolean>();
    const finishes: Finish[] = [];
    const files = batch.filter((i): i is FileItem => i.kind === 'file');
    const written = await tx.runs.recordFiles(files, now);
    // Events in the order they were submitted; those of unwritten outcomes are dropped.
    for (const item of batch) {
      if (item.kind === 'events') {
        events.push(...item.events);
        out.set(item, true);
      } else if (item.kind === 'file') {
        const ok = written.has(`${item.runId}/${item.result.fileIndex}`);
        if (ok) events.push(...item.events);
        out.set(item, ok);
      } else finishes.push(item);
    }
    // Finishes after the file outcomes (which need the lease), a few statements for them all.
    // Fenced: only the lease holder finishes the run, and the lease ends with it. Holding the
    // lease implies the run is running or cancelling, so the transition cannot miss.
    const incomplete = await tx.runs.withPendingFiles(
      finishes.filter((f) => f.afterFiles).map((f) => f.runId),
    );
    const fenced = finishes.filter((f) => !incomplete.has(f.runId));
    const held = new Set(await tx.runQueue.releaseMany(fenced));
    const groups = new Map<string, Finish[]>();
    for (const f of finishes.filter((f) => held.has(f.runId))) {
      const key = JSON.stringify([f.from, f.to, f.msg, f.filesFailed]);
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
    const finished = new Set<string>();
    for (const group of groups.values()) {
      const { from, to, msg, filesFailed } = group[0]!;
      const moved = await tx.runs.transitionMany(
        group.map((f) => f.runId),
        from,
        to,
        {
          msg,
          // A run at the checkpoint has not finished: it waits for review.
          ...(isTerminal(to) ? { finished_at: now } : {}),
          files_failed: filesFailed,
        },
      );
      for (const id of moved) finished.add(id);
    }
    for (const f of finishes) {
      const ok = finished.has(f.runId);
      out.set(f, ok);
      if (!ok) continue;
      events.push(...f.events);
      const job = notificationJob(
        { id: f.runId, org_id: f.orgId, deployment_id: f.deploymentId, webhooks: f.webhooks },
        f.to,
        now,
        this.deps.newId(),
      );
      if (job) await tx.jobs.enqueue(job);
    }
    await tx.runEvents.append(events);
    return batch.map((item) => out.get(item)!);
  }

  /** Resolves once everything queued so far is written. */
  drain(): Promise<void> {
    return this.commits.drain();
  }
}

function touchedRuns(item: Item): string[] {
  return item.kind === 'events' ? item.events.map((e) => e.run_id) : [item.runId];
}
