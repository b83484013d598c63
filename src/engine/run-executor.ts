import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { isNotFound, isUnavailable } from '../contract/errors.js';
import { DocumentShapeError, normaliseDocuments } from '../domain/documents.js';
import type { Manifest, ReviewPolicy } from '../domain/manifest.js';
import { parseRunSettings } from '../domain/run-settings.js';
import { validateDocuments, type ValidatedDocument } from '../domain/validation.js';
import { SecretResolutionError } from '../services/secret-service.js';
import type { FileCounts, FileResult } from '../store/repos/run-repo.js';
import type { RunState } from '../domain/run-state.js';
import type { Clock } from '../domain/sources.js';
import type { ClaimedRun } from '../store/repos/run-queue-repo.js';
import type { NewRunEvent } from '../store/repos/run-event-repo.js';
import type { Run, RunFile } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { PackageCache } from './packages/package-cache.js';
import { MISSING_INPUT, NOT_STARTED, type FileOutcome } from './runner/file-task.js';
import type { RuntimeRegistry } from './runner/runtime-registry.js';
import type { RunWriter } from './run-writer.js';

/** A local file for app code to read, and how to let go of it (S3 downloads are temporary). */
export type Materialize = (blobKey: string) => Promise<{ path: string; release(): Promise<void> }>;

/** Opens the secrets a run names (key name → alias); throws SecretResolutionError for the run. */
export type ResolveSecrets = (
  run: Run,
  keys: Record<string, string>,
) => Promise<Record<string, string>>;

export interface ExecutorDeps {
  store: Store;
  secrets: ResolveSecrets;
  writer: RunWriter;
  packages: PackageCache;
  runtimes: RuntimeRegistry;
  materialize: Materialize;
  clock: Clock;
  /** Scratch space for apps' output folders. */
  workDir: string;
  log: Logger;
}

export const statusEvent = (
  runId: string,
  at: number,
  state: RunState,
  msg: string,
): NewRunEvent => ({
  run_id: runId,
  at,
  kind: 'status',
  data: JSON.stringify({ state, msg }),
});

/** Runs every pending file of one claimed run through its app and records the outcome. */
export class RunExecutor {
  private readonly manifests = new Map<
    string,
    Promise<{ manifest: Manifest; packageKey: string }>
  >();

  constructor(private readonly deps: ExecutorDeps) {}

  private version(run: Run) {
    const key = `${run.app_id}@${run.app_version}`;
    let p = this.manifests.get(key);
    if (!p) {
      p = this.deps.store.apps.version(run.app_id, run.app_version).then((v) => {
        if (!v) throw new Error(`App version ${run.app_version} no longer exists.`);
        return { manifest: JSON.parse(v.manifest) as Manifest, packageKey: v.package_key };
      });
      this.manifests.set(key, p);
      p.catch(() => this.manifests.delete(key));
    }
    return p;
  }

