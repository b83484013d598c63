import { spawn } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
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

export interface CommandRunnerOptions {
  packageDir: string;
  entry: string;
  concurrency: number;
  graceMs: number;
  /** Most stdout kept (the JSON result); more fails the file. */
  maxOutputBytes?: number;
}

/**
 * The `command` runtime: the entry executable runs once per file with RUNBOX_INPUT_FILE,
 * RUNBOX_OUTPUT_DIR and RUNBOX_KEYS in its environment; stdout is its JSON result, stderr goes
 * to the run log, a non-zero exit fails the file. At most `concurrency` at once.
 */
export class CommandRunner implements AppRuntime {
  private running = 0;
  private readonly waiting = new FairQueue<() => void>();

  constructor(private readonly opts: CommandRunnerOptions) {}

  async run(task: FileTask): Promise<FileOutcome> {
    if (this.running >= this.opts.concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(task.fairKey, resolve));
    }
    this.running++;
    try {
      if (task.mayStart?.() === false) return NOT_STARTED;
      if (
        !(await access(task.file.path).then(
          () => true,
          () => false,
        ))
      )
        return MISSING_INPUT;
      await mkdir(task.outputDir, { recursive: true });
      return await this.exec(task);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private exec(task: FileTask): Promise<FileOutcome> {
    if (task.signal?.aborted) {
      return Promise.resolve({ ok: false, reason: 'cancelled', error: 'The run was cancelled.' });
    }
    const max = this.opts.maxOutputBytes ?? 16 * 1024 * 1024;
    return new Promise((resolve) => {
      const proc = spawn(join(this.opts.packageDir, this.opts.entry), [], {
        cwd: this.opts.packageDir,
        env: appEnvironment({
          RUNBOX_INPUT_FILE: task.file.path,
          RUNBOX_INPUT_NAME: task.file.name,
          RUNBOX_OUTPUT_DIR: task.outputDir,
          RUNBOX_KEYS: JSON.stringify(task.keys),
          RUNBOX_SECRETS: JSON.stringify(task.secrets),
          ...secretVariables(task.secrets),
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so a kill reaches whatever the command started too.
        detached: true,
      });
      const kill = (signal: NodeJS.Signals) => {
        try {
          if (proc.pid !== undefined) process.kill(-proc.pid, signal);
        } catch {
          // already gone
        }
      };
      const chunks: Buffer[] = [];
      let size = 0;
      let aborted: { reason: 'timeout' | 'cancelled'; message: string } | undefined;
      let tooBig = false;
      const timers: NodeJS.Timeout[] = [];
      const abort = (reason: 'timeout' | 'cancelled', message: string) => {
        if (aborted) return;
        aborted = { reason, message };
        kill('SIGTERM');
        timers.push(setTimeout(() => kill('SIGKILL'), this.opts.graceMs));
      };
      timers.push(
        setTimeout(
          () => abort('timeout', 'The file timed out.'),
          Math.max(0, task.deadline - Date.now()),
        ),
      );
      const onCancel = () => abort('cancelled', 'The run was cancelled.');
      task.signal?.addEventListener('abort', onCancel, { once: true });

      proc.stdout.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) {
          tooBig = true;
          kill('SIGKILL');
        } else chunks.push(chunk);
      });
      let lastErr = '';
      createInterface({ input: proc.stderr }).on('line', (line) => {
        lastErr = line;
        task.onLog(line);
      });
      proc.on('error', (err) => {
        lastErr = err.message;
      });
      proc.on('close', (code, signal) => {
        for (const t of timers) clearTimeout(t);
        task.signal?.removeEventListener('abort', onCancel);
        if (aborted) return resolve({ ok: false, reason: aborted.reason, error: aborted.message });
        if (tooBig) {
          return resolve({
            ok: false,
            reason: 'error',
            error: `The app printed more than ${max} bytes.`,
          });
        }
        if (code !== 0) {
          const why = signal ? `was killed (${signal})` : `exited with code ${code}`;
          return resolve({
            ok: false,
            reason: signal ? 'crash' : 'error',
            error: `The app ${why}${lastErr ? `: ${lastErr}` : '.'}`,
          });
        }
        const out = Buffer.concat(chunks).toString('utf8').trim();
        try {
          resolve({ ok: true, documents: out === '' ? [] : (JSON.parse(out) as unknown) });
        } catch {
          resolve({
            ok: false,
            reason: 'error',
            error: 'The app did not print valid JSON on stdout.',
          });
        }
      });
    });
  }

  async close(): Promise<void> {
    // Nothing warm to stop; running commands finish or are aborted through their tasks.
  }
}

/** Each secret also as `RUNBOX_SECRET_<NAME>` when its key name is a shell identifier. */
function secretVariables(secrets: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secrets)
      .filter(([name]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      .map(([name, value]) => [`RUNBOX_SECRET_${name.toUpperCase()}`, value]),
  );
}
