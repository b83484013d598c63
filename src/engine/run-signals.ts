import { EventEmitter } from 'node:events';
import { Wakeup } from './wakeup.js';

/**
 * In-process signals between the API and the workers of one process: new runs (wake idle
 * workers), cancellations (abort running code at once), and new events of a run (wake log and
 * SSE followers). Other processes learn the same through the database: polling, and on Postgres
 * notifications.
 */
export class RunSignals {
  readonly work = new Wakeup();
  private readonly cancels = new EventEmitter();
  private readonly events = new EventEmitter();

  constructor() {
    this.cancels.setMaxListeners(0);
    this.events.setMaxListeners(0);
  }

  cancel(runId: string): void {
    this.cancels.emit(runId);
  }

  onCancel(runId: string, fn: () => void): () => void {
    this.cancels.on(runId, fn);
    return () => this.cancels.off(runId, fn);
  }

  /** Something new was recorded for `runId` (status, file outcome or log lines). */
  changed(runId: string): void {
    this.events.emit(runId);
  }

  onChange(runId: string, fn: () => void): () => void {
    this.events.on(runId, fn);
    return () => this.events.off(runId, fn);
  }
}