  /**
   * Executes the run until every file has an outcome, it is cancelled (`cancel` aborts), or
   * its lease is lost. Never throws for anything the app does: that is data on the files.
   * Once `draining` aborts (the worker is shutting down) no further file starts; files already
   * running finish and are recorded, and 'unstarted' tells the worker to hand the run back.
   */
  async execute(
    { run, token, files }: ClaimedRun,
    cancel: AbortSignal,
    draining?: AbortSignal,
  ): Promise<'finished' | 'unstarted'> {
    const { writer, clock } = this.deps;
    // Whatever the app prints goes through `redact` before it is stored: secrets never reach logs.
    let redact = (text: string) => text;
    const log = (line: string, file?: string): NewRunEvent => ({
      run_id: run.id,
      at: clock.now(),
      kind: 'log',
      data: JSON.stringify(
        file === undefined ? { line: redact(line) } : { line: redact(line), file },
      ),
    });
    let manifest: Manifest;
    let runtime;
    /** Fails the whole run before any file ran (its files all count as failed). */
    const failWhole = (msg: string) =>
      writer.finish({
        runId: run.id,
        deploymentId: run.deployment_id,
        webhooks: run.webhooks,
        orgId: run.org_id,
        token,
        from: ['running', 'cancelling'],
        to: 'failed',
        msg,
        filesFailed: run.file_count,
        events: [statusEvent(run.id, clock.now(), 'failed', msg)],
      });
    const settings = parseRunSettings(run.settings);
    let secrets: Record<string, string>;
    try {
      secrets = await this.deps.secrets(run, settings.keys.secret);
    } catch (err) {
      if (!(err instanceof SecretResolutionError)) throw err;
      const msg = `The run's secrets could not be given to the app: ${err.message}`;
      await failWhole(msg);
      return 'finished';
    }
    redact = redactor(Object.values(secrets));
    // Nor do they reach results: an app returning a secret stores [secret].
    const redactJson = (v: unknown): unknown =>
      v === undefined ? v : (JSON.parse(redact(JSON.stringify(v))) as unknown);
    try {
      const v = await this.version(run);
      manifest = v.manifest;
      const dir = await this.deps.packages.dir(run.app_id, run.app_version, v.packageKey);
      runtime = this.deps.runtimes.get(`${run.app_id}@${run.app_version}`, dir, manifest);
    } catch (err) {
      // A store that cannot be reached is not the app's fault: the worker hands the run back.
      if (isUnavailable(err)) throw err;
      const msg = `The app could not be loaded: ${(err as Error).message}`;
      await failWhole(msg);
      return 'finished';
    }
    const deadline = (run.started_at ?? clock.now()) + run.timeout_ms;
    const keys = this.keys(settings.keys.custom, manifest);
    const rules = manifest.fields ?? [];
    // One controller aborts the app's work on cancel or on a lost lease (`lost` tells which).
    // `cancel` is the worker's own per run, so the listener on it goes with the run.
    const stop = new AbortController();
    const signal = stop.signal;
    let lost = false;
    const loseLease = () => {
      lost = true;
      stop.abort(new Error('The lease was lost.'));
    };
    const onCancel = () => stop.abort(cancel.reason);
    if (cancel.aborted) onCancel();
    else cancel.addEventListener('abort', onCancel, { once: true });
    let timedOut = false;

    let outputsToRemove = false;
    const writes: Promise<void>[] = [];
    /** Why the run is handed back once its writes end: the database or the file storage failed. */
    let handBack: Error | undefined;
    /** Files left unstarted because the worker is shutting down: the run is handed back. */
    let unstarted = 0;
    const mayStart = () => !draining?.aborted;
    const processFile = async (file: RunFile): Promise<FileResult | undefined> => {
      let outcome: FileOutcome;
      if (!mayStart()) {
        outcome = NOT_STARTED;
      } else if (lost) {
        // The run is being handed back: what has not run stays pending for the next worker.
        return undefined;
      } else if (signal.aborted) {
        outcome = { ok: false, reason: 'cancelled', error: 'The run was cancelled.' };
      } else if (clock.now() >= deadline) {
        outcome = { ok: false, reason: 'timeout', error: 'The run timed out.' };
      } else {
        try {
          outcome = await this.runFile(run, file, runtime, {
            keys,
            secrets,
            deadline,
            signal,
            mayStart,
            log,
          });
        } catch (err) {
          // Its input could not be read (not gone: the storage is away): nothing is recorded for
          // this file, and the run is handed back.
          handBack ??= asError(err);
          loseLease();
          return undefined;
        }
        if (!outcome.outputUnused) outputsToRemove = true;
        // A file that failed once the run was being handed back may have failed of that (its
        // app aborted): it stays pending and runs again on the next worker.
        if (!outcome.ok && lost) return undefined;
      }
      if (outcome.notStarted) {
        unstarted++;
        return undefined;
      }
      if (!outcome.ok && outcome.reason === 'timeout') timedOut = true;
      let result;
      if (outcome.ok) {
        try {
          const docs = validateDocuments(
            normaliseDocuments(redactJson(outcome.documents), rules),
            rules,
          );
          result = {
            fileIndex: file.file_index,
            state: 'done' as const,
            error: null,
            documents: JSON.stringify(docs),
            needsReview: needsReview(settings.review, docs),
          };
        } catch (err) {
          if (!(err instanceof DocumentShapeError)) throw err;
          result = {
            fileIndex: file.file_index,
            state: 'failed' as const,
            error: `The app returned an invalid result: ${err.message}.`,
            documents: null,
            needsReview: false,
          };
        }
      } else {
        result = {
          fileIndex: file.file_index,
          state: 'failed' as const,
          error: redact(outcome.error),
          documents: null,
          needsReview: false,
        };
      }
      const fileEvent: NewRunEvent = {
        run_id: run.id,
        at: clock.now(),
        kind: 'file',
        data: JSON.stringify({
          index: file.file_index,
          name: file.name,
          state: result.state,
          error: result.error,
        }),
      };
      const events = result.error
        ? [fileEvent, log(`${file.name}: ${result.error}`, file.name)]
        : [fileEvent];
      // Not awaited here: the last file's outcome and the run's finish go to the writer
      // together, so they share a commit.
      // A failed write (the database went away) stops the run here; it is handed back below.
      writes.push(
        writer.file(run.id, token, result, events).then(
          (written) => {
            if (!written) loseLease();
          },
          (err: unknown) => {
            handBack ??= asError(err);
            loseLease();
          },
        ),
      );
      return result;
    };

    let failedNow = 0;
    let reviewNow = 0;
    const processAndCount = async (f: RunFile) => {
      const r = await processFile(f);
      if (!r) return;
      if (r.state === 'failed') failedNow++;
      if (r.needsReview) reviewNow++;
    };
    await Promise.all(files.map(processAndCount));
    // Output folders are made by the app's process when it first uses one; one removal per run.
    if (outputsToRemove)
      await rm(join(this.deps.workDir, run.id), { recursive: true, force: true });
    if (unstarted > 0) {
      // Shutting down: what was started is recorded; the worker hands the run back for the rest.
      await Promise.all(writes);
      if (handBack !== undefined) throw handBack;
      return 'unstarted';
    }
    // Files finished before this attempt (a run re-queued after a lost worker) are counted from
    // the store, once this attempt's outcomes are written; otherwise this attempt's outcomes
    // are the whole story. The finish is fenced by the lease like the outcomes: if the lease
    // was lost meanwhile, neither is written.
    const whole = files.length === run.file_count;
    if (!whole) await Promise.all(writes);
    const counts = whole
      ? { pending: 0, done: files.length - failedNow, failed: failedNow, needsReview: reviewNow }
      : await this.deps.store.runs.fileCounts(run.id);
    const { to, msg } = outcomeOf(counts, cancel.aborted, timedOut, run.timeout_ms);
    const finished = lost
      ? false
      : writer
          .finish({
            runId: run.id,
            deploymentId: run.deployment_id,
            webhooks: run.webhooks,
            orgId: run.org_id,
            token,
            from: ['running', 'cancelling'],
            to,
            msg,
            filesFailed: counts.failed,
            afterFiles: true,
            events: [statusEvent(run.id, clock.now(), to, msg)],
          })
          .catch((err: unknown) => {
            handBack ??= asError(err);
            return false;
          });
    await Promise.all(writes);
    const wasFinished = await finished;
    if (handBack !== undefined) throw handBack;
    if (!wasFinished) {
      this.deps.log.warn({ runId: run.id }, 'lease lost; another worker owns the run now');
    }
    return 'finished';
  }

