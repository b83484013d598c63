import type { Transport } from '../transport.js';
import type { JobStatus } from '../types.js';
import { delay, waitSignal, type WaitOptions } from '../wait.js';

const DONE = new Set(['COMPLETE', 'FAILED', 'CANCELLED']);

/** Durable background jobs (deletions): poll by id. */
export class Jobs {
  constructor(private readonly t: Transport) {}

  /**
   * A job's state and message.
   * @example const { state, message } = await runbox.jobs.status(jobId);
   */
  status(id: string): Promise<JobStatus> {
    return this.t.callJson('jobStatus', { job_id: id });
  }

  /**
   * Polls until the job is COMPLETE, FAILED or CANCELLED, and returns its last status.
   * @example const job = await runbox.jobs.wait(jobId, { timeoutMs: 60_000 });
   */
  async wait(id: string, o: WaitOptions & { pollMs?: number } = {}): Promise<JobStatus> {
    const w = waitSignal(`Job ${id}`, o);
    try {
      for (let i = 0; ; i++) {
        const s = await this.t.callJson<JobStatus>(
          'jobStatus',
          { job_id: id },
          { signal: w.signal },
        );
        if (DONE.has(s.state)) return s;
        await delay(Math.min(o.pollMs ?? 2_000, 100 * 2 ** i), w.signal);
      }
    } finally {
      w.done();
    }
  }
}
