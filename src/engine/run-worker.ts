import type { Logger } from 'pino';
import type { Clock, IdSource } from '../domain/sources.js';
import type { ClaimedRun } from '../store/repos/run-queue-repo.js';
import type { RunState } from '../domain/run-state.js';
import type { Run } from '../store/schema.js';
import type { Repositories, Store } from '../store/store.js';
import { backoffMs } from '../domain/backoff.js';
import { isUnavailable } from '../contract/errors.js';
import { notificationJob } from './webhooks/run-notifications.js';
import { statusEvent, type RunExecutor } from './run-executor.js';
import type { RunSignals } from './run-signals.js';
import type { RunWriter } from './run-writer.js';

const SHUT_DOWN = 'The worker shut down; the run was put back in the queue.';

export interface RunWorkerOptions {
  /** Unique per process: leases name it. */
  worker: string;
  leaseMs?: number;
  /** Runs executed at once by this worker. */
  capacity?: number;
  /** Most runs taken per claim. */
  claimBatch?: number;
  idlePollMs?: number;
  /** Lost leases (dead workers) a run survives before it fails. */
  maxLostLeases?: number;
  /** On stop, how long running runs may take before they are handed back to the queue. */
  shutdownMs?: number;
}

interface Active {
  claim: ClaimedRun;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Claims queued runs in batches and executes them; heartbeats all its leases in one statement;
 * notices cancellations (in-process signal, or on the heartbeat for other processes); and
 * sweeps expired leases of dead workers back into the queue, failing a run after too many.
 */
export class RunWorker {
  private running = false;
  private loopDone: Promise<void> | undefined;
  private readonly active = new Map<string, Active>();
  /** Runs no longer worked on whose hand-back failed (the database was away): retried. */
  private readonly orphans = new Map<
    string,
    { claim: ClaimedRun; msg: string; countsAsLoss: boolean }
  >();
  /** Aborted when the worker begins to stop: no further file of a claimed run starts. */
  private readonly draining = new AbortController();
  private timers: NodeJS.Timeout[] = [];
  private claims = 0;
  /** Resolves when `stop()` is called (a full worker stops waiting for a free slot). */
  private readonly stopping = new Promise<void>((r) =>
    this.draining.signal.addEventListener('abort', () => r(), { once: true }),
  );
  /** A transaction added webhook notification jobs: wake the job runners once it commits. */
  private notified = false;
  private readonly o: Required<RunWorkerOptions>;

