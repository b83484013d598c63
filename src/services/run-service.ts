import type { Blobs } from '../blobs/blobs.js';
import {
  conflict,
  invalidInput,
  notFound,
  payloadTooLarge,
  permissionDenied,
  RunboxError,
} from '../contract/errors.js';
import { MANIFEST_DEFAULTS } from '../domain/manifest.js';
import { isTerminal, type RunState } from '../domain/run-state.js';
import type { Sources } from '../domain/sources.js';
import { uuidv7 } from '../domain/uuid7.js';
import { createHash } from 'node:crypto';
import { GroupCommit } from '../engine/group-commit.js';
import { statusEvent } from '../engine/run-executor.js';
import { notificationJob } from '../engine/webhooks/run-notifications.js';
import type { NewRunEvent } from '../store/repos/run-event-repo.js';
import { PENDING_FILE } from '../store/repos/run-repo.js';
import type { RunSignals } from '../engine/run-signals.js';
import type { Deployment, IdempotencyKeysTable, NewJob, Run, RunFile } from '../store/schema.js';
import { checkRunWebhooks, type RunWebhook } from '../engine/webhooks/run-webhooks.js';
import type { RunSettingsRecord } from '../domain/run-settings.js';
import type { Store } from '../store/store.js';
import type { AppService } from './app-service.js';
import type { BatchService } from './batch-service.js';
import type { FileService } from './file-service.js';
import { isAdmin, type Principal } from './principal.js';
import { listRuns, type ListRunsQuery } from './run-list.js';
import { toAihubRun, type AihubRun } from './run-views.js';
import { resolveWorkspace } from './workspace-access.js';

export interface RunSettings {
  keys?: { custom?: Record<string, unknown>; secret?: Record<string, string> } | undefined;
  runtime_config?: Record<string, unknown> | undefined;
  tags?: string[] | undefined;
}

export interface CreateRunInput {
  app_name?: string | undefined;
  app_id?: string | undefined;
  owner?: string | undefined;
  version?: string | undefined;
  batch_id?: number | undefined;
  input_dir?: string | undefined;
  output_workspace?: string | undefined;
  output_dir?: string | undefined;
  settings?: RunSettings | undefined;
}

interface NewRun {
  run: Run;
  files: RunFile[];
  event: NewRunEvent;
  idempotency: IdempotencyKeysTable | undefined;
  /** Notifies the run's own webhooks of its creation. */
  notification: NewJob | undefined;
}

/** How long an `Idempotency-Key` keeps answering with the run it created. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

export interface CreateRunOptions {
  /** A deployment run: the deployment's app, version, workspace and stored settings apply. */
  deployment?: Deployment | undefined;
  /** The `Idempotency-Key` header: a repeat within 24 h returns the run the first call made. */
  idempotencyKey?: string | undefined;
  /** The run's own webhooks (Apify `webhooks`, PraisonAI `webhook_url`), checked by the caller. */
  webhooks?: RunWebhook[] | undefined;
}

export const MAX_TAGS_CHARS = 500;
export const MAX_STATUS_MESSAGE_CHARS = 1000;
export const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;

/** Creating, reading and cancelling runs; deletion and results live in their own services. */
export class RunService {
  constructor(
    private readonly deps: {
      store: Store;
      blobs: Blobs;
      apps: AppService;
      batches: BatchService;
      files: FileService;
      signals: RunSignals;
      sources: Sources;
      maxRunFiles: number;
    },
  ) {
    // Concurrent creates share commits: the run, its files, its queue row and its first event.
    this.creates = new GroupCommit(deps.store, async (tx, batch: NewRun[]) => {
      const expired = deps.sources.clock.now() - IDEMPOTENCY_WINDOW_MS;
      // First, so a repeated key fails its transaction before anything else is written.
      for (const c of batch) {
        if (c.idempotency) await tx.idempotency.record(c.idempotency, expired);
      }
      await tx.runs.insert(
        batch.map((c) => c.run),
        batch.flatMap((c) => c.files),
      );
      await tx.runEvents.append(batch.map((c) => c.event));
      for (const c of batch) if (c.notification) await tx.jobs.enqueue(c.notification);
      return batch.map(() => undefined);
    });
  }

  private readonly creates: GroupCommit<NewRun>;

  private newRunId(): string {
    const { clock, ids } = this.deps.sources;
    return uuidv7(clock.now(), Buffer.from(ids.randomToken(10), 'base64url'));
  }

