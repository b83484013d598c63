/**
 * Table shapes as Kysely sees them. Times are integer milliseconds since the epoch (BIGINT on
 * Postgres, parsed to numbers); JSON columns are text on both backends so rows read the same.
 *
 * Glossary: an *org* is a tenant; a *workspace* is a storage namespace in an org (a user's
 * personal one has `owner_user_id`); a *batch* is a numbered set of uploaded files; a *job* is a
 * durable background operation with an id the API hands back.
 */
import type { Generated, Insertable, Selectable } from 'kysely';

export interface OrgsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface UsersTable {
  id: string;
  /** The org that created the user: its personal context. */
  org_id: string;
  kind: 'user' | 'service';
  display_name: string | null;
  created_at: number;
}

export interface MembershipsTable {
  org_id: string;
  user_id: string;
  role: 'member' | 'admin';
  created_at: number;
}

export interface WorkspacesTable {
  id: string;
  org_id: string;
  name: string;
  /** Set on a user's personal workspace; null on shared ones. */
  owner_user_id: string | null;
  created_at: number;
}

export interface TokensTable {
  id: string;
  user_id: string;
  name: string;
  /** SHA-256 of the token, hex. The token itself is never stored. */
  token_hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface BatchesTable {
  id: Generated<number>;
  org_id: string;
  workspace_id: string;
  name: string;
  created_by: string;
  created_at: number;
  updated_at: number;
  /** Set when deletion was requested; the batch is invisible from then on. */
  deleted_at: number | null;
}

export interface BatchFilesTable {
  batch_id: number;
  name: string;
  /** Every upload writes a fresh key, so deleting an old version never hits a newer one. */
  blob_key: string;
  size: number;
  updated_at: number;
}

export interface UploadSessionsTable {
  id: string;
  org_id: string;
  batch_id: number;
  filename: string;
  file_size: number;
  part_size: number;
  blob_key: string;
  blob_upload_id: string;
  state: 'open' | 'committed' | 'aborted';
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface UploadPartsTable {
  session_id: string;
  part_num: number;
  part_id: string;
  size: number;
  created_at: number;
}

export interface JobsTable {
  id: string;
  org_id: string | null;
  kind: string;
  payload: string;
  state: 'PENDING' | 'RUNNING' | 'COMPLETE' | 'FAILED' | 'CANCELLED';
  message: string;
  attempts: number;
  max_attempts: number;
  run_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface AppsTable {
  id: string;
  org_id: string;
  name: string;
  /** The user who first published it. */
  owner: string;
  description: string | null;
  created_at: number;
  updated_at: number;
}

export interface AppVersionsTable {
  app_id: string;
  version: string;
  /** The validated `runbox.app.json`, as JSON text. */
  manifest: string;
  /** The published archive in blob storage (workers unpack it into a local cache). */
  package_key: string;
  package_size: number;
  created_by: string;
  created_at: number;
}

export type RunStateColumn =
  | 'queued'
  | 'running'
  | 'stopped_at_checkpoint'
  | 'cancelling'
  | 'complete'
  | 'failed'
  | 'timed_out'
  | 'cancelled';

/** Run history: one row per run, changed only at status transitions. */
export interface RunsTable {
  id: string;
  org_id: string;
  app_id: string;
  app_version: string;
  deployment_id: string | null;
  created_by: string;
  batch_id: number | null;
  input_dir: string | null;
  /** Where the input files live in blob storage (the batch's, or the run's own snapshot). */
  input_prefix: string;
  output_workspace: string | null;
  output_dir: string | null;
  /** JSON: custom keys, runtime config. */
  settings: string;
  /** JSON array, or null. */
  tags: string | null;
  state: RunStateColumn;
  msg: string | null;
  timeout_ms: number;
  file_count: number;
  files_failed: number;
  /** How many times a worker died holding this run. */
  lost_leases: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** 1 once a reviewer resumed the run from its checkpoint. */
  review_completed: number;
  /** The job deleting this run's record, once one was requested (by DELETE or retention). */
  deletion_job_id: string | null;
  /** When a retention policy handed the run to deletion (it is not handed over twice). */
  retention_applied_at: number | null;
  /** A status message a client set (Apify `PUT /v2/actor-runs/{id}`), shown instead of `msg`. */
  status_message: string | null;
  /** 1 when that message is the run's final one (Apify's `isStatusMessageTerminal`). */
  status_message_terminal: number;
  /** How many times the finished run was started again over the same input. */
  resurrect_count: number;
  /** JSON array of the run's own webhooks (given when it was started), or null. */
  webhooks: string | null;
}

export interface RunFilesTable {
  run_id: string;
  file_index: number;
  name: string;
  blob_key: string;
  size: number;
  state: 'pending' | 'done' | 'failed';
  error: string | null;
  /** JSON array of the documents the app returned (normalised). */
  documents: string | null;
  finished_at: number | null;
  /** 1 when the run's review policy wants a person to look at this file. */
  needs_review: number;
  reviewed_by: string | null;
  reviewed_at: number | null;
}

/** The queue: a run is here from creation until a worker claims it. */
export interface RunQueueTable {
  run_id: string;
  org_id: string;
  queued_at: number;
  /** Claims skip runs of a deployment already at its concurrency limit. */
  deployment_id: string | null;
}

/** A claimed run's lease: the worker holding it, a fencing token, and its expiry. */
export interface RunLeasesTable {
  run_id: string;
  worker: string;
  token: string;
  expires_at: number;
  /** Counted against the deployment's concurrency limit while the lease lasts. */
  deployment_id: string | null;
}

export interface RunEventsTable {
  id: Generated<number>;
  run_id: string;
  at: number;
  /** `status`, `file` (per-file outcome/progress) or `log`. */
  kind: string;
  /** JSON. */
  data: string;
}

/** Org secrets: the value sealed with the server key, never returned. */
export interface SecretsTable {
  org_id: string;
  alias: string;
  description: string;
  allowed_workspaces_type: 'ALL' | 'SOME' | 'NONE';
  /** JSON array of workspace names (used when the type is SOME). */
  allowed_workspaces: string;
  sealed_value: string;
  created_by: string;
  created_at: number;
  last_updated_by: string;
  updated_at: number;
}

/** An app version set up to run with stored settings in a workspace. */
export interface DeploymentsTable {
  id: string;
  org_id: string;
  name: string;
  app_id: string;
  /** Pinned version, or null for the newest at each run. */
  version: string | null;
  /** Output workspace of its runs (a name), or null for the caller's own. */
  workspace: string | null;
  /** JSON object of custom key values. */
  custom_keys: string;
  /** JSON object: app secret key name → org secret alias. */
  secret_keys: string;
  review_policy: 'never' | 'on_validation_failure' | 'always' | null;
  /** JSON array of { url, events }. */
  webhooks: string;
  sealed_webhook_secret: string;
  concurrency_limit: number | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface IdempotencyKeysTable {
  org_id: string;
  user_id: string;
  idem_key: string;
  /** SHA-256 of the request it was first used with: the same key with another body is refused. */
  request_hash: string;
  run_id: string;
  created_at: number;
}

export interface RetentionPoliciesTable {
  id: string;
  org_id: string;
  scope: 'org' | 'app' | 'deployment';
  /** The org, app or deployment id. */
  target_id: string;
  days: number;
  delete_input: number;
  delete_output: number;
  delete_logs: number;
  delete_db_data: number;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface MigrationsTable {
  id: number;
  name: string;
  checksum: string;
  applied_at: number;
}

export interface Database {
  orgs: OrgsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  workspaces: WorkspacesTable;
  tokens: TokensTable;
  batches: BatchesTable;
  batch_files: BatchFilesTable;
  upload_sessions: UploadSessionsTable;
  upload_parts: UploadPartsTable;
  jobs: JobsTable;
  apps: AppsTable;
  app_versions: AppVersionsTable;
  runs: RunsTable;
  run_files: RunFilesTable;
  run_queue: RunQueueTable;
  run_leases: RunLeasesTable;
  run_events: RunEventsTable;
  secrets: SecretsTable;
  deployments: DeploymentsTable;
  idempotency_keys: IdempotencyKeysTable;
  retention_policies: RetentionPoliciesTable;
  runbox_migrations: MigrationsTable;
}

export type Org = Selectable<OrgsTable>;
export type User = Selectable<UsersTable>;
export type Membership = Selectable<MembershipsTable>;
export type Workspace = Selectable<WorkspacesTable>;
export type Token = Selectable<TokensTable>;
export type Batch = Selectable<BatchesTable>;
export type BatchFile = Selectable<BatchFilesTable>;
export type UploadSession = Selectable<UploadSessionsTable>;
export type UploadPart = Selectable<UploadPartsTable>;
export type JobRow = Selectable<JobsTable>;
export type NewJob = Insertable<JobsTable>;
export type App = Selectable<AppsTable>;
export type AppVersion = Selectable<AppVersionsTable>;
export type Run = Selectable<RunsTable>;
export type RunFile = Selectable<RunFilesTable>;
export type RunEvent = Selectable<RunEventsTable>;
export type RunLease = Selectable<RunLeasesTable>;
export type Secret = Selectable<SecretsTable>;
export type Deployment = Selectable<DeploymentsTable>;
export type RetentionPolicy = Selectable<RetentionPoliciesTable>;
