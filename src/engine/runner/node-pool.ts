import { projectPath } from '../../project-root.js';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  appEnvironment,
  MISSING_INPUT,
  type AppRuntime,
  type FileOutcome,
  type FileTask,
  NOT_STARTED,
} from './file-task.js';
import { FairQueue } from './fair-queue.js';

const HOST = projectPath('runtime', 'node-host.mjs');

export interface NodePoolOptions {
  packageDir: string;
  entry: string;
  memoryMb: number;
  /** Child processes (so files at once) for this app version. */
  concurrency: number;
  /** Time between the abort signal and the hard kill. */
  graceMs: number;
}

interface Child {
  proc: ChildProcess;
  job: Job | undefined;
  /** The last lines of stderr, to explain a crash. */
  stderrTail: string[];
}

interface Job {
  task: FileTask;
  settle(outcome: FileOutcome): void;
  /** Why the job was aborted, if it was: the outcome is then that, whatever the app returns. */
  aborted?: { reason: 'timeout' | 'cancelled'; message: string };
  timers: NodeJS.Timeout[];
  unlisten?: () => void;
}

type HostMessage =
  | { type: 'ready' }
  | { type: 'log'; id?: string; line: string }
  | { type: 'progress'; id: string; fraction: number }
  | { type: 'missing-input'; id: string }
  | { type: 'result'; id: string; documents: unknown; outputUnused: boolean }
  | { type: 'error'; id: string; message: string; outputUnused: boolean };

/**
 * A warm pool of Node child processes for one app version: at most `concurrency` children,
 * each running one file at a time with a V8 heap cap of `memoryMb`. A crash, an out-of-memory
 * or a hang fails that file only; the child is replaced on demand.
 */
export class NodePool implements AppRuntime {
  private readonly children: Child[] = [];
  private readonly waiting = new FairQueue<Job>();
  private closed = false;

  constructor(private readonly opts: NodePoolOptions) {}

  run(task: FileTask): Promise<FileOutcome> {
    return new Promise((resolve) => {
      const job: Job = { task, timers: [], settle: () => undefined };
      let settled = false;
      job.settle = (outcome) => {
        if (settled) return;
        settled = true;
        for (const t of job.timers) clearTimeout(t);
        job.unlisten?.();
        resolve(outcome);
      };
      if (task.signal?.aborted) {
        job.settle({ ok: false, reason: 'cancelled', error: 'The run was cancelled.' });
        return;
      }
      this.waiting.push(task.fairKey, job);
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiting.length > 0 && !this.closed) {
      let child = this.children.find((c) => !c.job);
      if (!child) {
        if (this.children.length >= this.opts.concurrency) return;
        child = this.spawn();
      }
      const job = this.waiting.shift()!;
      if (job.task.mayStart?.() === false) {
        job.settle(NOT_STARTED);
        continue;
      }
      this.assign(child, job);
    }
  }

  private spawn(): Child {
    const proc = fork(HOST, [], {
      cwd: this.opts.packageDir,
      env: appEnvironment({ RUNBOX_APP_ENTRY: join(this.opts.packageDir, this.opts.entry) }),
      execArgv: [`--max-old-space-size=${this.opts.memoryMb}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const child: Child = { proc, job: undefined, stderrTail: [] };
    this.children.push(child);
    const toLog = (line: string) => child.job?.task.onLog(line);
    createInterface({ input: proc.stdout! }).on('line', toLog);
    createInterface({ input: proc.stderr! }).on('line', (line) => {
      child.stderrTail = [...child.stderrTail.slice(-20), line];
      toLog(line);
    });
    proc.on('message', (m: HostMessage) => this.onMessage(child, m));
    proc.on('exit', (code, signal) => this.onExit(child, code, signal));
    // A process that cannot be started (or signalled) reports here, and may never exit.
    proc.on('error', (err) => {
      child.job?.task.onLog(`app process error: ${err.message}`);
      if (proc.pid === undefined || proc.exitCode !== null)
        this.onExit(child, null, null, err.message);
    });
    return child;
  }

  private assign(child: Child, job: Job): void {
    child.job = job;
    const { task } = job;
    const abort = (reason: 'timeout' | 'cancelled', message: string) => {
      if (job.aborted) return;
      job.aborted = { reason, message };
      child.proc.send({ type: 'abort', id: task.id, reason: message });
      job.timers.push(
        setTimeout(() => {
          task.onLog(`the app did not stop within ${this.opts.graceMs} ms; killing its process`);
          child.proc.kill('SIGKILL');
        }, this.opts.graceMs),
      );
    };
    job.timers.push(
      setTimeout(
        () => abort('timeout', 'The file timed out.'),
        Math.max(0, task.deadline - Date.now()),
      ),
    );
    if (task.signal) {
      const onAbort = () => abort('cancelled', 'The run was cancelled.');
      task.signal.addEventListener('abort', onAbort, { once: true });
      job.unlisten = () => task.signal?.removeEventListener('abort', onAbort);
    }
    child.proc.send({
      type: 'run',
      id: task.id,
      file: task.file,
      keys: task.keys,
      secrets: task.secrets,
      outputDir: task.outputDir,
    });
  }

  private finish(child: Child, outcome: FileOutcome): void {
    const job = child.job;
    if (!job) return;
    child.job = undefined;
    job.settle(
      job.aborted ? { ok: false, reason: job.aborted.reason, error: job.aborted.message } : outcome,
    );
    this.pump();
  }

  private onMessage(child: Child, m: HostMessage): void {
    const job = child.job;
    if (m.type === 'ready') return;
    if (m.type === 'log') {
      job?.task.onLog(m.line);
      return;
    }
    if (!job || m.id !== job.task.id) return;
    const unused = (u: boolean) => (u ? ({ outputUnused: true } as const) : {});
    if (m.type === 'progress') job.task.onProgress?.(m.fraction);
    else if (m.type === 'missing-input')
      this.finish(child, { ...MISSING_INPUT, outputUnused: true });
    else if (m.type === 'result')
      this.finish(child, { ok: true, documents: m.documents, ...unused(m.outputUnused) });
    else
      this.finish(child, {
        ok: false,
        reason: 'error',
        error: m.message,
        ...unused(m.outputUnused),
      });
  }

  private onExit(
    child: Child,
    code: number | null,
    signal: NodeJS.Signals | null,
    startError?: string,
  ): void {
    const at = this.children.indexOf(child);
    if (at < 0) return; // already handled ('error' and 'exit' can both come)
    this.children.splice(at, 1);
    if (child.job) {
      const oom = child.stderrTail.some((l) => /heap out of memory|Allocation failed/i.test(l));
      this.finish(
        child,
        oom
          ? {
              ok: false,
              reason: 'out-of-memory',
              error: `The app ran out of memory (limit ${this.opts.memoryMb} MB).`,
            }
          : {
              ok: false,
              reason: 'crash',
              error: startError
                ? `The app's process could not be started: ${startError}`
                : `The app's process exited (${signal ?? `code ${code}`}) while processing the file.`,
            },
      );
    }
    this.pump();
  }

  /** Stops every child; files still running fail as crashed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.drain()) {
      job.settle({ ok: false, reason: 'cancelled', error: 'The worker is shutting down.' });
    }
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.proc.exitCode !== null || c.proc.signalCode !== null) return resolve();
            c.proc.once('exit', () => resolve());
            c.proc.kill('SIGKILL');
          }),
      ),
    );
  }
}