  /**
   * Creates a run (SPEC §3, §4.1). With an idempotency key, a repeat of the same request within
   * 24 h returns the run the first one made, and the key with another request is a conflict.
   */
  async create(p: Principal, input: CreateRunInput, o: CreateRunOptions = {}): Promise<AihubRun> {
    if (o.idempotencyKey === undefined) return this.createNew(p, input, o, undefined);
    const key = checkIdempotencyKey(o.idempotencyKey);
    const hash = requestHash(o.deployment?.id ?? null, input);
    const replay = await this.replay(p, key, hash);
    if (replay) return replay;
    try {
      return await this.createNew(p, input, o, { key, hash });
    } catch (err) {
      // Another request with the same key won the race: answer as it did.
      if (err instanceof RunboxError && err.type === 'conflict') {
        const winner = await this.replay(p, key, hash);
        if (winner) return winner;
      }
      throw err;
    }
  }

  private async replay(p: Principal, key: string, hash: string): Promise<AihubRun | undefined> {
    const since = this.deps.sources.clock.now() - IDEMPOTENCY_WINDOW_MS;
    const found = await this.deps.store.idempotency.find(p.orgId, p.userId, key, since);
    if (!found) return undefined;
    if (found.request_hash !== hash) {
      throw conflict('This Idempotency-Key was already used with a different request.');
    }
    const run = await this.deps.store.runs.get(p.orgId, found.run_id);
    if (!run) throw notFound(`Run ${found.run_id} (created with this Idempotency-Key)`);
    return toAihubRun(run);
  }

  private async createNew(
    p: Principal,
    input: CreateRunInput,
    o: CreateRunOptions,
    idem: { key: string; hash: string } | undefined,
  ): Promise<AihubRun> {
    const { store, sources } = this.deps;
    const d = o.deployment;
    if (!d && (input.app_name === undefined) === (input.app_id === undefined)) {
      throw invalidInput('Give exactly one of app_name and app_id.');
    }
    if ((input.batch_id === undefined) === (input.input_dir === undefined)) {
      throw invalidInput('Give exactly one of batch_id and input_dir.');
    }
    const outputWorkspace = input.output_workspace ?? d?.workspace ?? undefined;
    if (p.userKind === 'service' && !outputWorkspace && !input.output_dir) {
      throw invalidInput('Service accounts must give output_workspace or output_dir.');
    }
    checkRunWebhooks(o.webhooks ?? []);
    const tags = input.settings?.tags;
    if (tags && tags.join('').length > MAX_TAGS_CHARS) {
      throw invalidInput(`settings.tags must be at most ${MAX_TAGS_CHARS} characters in all.`);
    }
    const timeoutSeconds = input.settings?.runtime_config?.timeout_seconds;
    if (
      timeoutSeconds !== undefined &&
      (!Number.isInteger(timeoutSeconds) ||
        (timeoutSeconds as number) < 1 ||
        (timeoutSeconds as number) > MAX_TIMEOUT_SECONDS)
    ) {
      throw invalidInput(
        `settings.runtime_config.timeout_seconds must be an integer from 1 to ${MAX_TIMEOUT_SECONDS}.`,
      );
    }
    const { app, version, manifest } = await this.deps.apps.resolve(
      p,
      d
        ? { appId: d.app_id, version: input.version ?? d.version ?? undefined }
        : {
            appId: input.app_id,
            appName: input.app_name,
            owner: input.owner,
            version: input.version,
          },
    );
    if (outputWorkspace !== undefined) await resolveWorkspace(store, p, outputWorkspace);
    if (input.output_dir !== undefined) await this.deps.files.resolve(p, input.output_dir);

    const id = this.newRunId();
    const now = sources.clock.now();
    const { files, inputPrefix } =
      input.batch_id !== undefined
        ? await this.batchInput(p, input.batch_id)
        : await this.snapshotInput(p, id, input.input_dir!);
    const settings: RunSettingsRecord = {
      keys: {
        custom: { ...storedKeys(d?.custom_keys), ...(input.settings?.keys?.custom ?? {}) },
        secret: {
          ...(storedKeys(d?.secret_keys) as Record<string, string>),
          ...(input.settings?.keys?.secret ?? {}),
        },
      },
      runtime_config: input.settings?.runtime_config ?? {},
      review: d?.review_policy ?? manifest.review ?? 'never',
    };
    const run: Run = {
      id,
      org_id: p.orgId,
      app_id: app.id,
      app_version: version.version,
      deployment_id: d?.id ?? null,
      created_by: p.userId,
      batch_id: input.batch_id ?? null,
      input_dir: input.input_dir ?? null,
      input_prefix: inputPrefix,
      output_workspace: outputWorkspace ?? null,
      output_dir: input.output_dir ?? null,
      settings: JSON.stringify(settings),
      tags: tags ? JSON.stringify(tags) : null,
      state: 'queued',
      msg: null,
      timeout_ms:
        1000 *
        ((timeoutSeconds as number | undefined) ??
          manifest.timeout_seconds ??
          MANIFEST_DEFAULTS.timeout_seconds),
      file_count: files.length,
      files_failed: 0,
      lost_leases: 0,
      created_at: now,
      started_at: null,
      finished_at: null,
      review_completed: 0,
      deletion_job_id: null,
      retention_applied_at: null,
      status_message: null,
      status_message_terminal: 0,
      resurrect_count: 0,
      webhooks: o.webhooks && o.webhooks.length > 0 ? JSON.stringify(o.webhooks) : null,
    };
    const what = d
      ? `deployment ${d.name} (${app.name} ${version.version})`
      : `${app.name} ${version.version}`;
    try {
      await this.creates.submit({
        run,
        files: files.map((f) => ({ ...f, run_id: id })),
        event: statusEvent(
          id,
          now,
          'queued',
          `Queued ${what} over ${files.length} file${files.length === 1 ? '' : 's'}.`,
        ),
        notification: notificationJob(run, 'created', now, sources.ids.uuid()),
        idempotency: idem && {
          org_id: p.orgId,
          user_id: p.userId,
          idem_key: idem.key,
          request_hash: idem.hash,
          run_id: id,
          created_at: now,
        },
      });
    } catch (err) {
      if (input.input_dir !== undefined) await this.deps.blobs.deletePrefix(inputPrefix);
      throw err;
    }
    this.deps.signals.newWork();
    if (run.webhooks !== null) this.deps.signals.newJobs();
    return toAihubRun(run);
  }

