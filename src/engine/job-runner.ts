import type { Logger } from 'pino';
import { JOB_KINDS, type JobKind } from '../contract/job-states.js';
import { backoffMs } from '../domain/backoff.js';
import type { Clock } from '../domain/sources.js';
import type { JobRow } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { JobHandlers } from './jobs/job-handlers.js';
import type { Wakeup } from './wakeup.js';

export interface JobRunnerOptions {
  /** Identifies this runner in leases (unique per process). */
  owner: string;
  /** How long a claim lasts without a heartbeat; a dead runner's jobs come back after this. */
  leaseMs?: number;
  /** How long an idle runner sleeps when nobody wakes it. */
  idlePollMs?: number;
  /** Jobs run at once by this runner. */
  concurrency?: number;
  /** Finished jobs stay answerable this long (at least 24 h). */
  retentionMs?: number;
  /** First retry delay per kind (default 1 s); each further retry doubles it. */
  retryBaseMs?: Partial<Record<JobKind, number>>;
  /** Background chores run every `everyMs` while the runner runs (e.g. retention). */
  periodic?: PeriodicTask[];
}

export interface PeriodicTask {
  name: string;
  everyMs: number;
  run(): Promise<void>;
}

const DAY = 24 * 3600 * 1000;

/**
 * Claims due jobs in batches, runs them, heartbeats their leases and records the outcome.
 * Failures are retried with exponential backoff up to the job's `max_attempts`, then the job
 * ends FAILED with the last error as its message.
 */
export class JobRunner {
  private running = false;
  private loopDone: Promise<void> | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  private heartbeat: NodeJS.Timeout | undefined;
  private lastPurge = 0;
  private lastHousekeeping = 0;
  private readonly periodicRuns = new Map<string, { last: number; busy: boolean }>();
  private readonly leaseMs: number;
  private readonly idlePollMs: number;
  private readonly concurrency: number;
  private readonly retentionMs: number;

  constructor(
    private readonly deps: {
      store: Store;
      handlers: JobHandlers;
      clock: Clock;
      wakeup: Wakeup;
      log: Logger;
    },
    private readonly opts: JobRunnerOptions,
  ) {
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.idlePollMs = opts.idlePollMs ?? 1_000;
    this.concurrency = opts.concurrency ?? 8;
    this.retentionMs = Math.max(DAY, opts.retentionMs ?? 7 * DAY);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.heartbeat = setInterval(() => void this.extendLeases(), Math.max(50, this.leaseMs / 3));
    this.loopDone = this.loop();
  }

