import { RunboxError } from '../errors.js';
import { readSse } from '../sse.js';
import type { Transport } from '../transport.js';
import type {
  CreateRunRequest,
  DeleteRunJobs,
  DeleteRunOptions,
  ListRunsQuery,
  ResultFile,
  ResultsPage,
  ResultsQuery,
  Run,
  RunEvent,
  RunFilesPage,
} from '../types.js';
import { delay, waitSignal, type WaitOptions } from '../wait.js';

/** Statuses a run rests in: `wait` resolves on them. */
export const RESTING_STATUSES: readonly string[] = [
  'COMPLETE',
  'FAILED',
  'CANCELLED',
  'STOPPED_AT_CHECKPOINT',
];
const RESTING_STATES = new Set([
  'complete',
  'failed',
  'timed_out',
  'cancelled',
  'stopped_at_checkpoint',
]);

export interface CreateOptions {
  /** Sent as `Idempotency-Key`: a repeat within 24 h returns the same run (and may be retried). */
  idempotencyKey?: string | undefined;
}

export interface RunWaitOptions extends WaitOptions {
  /** Every status and file event, as it happens. */
  onEvent?: ((e: RunEvent) => void) | undefined;
  /** Poll interval when the events stream is unavailable (default 1 s). */
  pollMs?: number | undefined;
}

/** App runs: start, watch, read and clean up. */
export class Runs {
  constructor(private readonly t: Transport) {}

  /**
   * Starts a run of an app over a batch or a folder.
   * @example const run = await runbox.apps.runs.create({ app_name: 'invoice-extractor', batch_id: 42 });
   */
  create(body: CreateRunRequest, o: CreateOptions = {}): Promise<Run> {
    return this.t.callJson(
      'runApp',
      {},
      {
        json: body,
        ...(o.idempotencyKey
          ? { headers: { 'idempotency-key': o.idempotencyKey }, idempotent: true }
          : {}),
      },
    );
  }

  /**
   * A run's status.
   * @example const { status, msg } = await runbox.apps.runs.status(runId);
   */
  status(id: string): Promise<Run> {
    return this.t.callJson('getRunStatus', { run_id: id });
  }

  /**
   * Runs in the context, newest first (the AI Hub filters: app, deployment, status, time…).
   * @example const { runs } = await runbox.apps.runs.list({ status: ['FAILED'], limit: 10 });
   */
  list(query: ListRunsQuery = {}): Promise<{ runs: Run[] }> {
    return this.t.callJson('listRuns', {}, { query: query });
  }

  /**
   * One page of a run's results (`file_offset` pages through files).
   * @example const page = await runbox.apps.runs.results(runId, { include_confidence_scores: true });
   */
  results(id: string, query: ResultsQuery = {}): Promise<ResultsPage> {
    return this.t.callJson('getRunResults', { run_id: id }, { query });
  }

  /**
   * Every file's results, across pages.
   * @example for await (const file of runbox.apps.runs.allResults(runId)) console.log(file.original_file_name);
   */
  async *allResults(
    id: string,
    query: Omit<ResultsQuery, 'file_offset'> = {},
  ): AsyncGenerator<ResultFile> {
    let offset = 0;
    for (;;) {
      const page = await this.results(id, { ...query, file_offset: offset });
      yield* page.files;
      if (!page.has_more || page.files.length === 0) return;
      offset += page.files.length;
    }
  }

  /**
   * One page of the run's input files with their outcomes (`pending`, `done`, `failed`).
   * @example const { files } = await runbox.apps.runs.files(runId);
   */
  files(id: string, o: { offset?: number } = {}): Promise<RunFilesPage> {
    return this.t.callJson('listRunFiles', { run_id: id }, { query: o });
  }