  private keys(custom: Record<string, unknown>, manifest: Manifest): Record<string, unknown> {
    const defaults = Object.fromEntries(
      Object.entries(manifest.keys ?? {})
        .filter(([, spec]) => spec.default !== undefined)
        .map(([k, spec]) => [k, spec.default]),
    );
    return { ...defaults, ...custom };
  }

  private async runFile(
    run: Run,
    file: RunFile,
    runtime: ReturnType<RuntimeRegistry['get']>,
    o: {
      keys: Record<string, unknown>;
      secrets: Record<string, string>;
      deadline: number;
      signal: AbortSignal;
      mayStart: () => boolean;
      log: (l: string, f?: string) => NewRunEvent;
    },
  ): Promise<FileOutcome> {
    let local;
    try {
      local = await this.deps.materialize(file.blob_key);
    } catch (err) {
      // Only a file that is gone fails the file; a storage that cannot give it (unavailable,
      // or broken off) is not the file's fault: the worker hands the run back.
      if (isNotFound(err)) return MISSING_INPUT;
      throw err;
    }
    const outputDir = join(this.deps.workDir, run.id, String(file.file_index));
    try {
      return await runtime.run({
        id: `${run.id}/${file.file_index}`,
        fairKey: run.org_id,
        file: { name: file.name, path: local.path, size: file.size },
        keys: o.keys,
        secrets: o.secrets,
        outputDir,
        deadline: o.deadline,
        signal: o.signal,
        mayStart: o.mayStart,
        onLog: (line) =>
          void this.deps.writer.events([o.log(line, file.name)]).catch(() => undefined),
      });
    } finally {
      await local.release();
    }
  }
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/**
 * Replaces every secret value in a text with [secret]: the value itself, its JSON-escaped form
 * (an app printing its secrets as JSON), and each line of a multi-line value (output is logged
 * line by line). Pieces shorter than 3 characters are left, or every `a` would vanish.
 */
function redactor(values: string[]): (text: string) => string {
  const forms = values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1), ...v.split(/\r?\n/)]);
  const secrets = [...new Set(forms.map((f) => f.trim()))]
    .filter((v) => v.length >= 3)
    .sort((a, b) => b.length - a.length);
  if (secrets.length === 0) return (text) => text;
  return (text) => secrets.reduce((t, v) => t.split(v).join('[secret]'), text);
}

function needsReview(policy: ReviewPolicy, docs: ValidatedDocument[]): boolean {
  if (policy === 'always') return true;
  if (policy === 'never') return false;
  return docs.some((d) => !d.validations.final_result_pass);
}

function outcomeOf(
  counts: FileCounts,
  cancelled: boolean,
  timedOut: boolean,
  timeoutMs: number,
): { to: RunState; msg: string } {
  const total = counts.done + counts.failed + counts.pending;
  if (cancelled) return { to: 'cancelled', msg: 'The run was cancelled.' };
  if (timedOut)
    return { to: 'timed_out', msg: `The run timed out after ${Math.round(timeoutMs / 1000)} s.` };
  if (total > 0 && counts.done === 0) {
    return { to: 'failed', msg: `All ${total} file${total === 1 ? '' : 's'} failed.` };
  }
  if (counts.needsReview > 0) {
    const n = counts.needsReview;
    return {
      to: 'stopped_at_checkpoint',
      msg: `Stopped at the checkpoint: ${n} file${n === 1 ? '' : 's'} need${n === 1 ? 's' : ''} review.`,
    };
  }
  return {
    to: 'complete',
    msg:
      counts.failed === 0
        ? `Completed ${total} file${total === 1 ? '' : 's'}.`
        : `Completed: ${counts.done} of ${total} files succeeded, ${counts.failed} failed.`,
  };
}