  constructor(
    private readonly deps: {
      store: Store;
      executor: RunExecutor;
      writer: RunWriter;
      signals: RunSignals;
      clock: Clock;
      ids: IdSource;
      log: Logger;
    },
    opts: RunWorkerOptions,
  ) {
    this.o = {
      leaseMs: 30_000,
      capacity: 64,
      claimBatch: 32,
      idlePollMs: 1_000,
      maxLostLeases: 3,
      shutdownMs: 10_000,
      ...opts,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const every = (ms: number, fn: () => Promise<void>) =>
      this.timers.push(
        setInterval(
          () =>
            void fn().catch((err: unknown) =>
              this.deps.log.error({ err }, 'run worker timer failed'),
            ),
          ms,
        ),
      );
    every(Math.max(50, this.o.leaseMs / 3), () => this.heartbeat());
    every(Math.max(50, this.o.leaseMs / 2), () => this.sweep());
    this.loopDone = this.loop();
  }

  private async loop(): Promise<void> {
    const { store, clock, signals, log } = this.deps;
    let failures = 0;
    while (this.running) {
      const free = this.o.capacity - this.active.size;
      if (free <= 0) {
        await Promise.race([...[...this.active.values()].map((a) => a.done), this.stopping]);
        continue;
      }
      let claimed: ClaimedRun[];
      try {
        const now = clock.now();
        claimed = await store.transaction(async (tx) => {
          const runs = await tx.runQueue.claim({
            worker: this.o.worker,
            limit: Math.min(free, this.o.claimBatch),
            now,
            leaseUntil: now + this.o.leaseMs,
            newToken: () => this.deps.ids.uuid(),
            rotation: this.claims++,
          });
          await tx.runEvents.append(
            runs.map((c) => statusEvent(c.run.id, now, 'running', 'Started.')),
          );
          // Webhooks hear of a run's start once, not again when it is re-run after a lost worker.
          for (const c of runs)
            if (c.run.lost_leases === 0) await this.notify(tx, c.run, 'running', now);
          return runs;
        });
        failures = 0;
      } catch (err) {
        failures++;
        const delay = backoffMs(failures, { baseMs: 100, capMs: 10_000 });
        log.error({ err, delayMs: delay }, 'claiming runs failed; backing off');
        await signals.work.wait(delay);
        continue;
      }
      this.wakeJobRunners();
      for (const c of claimed) {
        signals.changed(c.run.id);
        this.begin(c);
      }
      if (claimed.length === 0) {
        await signals.work.wait(this.o.idlePollMs);
        // Runs created in the same burst are claimed together.
        await new Promise((r) => setImmediate(r));
      }
    }
  }

  private begin(claim: ClaimedRun): void {
    const { run } = claim;
    const controller = new AbortController();
    const unlisten = this.deps.signals.onCancel(run.id, () => controller.abort());
    const done = this.deps.executor
      .execute(claim, controller.signal, this.draining.signal)
      .then(async (result) => {
        // Shutting down: its running files were recorded; the rest are for another worker.
        if (result === 'unstarted') await this.giveBack(claim, SHUT_DOWN, false);
      })
      .catch(async (err: unknown) => {
        // The engine itself failed (e.g. the database): give the run back rather than keep
        // heartbeating a lease nobody works on. It counts as a lost lease, so it cannot loop.
        this.deps.log.error({ err, runId: run.id }, 'run execution failed; handing the run back');
        const msg = isUnavailable(err)
          ? 'The worker could not reach the database or the file storage; the run was put back in the queue.'
          : 'The worker hit an internal error; the run was put back in the queue.';
        await this.giveBack(claim, msg, true);
      })
      .finally(() => {
        unlisten();
        this.active.delete(run.id);
      });
    this.active.set(run.id, { claim, controller, done });
  }

  /**
   * Hands one run back; if that fails (the database is away) it is tried again on every
   * heartbeat until the database answers: its lease would otherwise be kept alive by this
   * worker's heartbeats with nobody working on it.
   */
  private async giveBack(claim: ClaimedRun, msg: string, countsAsLoss: boolean): Promise<void> {
    await this.handBack([claim], msg, countsAsLoss).catch((err: unknown) => {
      this.orphans.set(claim.run.id, { claim, msg, countsAsLoss });
      this.deps.log.error({ err, runId: claim.run.id }, 'handing a run back failed');
    });
  }

  private async heartbeat(): Promise<void> {
    await this.handBackOrphans();
    if (this.active.size === 0) return;
    const { store, clock } = this.deps;
    await store.runQueue.heartbeat(this.o.worker, clock.now() + this.o.leaseMs);
    // Cancellations requested through another process reach this one here.
    for (const id of await store.runQueue.cancelling([...this.active.keys()])) {
      this.active.get(id)?.controller.abort();
    }
  }

  private async handBackOrphans(): Promise<void> {
    for (const [id, { claim, msg, countsAsLoss }] of this.orphans) {
      await this.handBack([claim], msg, countsAsLoss);
      this.orphans.delete(id);
    }
  }

  /** Puts runs whose worker died back in the queue (or fails them after too many tries). */
  private async sweep(): Promise<void> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const touched = await store.transaction(async (tx) => {
      const ids = await tx.runQueue.takeExpired(now, 100);
      for (const id of ids) {
        const run = await tx.runs.getById(id);
        if (!run || (run.state !== 'running' && run.state !== 'cancelling')) continue;
        const lost = run.lost_leases + 1;
        let to: 'queued' | 'failed' | 'cancelled';
        let msg: string;
        if (run.state === 'cancelling') {
          to = 'cancelled';
          msg = 'The run was cancelled (its worker stopped responding).';
        } else if (lost >= this.o.maxLostLeases) {
          to = 'failed';
          msg = `The run failed: the workers running it stopped responding ${lost} times.`;
        } else {
          to = 'queued';
          msg = `The worker running this run stopped responding; the run was put back in the queue (lost ${lost} of ${this.o.maxLostLeases - 1} allowed).`;
        }
        const terminal = to !== 'queued';
        await tx.runs.transition(id, [run.state], to, {
          lost_leases: lost,
          msg,
          ...(terminal ? { finished_at: now } : {}),
        });
        if (to === 'queued') await tx.runQueue.enqueue(run, now);
        await tx.runEvents.append([statusEvent(id, now, to, msg)]);
        await this.notify(tx, run, to, now);
      }
      return ids;
    });
    this.wakeJobRunners();
    if (touched.length > 0) {
      this.deps.signals.newWork();
      for (const id of touched) this.deps.signals.changed(id);
    }
  }