  /** A batch run reads the batch's files where they are stored. */
  private async batchInput(p: Principal, batchId: number) {
    const { files: rows } = await this.deps.batches.visibleWithFiles(
      this.deps.store,
      p,
      batchId,
      this.deps.maxRunFiles + 1,
    );
    this.checkCount(rows.length);
    return {
      inputPrefix: `batches/${batchId}`,
      files: rows.map((f, i): Omit<RunFile, 'run_id'> => ({
        file_index: i,
        name: f.name,
        blob_key: f.blob_key,
        size: f.size,
        ...PENDING_FILE,
      })),
    };
  }

  /** A folder run copies the folder's files into the run's own input, so later changes do not alter it. */
  private async snapshotInput(p: Principal, runId: string, inputDir: string) {
    const { blobs } = this.deps;
    const { key } = await this.deps.files.resolve(p, inputDir);
    const stat = await blobs.stat(key);
    if (!stat || stat.kind !== 'folder') throw notFound(`Folder ${inputDir}`);
    const entries = (await blobs.list(key)).filter((e) => e.kind === 'file');
    this.checkCount(entries.length);
    const prefix = `runs/${runId}/input`;
    const files: Omit<RunFile, 'run_id'>[] = [];
    try {
      for (const [i, e] of entries.entries()) {
        const target = `${prefix}/${i}`;
        const { size } = await blobs.write(target, await blobs.read(e.key));
        files.push({
          file_index: i,
          name: e.name,
          blob_key: target,
          size,
          ...PENDING_FILE,
        });
      }
    } catch (err) {
      await blobs.deletePrefix(prefix);
      throw err;
    }
    return { inputPrefix: prefix, files };
  }

  private checkCount(n: number): void {
    if (n === 0) throw invalidInput('The input has no files.');
    if (n > this.deps.maxRunFiles) {
      throw payloadTooLarge(`A run may have at most ${this.deps.maxRunFiles} files.`);
    }
  }

  async getRow(p: Principal, id: string): Promise<Run> {
    const run = await this.deps.store.runs.get(p.orgId, id);
    if (!run) throw notFound(`Run ${id}`);
    return run;
  }

  list(p: Principal, q: ListRunsQuery): Promise<AihubRun[]> {
    return listRuns(this.deps.store, p, q, this.deps.sources.clock.now());
  }