  /**
   * Stops claiming, lets running jobs finish, and returns when they have, or after `graceMs`:
   * then the jobs still running keep their leases until those expire, and run again elsewhere
   * (handlers are idempotent).
   */
  async stop(graceMs = Infinity): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.deps.wakeup.signal();
    await this.loopDone;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.inFlight.values()),
      ...(Number.isFinite(graceMs) ? [new Promise((r) => (timer = setTimeout(r, graceMs)))] : []),
    ]);
    clearTimeout(timer);
    clearInterval(this.heartbeat);
  }

  private async loop(): Promise<void> {
    const { store, clock, wakeup, log } = this.deps;
    let failures = 0;
    while (this.running) {
      const free = this.concurrency - this.inFlight.size;
      if (free <= 0) {
        await Promise.race(this.inFlight.values());
        continue;
      }
      let claimed: JobRow[];
      const now = clock.now();
      try {
        claimed = await store.jobs.claim({
          owner: this.opts.owner,
          limit: free,
          now,
          leaseUntil: now + this.leaseMs,
        });
        failures = 0;
      } catch (err) {
        failures++;
        const delay = backoffMs(failures, { baseMs: 250, capMs: 10_000 });
        log.error({ err, delayMs: delay }, 'claiming jobs failed; backing off');
        await wakeup.wait(delay);
        continue;
      }
      // Started before the housekeeping below: a claimed job must run (and be heartbeated)
      // whatever happens there, or it would sit leased and unattended until its lease ran out.
      for (const job of claimed) {
        const p = this.execute(job).finally(() => this.inFlight.delete(job.id));
        this.inFlight.set(job.id, p);
      }
      try {
        await this.maybePurge(now);
      } catch (err) {
        log.error({ err }, 'job housekeeping failed; trying again later');
      }
      if (claimed.length === 0) await wakeup.wait(this.idlePollMs);
    }
  }

  private async execute(job: JobRow): Promise<void> {
    const { store, clock, handlers, log } = this.deps;
    let outcome: Parameters<Store['jobs']['finish']>[2];
    try {
      if (!(JOB_KINDS as readonly string[]).includes(job.kind)) {
        throw new Error(`Unknown job kind ${job.kind}`);
      }
      const handler = handlers[job.kind as JobKind] as (
        payload: unknown,
        attempt: { attempt: number; maxAttempts: number },
      ) => Promise<string>;
      const message = await handler(JSON.parse(job.payload), {
        attempt: job.attempts,
        maxAttempts: job.max_attempts,
      });
      outcome = { state: 'COMPLETE', message };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (job.attempts < job.max_attempts) {
        const base = this.opts.retryBaseMs?.[job.kind as JobKind] ?? 1_000;
        // Not jittered: the schedule is documented (each retry doubles the kind's base).
        const delay = backoffMs(job.attempts - 1, {
          baseMs: base,
          capMs: Math.max(60_000, base * 64),
          random: () => 1,
        });
        outcome = {
          state: 'PENDING',
          message: `Attempt ${job.attempts} failed (${reason}); retrying.`,
          runAt: clock.now() + delay,
        };
      } else {
        outcome = {
          state: 'FAILED',
          message: `Failed after ${job.attempts} attempts: ${reason}`,
        };
      }
      log.warn({ err, jobId: job.id, kind: job.kind }, 'job attempt failed');
    }
    try {
      const recorded = await store.jobs.finish(job.id, this.opts.owner, outcome, clock.now());
      if (!recorded) log.warn({ jobId: job.id }, 'lease lost before the job finished');
      if (outcome.state === 'PENDING') this.deps.wakeup.signal();
    } catch (err) {
      // The lease will expire and another attempt will run: handlers are idempotent.
      log.error({ err, jobId: job.id }, 'recording a job outcome failed');
    }
  }

  private async extendLeases(): Promise<void> {
    if (this.inFlight.size === 0) return;
    const now = this.deps.clock.now();
    try {
      await this.deps.store.jobs.heartbeat(
        [...this.inFlight.keys()],
        this.opts.owner,
        now + this.leaseMs,
        now,
      );
    } catch (err) {
      this.deps.log.error({ err }, 'job heartbeat failed');
    }
  }

  /** Starts the periodic chores that are due; one run of each at a time, never awaited here. */
  private runPeriodic(now: number): void {
    for (const task of this.opts.periodic ?? []) {
      const state = this.periodicRuns.get(task.name) ?? { last: now, busy: false };
      this.periodicRuns.set(task.name, state);
      if (state.busy || now - state.last < task.everyMs) continue;
      state.busy = true;
      state.last = now;
      task
        .run()
        .catch((err: unknown) =>
          this.deps.log.error({ err, task: task.name }, 'periodic task failed'),
        )
        .finally(() => (state.busy = false));
    }
  }

  /** Housekeeping at most once per lease period: end abandoned jobs, forget old finished ones. */
  private async maybePurge(now: number): Promise<void> {
    this.runPeriodic(now);
    if (now - this.lastHousekeeping >= this.leaseMs) {
      this.lastHousekeeping = now;
      await this.deps.store.jobs.failAbandoned(now);
    }
    if (now - this.lastPurge < 3_600_000) return;
    this.lastPurge = now;
    await this.deps.store.jobs.purgeFinished(now - this.retentionMs);
  }
}