  /**
   * Stops claiming and starting files: the files already running get `shutdownMs` to finish
   * (and are recorded); each run is handed back to the queue for another worker as soon as its
   * running files are done, and those still running at the deadline are handed back then.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.draining.abort();
    this.deps.signals.work.signal();
    await this.loopDone;
    const all = Promise.all([...this.active.values()].map((a) => a.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), this.o.shutdownMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      // Without the database the leases simply run out, and the sweepers re-queue the runs.
      await this.handBack(
        [...this.active.values()].map((a) => a.claim),
        SHUT_DOWN,
        false,
      ).catch((err: unknown) =>
        this.deps.log.error(
          { err },
          'handing runs back at shutdown failed; their leases will expire',
        ),
      );
      for (const a of this.active.values()) a.controller.abort();
    }
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.deps.writer.drain();
    await this.handBackOrphans().catch((err: unknown) =>
      this.deps.log.error({ err }, 'handing runs back failed; their leases will expire'),
    );
  }

  /** Adds the webhook notification of a transition to its transaction, if anyone listens. */
  private async notify(tx: Repositories, run: Run, to: RunState, now: number): Promise<void> {
    const job = notificationJob(run, to, now, this.deps.ids.uuid());
    if (!job) return;
    await tx.jobs.enqueue(job);
    this.notified = true;
  }

  private wakeJobRunners(): void {
    if (!this.notified) return;
    this.notified = false;
    this.deps.signals.newJobs();
  }

  /** Ends these leases and puts their runs back in the queue (or fails them after too many losses). */
  private async handBack(claims: ClaimedRun[], msg: string, countsAsLoss = true): Promise<void> {
    const { store, clock } = this.deps;
    const now = clock.now();
    await store.transaction(async (tx) => {
      for (const { run, token } of claims) {
        if (!(await tx.runQueue.release(run.id, token))) continue;
        const current = await tx.runs.getById(run.id);
        if (!current || (current.state !== 'running' && current.state !== 'cancelling')) continue;
        const lost = current.lost_leases + (countsAsLoss ? 1 : 0);
        const giveUp = current.state === 'cancelling' || lost >= this.o.maxLostLeases;
        const to = current.state === 'cancelling' ? 'cancelled' : giveUp ? 'failed' : 'queued';
        const why =
          to === 'queued'
            ? msg
            : to === 'cancelled'
              ? 'The run was cancelled.'
              : `${msg} Giving up after ${lost} tries.`;
        await tx.runs.transition(run.id, [current.state], to, {
          msg: why,
          lost_leases: lost,
          ...(to === 'queued' ? {} : { finished_at: now }),
        });
        if (to === 'queued') await tx.runQueue.enqueue(current, now);
        await tx.runEvents.append([statusEvent(run.id, now, to, why)]);
        await this.notify(tx, current, to, now);
      }
    });
    this.wakeJobRunners();
    this.deps.signals.newWork();
  }
}