  async get(p: Principal, id: string): Promise<AihubRun> {
    return toAihubRun(await this.getRow(p, id));
  }

  /**
   * Cancels (SPEC §3): a queued or checkpointed run ends at once; a running one becomes
   * `cancelling`, its code gets the abort signal and is killed after the grace period.
   */
  async cancel(p: Principal, id: string): Promise<AihubRun> {
    const { store, sources, signals } = this.deps;
    const now = sources.clock.now();
    const moved = await store.transaction(async (tx) => {
      const run = await tx.runs.get(p.orgId, id);
      if (!run) throw notFound(`Run ${id}`);
      if (isTerminal(run.state))
        throw conflict(`The run already ended (${run.state}); there is nothing to cancel.`);
      let to: RunState | undefined;
      if (run.state === 'queued' && (await tx.runQueue.dequeue(id))) to = 'cancelled';
      else if (run.state === 'stopped_at_checkpoint') to = 'cancelled';
      else if (run.state === 'running' || run.state === 'queued') to = 'cancelling';
      if (!to) return false;
      const msg =
        to === 'cancelled' ? `Cancelled by ${p.userId}.` : `Cancellation requested by ${p.userId}.`;
      const from: RunState[] = to === 'cancelling' ? ['running'] : [run.state];
      if (
        !(await tx.runs.transition(id, from, to, {
          msg,
          ...(to === 'cancelled' ? { finished_at: now } : {}),
        }))
      ) {
        throw new RunboxError('conflict', 'The run changed state while cancelling; try again.');
      }
      await tx.runEvents.append([statusEvent(id, now, to, msg)]);
      const job = notificationJob(run, to, now, sources.ids.uuid());
      if (job) await tx.jobs.enqueue(job);
      return true;
    });
    if (moved) {
      signals.cancel(id);
      signals.changed(id);
      signals.newJobs();
    }
    return this.get(p, id);
  }

  /**
   * Sets the run's status message (Apify's `PUT /v2/actor-runs/{id}`), shown instead of the
   * engine's message until the run is started again; `terminal` marks it as the final one. The
   * message also goes to the run's log. Only the run's starter or an org admin may set it.
   */
  async setStatusMessage(
    p: Principal,
    id: string,
    o: { message: string; terminal: boolean },
  ): Promise<Run> {
    const { store, sources, signals } = this.deps;
    if (o.message.length > MAX_STATUS_MESSAGE_CHARS) {
      throw invalidInput(`statusMessage must be at most ${MAX_STATUS_MESSAGE_CHARS} characters.`);
    }
    const now = sources.clock.now();
    await store.transaction(async (tx) => {
      const run = await tx.runs.get(p.orgId, id);
      if (!run) throw notFound(`Run ${id}`);
      this.assertMayChange(p, run, 'change');
      await tx.runs.setStatusMessage(id, o.message, o.terminal);
      await tx.runEvents.append([
        {
          run_id: id,
          at: now,
          kind: 'log',
          data: JSON.stringify({ line: `Status: ${o.message}` }),
        },
      ]);
    });
    signals.changed(id);
    return this.getRow(p, id);
  }

  /** Who may change or delete a run: the user who started it, or an org admin (SPEC §3). */
  assertMayChange(p: Principal, run: Run, what: 'change' | 'delete' | 'resurrect'): void {
    if (run.created_by !== p.userId && !isAdmin(p)) {
      throw permissionDenied(`Only the user who started the run or an org admin may ${what} it.`);
    }
  }

  /** Deletion also needs the run to be finished. */
  assertMayDelete(p: Principal, run: Run): void {
    this.assertMayChange(p, run, 'delete');
    if (!isTerminal(run.state)) {
      throw new RunboxError(
        'run-not-finished',
        'The run is not finished; cancel it first, then delete it.',
      );
    }
  }
}

const storedKeys = (json: string | undefined): Record<string, unknown> =>
  json === undefined ? {} : (JSON.parse(json) as Record<string, unknown>);

/** Keys are opaque to us but bounded: printable ASCII, at most 255 characters. */
function checkIdempotencyKey(key: string): string {
  if (key.length === 0 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
    throw invalidInput('Idempotency-Key must be 1 to 255 printable ASCII characters.');
  }
  return key;
}

/** The request a key was used with: where it went and its body, keys in a stable order. */
function requestHash(deploymentId: string | null, input: CreateRunInput): string {
  return createHash('sha256').update(stableJson({ deploymentId, input })).digest('hex');
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
