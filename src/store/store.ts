/**
 * The store: the only door to the database. Both backends implement it over the same Kysely
 * queries (`repos/`); what differs between them is expressed as capabilities and a few
 * backend hooks (`BackendOps`), never as dialect checks scattered through the code.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { OrgRepo } from './repos/org-repo.js';
import { UserRepo } from './repos/user-repo.js';
import { WorkspaceRepo } from './repos/workspace-repo.js';
import { TokenRepo } from './repos/token-repo.js';
import { BatchRepo } from './repos/batch-repo.js';
import { UploadRepo } from './repos/upload-repo.js';
import { JobRepo } from './repos/job-repo.js';
import { AppRepo } from './repos/app-repo.js';
import { RunRepo } from './repos/run-repo.js';
import { RunQueueRepo } from './repos/run-queue-repo.js';
import { RunEventRepo } from './repos/run-event-repo.js';
import { SecretRepo } from './repos/secret-repo.js';
import { DeploymentRepo } from './repos/deployment-repo.js';
import { IdempotencyRepo } from './repos/idempotency-repo.js';
import { RetentionRepo } from './repos/retention-repo.js';
import type { BackendOps } from './backend-ops.js';
import type { StoreNotifications } from './notifications.js';
import type { CacheChanges } from './cache-changes.js';

export interface StoreCapabilities {
  backend: 'sqlite' | 'postgres';
  /** Claims can skip rows another transaction holds (`FOR UPDATE SKIP LOCKED`). */
  supportsSkipLocked: boolean;
  /** Other processes can be woken through the database (`LISTEN/NOTIFY`). */
  supportsNotify: boolean;
  /**
   * Generated ids become visible in id order (one writer at a time). False on Postgres, where a
   * transaction can commit id 11 before another commits id 10.
   */
  idsVisibleInOrder: boolean;
}

/** Every query the services may run; the same object works inside and outside a transaction. */
export class Repositories {
  readonly orgs: OrgRepo;
  readonly users: UserRepo;
  readonly workspaces: WorkspaceRepo;
  readonly tokens: TokenRepo;
  readonly batches: BatchRepo;
  readonly uploads: UploadRepo;
  readonly jobs: JobRepo;
  readonly apps: AppRepo;
  readonly runs: RunRepo;
  readonly runQueue: RunQueueRepo;
  readonly runEvents: RunEventRepo;
  readonly secrets: SecretRepo;
  readonly deployments: DeploymentRepo;
  readonly idempotency: IdempotencyRepo;
  readonly retention: RetentionRepo;

  constructor(db: Kysely<Database>, ops: BackendOps) {
    this.orgs = new OrgRepo(db);
    this.users = new UserRepo(db, ops);
    this.workspaces = new WorkspaceRepo(db);
    this.tokens = new TokenRepo(db, ops);
    this.batches = new BatchRepo(db);
    this.uploads = new UploadRepo(db);
    this.jobs = new JobRepo(db, ops);
    this.apps = new AppRepo(db, ops);
    this.runs = new RunRepo(db);
    this.runQueue = new RunQueueRepo(db, ops);
    this.runEvents = new RunEventRepo(db);
    this.secrets = new SecretRepo(db);
    this.deployments = new DeploymentRepo(db);
    this.idempotency = new IdempotencyRepo(db);
    this.retention = new RetentionRepo(db);
  }
}

export interface MigrationStatus {
  applied: number;
  known: number;
  current: boolean;
}

export interface Store extends Repositories {
  readonly capabilities: StoreCapabilities;
  /** Cross-process signals, where the backend has them (Postgres); undefined on SQLite. */
  readonly notifications: StoreNotifications | undefined;
  /** When results kept in memory go stale (see `CacheChanges`). */
  readonly changes: CacheChanges;
  /** Runs `fn` in one transaction (an immediate one on SQLite), retrying busy/serialisation failures a bounded number of times. */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  migrate(): Promise<number[]>;
  migrationStatus(): Promise<MigrationStatus>;
  /** Statements sent to the database by this process so far. */
  queryCount(): number;
  ping(): Promise<void>;
  close(): Promise<void>;
}