  /**
   * An input file's bytes and media type (to show the document beside its results).
   * @example const { type, bytes } = await runbox.apps.runs.fileContent(runId, 0);
   */
  async fileContent(
    id: string,
    fileIndex: number,
    o: { signal?: AbortSignal } = {},
  ): Promise<{ type: string; bytes: Uint8Array }> {
    const res = await this.t.call(
      'getRunFileContent',
      { run_id: id, file_index: fileIndex },
      { signal: o.signal },
    );
    return {
      type: res.headers.get('content-type') ?? 'application/octet-stream',
      bytes: new Uint8Array(await res.arrayBuffer()),
    };
  }

  /**
   * Deletes a finished run's parts (all by default); returns the deletion jobs.
   * @example const jobs = await runbox.apps.runs.delete(runId, { delete_input: false });
   */
  delete(id: string, options: DeleteRunOptions = {}): Promise<DeleteRunJobs> {
    return this.t.callJson('deleteRun', { run_id: id }, { query: options });
  }

  /**
   * Cancels a queued, running or checkpointed run.
   * @example await runbox.apps.runs.cancel(runId);
   */
  cancel(id: string): Promise<Run> {
    return this.t.callJson('cancelRun', { run_id: id }, { idempotent: true });
  }

  /**
   * The run's log as text.
   * @example console.log(await runbox.apps.runs.logs(runId));
   */
  async logs(id: string): Promise<string> {
    return (await this.t.call('getRunLogs', { run_id: id })).text();
  }

  /**
   * Follows the log: yields lines as they are written, until the run ends.
   * @example for await (const line of runbox.apps.runs.followLogs(runId)) console.log(line);
   */
  async *followLogs(id: string, o: { signal?: AbortSignal } = {}): AsyncGenerator<string> {
    const res = await this.t.call(
      'getRunLogs',
      { run_id: id },
      { query: { follow: true }, signal: o.signal },
    );
    if (!res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          yield buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
        }
      }
      if (buffer) yield buffer;
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  /**
   * The run's status and file events (Server-Sent Events) from `afterId`, until the run ends.
   * @example for await (const e of runbox.apps.runs.events(runId)) console.log(e.kind, e.data);
   */
  async *events(
    id: string,
    o: { afterId?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<RunEvent> {
    const res = await this.t.call(
      'streamRunEvents',
      { run_id: id },
      {
        headers: {
          accept: 'text/event-stream',
          ...(o.afterId ? { 'last-event-id': String(o.afterId) } : {}),
        },
        signal: o.signal,
      },
    );
    if (!res.body) return;
    for await (const m of readSse(res.body)) {
      yield {
        id: Number(m.id ?? 0),
        kind: m.event,
        data: JSON.parse(m.data) as Record<string, unknown>,
      };
    }
  }

  /**
   * Resolves when the run is COMPLETE, FAILED, CANCELLED or STOPPED_AT_CHECKPOINT. Follows
   * the events stream, and polls when the stream is unavailable.
   * @example const run = await runbox.apps.runs.wait(runId, { timeoutMs: 600_000 });
   */
  async wait(id: string, o: RunWaitOptions = {}): Promise<Run> {
    const w = waitSignal(`Run ${id}`, o);
    try {
      let lastId = 0;
      for (let failures = 0; ;) {
        const current = await this.t.callJson<Run>(
          'getRunStatus',
          { run_id: id },
          { signal: w.signal },
        );
        if (RESTING_STATUSES.includes(current.status)) return current;
        try {
          let rested = false;
          for await (const e of this.events(id, { afterId: lastId, signal: w.signal })) {
            lastId = e.id;
            o.onEvent?.(e);
            rested = e.kind === 'status' && RESTING_STATES.has(String(e.data.state));
            if (rested) break;
          }
          failures = 0;
          if (!rested) await delay(o.pollMs ?? 1_000, w.signal);
        } catch (err) {
          if (w.signal.aborted) throw w.signal.reason;
          if (err instanceof RunboxError && err.status >= 400 && err.status < 500) throw err;
          // The stream failed: poll for a while, then try it again.
          failures++;
          await delay(Math.min(5_000, (o.pollMs ?? 1_000) * failures), w.signal);
        }
      }
    } finally {
      w.done();
    }
  }
}
