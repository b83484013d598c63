/**
 * How runs and apps look on the Apify API v2 wire (SPEC §5): ISO dates, Apify status spellings,
 * the Run / RunShort / Actor field names `apify-client` reads. Only presentation lives here; every
 * rule (who may see, cancel or delete what) stays in the services.
 */
import { invalidInput } from '../../contract/errors.js';
import {
  apifyStatus,
  isTerminal,
  RUN_STATES,
  type ApifyRunStatus,
  type RunState,
} from '../../domain/run-state.js';
import { runMessage } from '../../services/run-views.js';
import type { App, AppVersion, Run, RunFile } from '../../store/schema.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Runbox has no builds: an app version plays the part, named `<appId>@<version>`. */
const buildId = (run: Run) => `${run.app_id}@${run.app_version}`;

/** The internal states behind each Apify status, derived from `apifyStatus` (no second table). */
export const STATES_OF_APIFY: Record<ApifyRunStatus | 'TIMING-OUT', RunState[]> = {
  READY: [],
  RUNNING: [],
  SUCCEEDED: [],
  FAILED: [],
  'TIMING-OUT': [],
  'TIMED-OUT': [],
  ABORTING: [],
  ABORTED: [],
};
for (const s of RUN_STATES) STATES_OF_APIFY[apifyStatus(s)].push(s);

/** `status=A,B` (Apify spellings) → the internal states; an unknown status is refused. */
export function statesOf(status: string | undefined): RunState[] | undefined {
  if (status === undefined || status === '') return undefined;
  const out: RunState[] = [];
  for (const s of status.split(',').map((x) => x.trim().toUpperCase())) {
    if (!(s in STATES_OF_APIFY)) {
      throw invalidInput(
        `Unknown status "${s}"; use ${Object.keys(STATES_OF_APIFY).join(', ')} (comma-separated).`,
      );
    }
    out.push(...STATES_OF_APIFY[s as keyof typeof STATES_OF_APIFY]);
  }
  return out;
}

/** Booleans in Apify queries: `1/0/true/false` (the client sends `1`/`0`). */
export function flag(v: string | undefined, name: string): boolean | undefined {
  if (v === undefined) return undefined;
  switch (v.toLowerCase()) {
    case '1':
    case 'true':
      return true;
    case '0':
    case 'false':
    case '':
      return false;
    default:
      throw invalidInput(`Query parameter "${name}" must be 1, 0, true or false.`);
  }
}

function durationMillis(run: Run, now: number): number {
  const start = run.started_at ?? run.created_at;
  return Math.max(0, (run.finished_at ?? (isTerminal(run.state) ? start : now)) - start);
}

/** RunShort: what list items carry. */
export function toApifyRunShort(run: Run) {
  return {
    id: run.id,
    actId: run.app_id,
    actorTaskId: null,
    userId: run.created_by,
    status: apifyStatus(run.state),
    startedAt: iso(run.created_at),
    finishedAt: iso(run.finished_at),
    buildId: buildId(run),
    buildNumber: run.app_version,
    meta: { origin: 'API' },
    usageTotalUsd: 0,
    defaultKeyValueStoreId: run.id,
    defaultDatasetId: run.id,
    defaultRequestQueueId: run.id,
  };
}

/** The full Run object. Storage ids are the run id: its files are its dataset. */
export function toApifyRun(run: Run, now: number) {
  const ms = durationMillis(run, now);
  const terminal = isTerminal(run.state);
  return {
    ...toApifyRunShort(run),
    // A message a client set (PUT) is shown until the run is started again.
    statusMessage: run.status_message ?? runMessage(run),
    isStatusMessageTerminal:
      run.status_message !== null ? run.status_message_terminal === 1 : terminal,
    stats: {
      inputBodyLen: null,
      restartCount: run.lost_leases,
      resurrectCount: run.resurrect_count,
      durationMillis: ms,
      runTimeSecs: ms / 1000,
      computeUnits: 0,
    },
    options: {
      build: run.app_version,
      timeoutSecs: Math.round(run.timeout_ms / 1000),
      memoryMbytes: 1024,
      diskMbytes: 0,
    },
    exitCode: terminal ? (run.state === 'complete' ? 0 : 1) : null,
    generalAccess: 'RESTRICTED',
    storageIds: {
      datasets: { default: run.id },
      keyValueStores: { default: run.id },
      requestQueues: { default: run.id },
    },
    usage: null,
    usageUsd: null,
    // Runbox's own view, for clients that know it.
    runbox: {
      state: run.state,
      batchId: run.batch_id,
      inputDir: run.input_dir,
      fileCount: run.file_count,
      filesFailed: run.files_failed,
      deploymentId: run.deployment_id,
    },
  };
}

/** An app as an Apify Actor (`GET /v2/actors/{id}`); `username~name` names it. */
export function toApifyActor(app: App, version: AppVersion, timeoutSeconds: number) {
  return {
    id: app.id,
    userId: app.owner,
    name: app.name,
    username: app.owner,
    title: app.name,
    description: app.description,
    isPublic: false,
    createdAt: iso(app.created_at),
    modifiedAt: iso(app.updated_at),
    stats: {},
    versions: [{ versionNumber: version.version, buildTag: 'latest' }],
    defaultRunOptions: { build: 'latest', timeoutSecs: timeoutSeconds, memoryMbytes: 1024 },
    taggedBuilds: {
      latest: { buildId: `${app.id}@${version.version}`, buildNumber: version.version },
    },
  };
}

/**
 * The run's summary as its default key-value store's `OUTPUT` record: status, file counts and
 * each file's outcome (its fields are the dataset items).
 */
export function toApifyOutput(
  run: Run,
  files: Pick<RunFile, 'name' | 'state' | 'error'>[],
  now: number,
) {
  const count = (s: RunFile['state']) => files.filter((f) => f.state === s).length;
  const r = toApifyRun(run, now);
  return {
    runId: run.id,
    actId: run.app_id,
    status: r.status,
    statusMessage: r.statusMessage,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    files: {
      total: run.file_count,
      done: count('done'),
      failed: count('failed'),
      pending: count('pending'),
    },
    outcomes: files.map((f) => ({
      fileName: f.name,
      outcome: f.state,
      ...(f.error !== null ? { error: f.error } : {}),
    })),
  };
}
