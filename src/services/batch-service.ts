import type { Blobs, ByteSource } from '../blobs/blobs.js';
import { invalidInput, notFound, payloadTooLarge } from '../contract/errors.js';
import { checkDisplayName, checkFileName } from '../domain/names.js';
import { decodePageToken, encodePageToken } from '../domain/page-token.js';
import { DEFAULT_DRIVE } from '../domain/paths.js';
import type { Sources } from '../domain/sources.js';
import type { Batch, BatchFile, Workspace } from '../store/schema.js';
import type { Repositories, Store } from '../store/store.js';
import type { JobService } from './job-service.js';
import type { Limits } from './limits.js';
import type { Principal } from './principal.js';
import { canUseWorkspace, resolveWorkspace, visibleWorkspaces } from './workspace-access.js';

export interface BatchInfo {
  id: number;
  name: string;
  workspace: string;
  mount_point: string;
  repo_owner: string;
  batch_owner: string;
  created_at_ms: number;
  updated_at_ms: number;
  path_suffix: string;
}

export interface BatchFileNode {
  full_path: string;
  name: string;
  metadata: { node_type: 'file'; size: number; modified_timestamp: number };
  perms: { can_read: boolean; can_write: boolean; can_delete: boolean };
}

/** Where a batch's stored objects live; every upload gets its own key under it. */
export const batchPrefix = (batchId: number) => `batches/${batchId}`;

export class BatchService {
  constructor(
    private readonly store: Store,
    private readonly blobs: Blobs,
    private readonly jobs: JobService,
    private readonly sources: Sources,
    private readonly limits: Limits,
  ) {}

  async create(p: Principal, input: { name: string; workspace?: string | undefined }) {
    const name = checkDisplayName(input.name, 'name');
    const ws = await resolveWorkspace(this.store, p, input.workspace);
    const id = await this.store.batches.create({
      org_id: p.orgId,
      workspace_id: ws.id,
      name,
      created_by: p.userId,
      created_at: this.sources.clock.now(),
    });
    return { id };
  }

  async list(
    p: Principal,
    q: {
      workspace?: string | undefined;
      username?: string | undefined;
      limit?: number | undefined;
      offset?: number | undefined;
    },
  ): Promise<BatchInfo[]> {
    let workspaces = await visibleWorkspaces(this.store, p);
    if (q.workspace !== undefined) workspaces = workspaces.filter((w) => w.name === q.workspace);
    const byId = new Map(workspaces.map((w) => [w.id, w]));
    const rows = await this.store.batches.list({
      orgId: p.orgId,
      workspaceIds: [...byId.keys()],
      createdBy: q.username,
      limit: q.limit ?? 100,
      offset: q.offset ?? 0,
    });
    return rows.map((b) => toBatchInfo(b, byId.get(b.workspace_id)!));
  }

  async get(p: Principal, id: number): Promise<BatchInfo> {
    const { batch, ws } = await this.visible(this.store, p, id);
    return toBatchInfo(batch, ws);
  }

  /** A batch visible to `p`, or 404 (also for other orgs' and hidden workspaces' batches). */
  async visible(repos: Repositories, p: Principal, id: number) {
    checkBatchId(id);
    return seen(p, id, await repos.batches.withWorkspace(p.orgId, id));
  }

  /** `visible`, with the batch's first `limit` files by name, in one read (run creation). */
  async visibleWithFiles(repos: Repositories, p: Principal, id: number, limit: number) {
    checkBatchId(id);
    return seen(p, id, await repos.batches.withFiles(p.orgId, id, limit));
  }

  /** Hides the batch now and deletes its files in a job; returns the job id. */
  async delete(p: Principal, id: number): Promise<string> {
    const jobId = await this.store.transaction(async (tx) => {
      await this.visible(tx, p, id);
      await tx.batches.markDeleted(id, this.sources.clock.now());
      return this.jobs.enqueue(tx, p.orgId, 'delete-batch', {
        batchId: id,
        prefix: batchPrefix(id),
      });
    });
    this.jobs.wake();
    return jobId;
  }

  async listFiles(
    p: Principal,
    id: number,
    q: { page_size?: number | undefined; start_token?: string | undefined },
  ) {
    const { batch, ws } = await this.visible(this.store, p, id);
    const pageSize = q.page_size ?? 100;
    const after = q.start_token ? decodePageToken(q.start_token) : undefined;
    const rows = await this.store.batches.listFiles(id, after, pageSize + 1);
    const page = rows.slice(0, pageSize);
    const hasMore = rows.length > pageSize;
    const last = page.at(-1);
    return {
      nodes: page.map((f) => toFileNode(batch, ws, f)),
      next_page_token: hasMore && last ? encodePageToken(last.name) : '',
      has_more: hasMore,
    };
  }

  /**
   * Streams the body to a fresh object (never buffered whole), then points the file's row at
   * it. The replaced version, if any, is removed afterwards; a crash before that leaves an
   * orphan under the batch prefix, which the batch's deletion removes.
   */
  async putFile(
    p: Principal,
    id: number,
    filename: string,
    body: ByteSource,
    declaredLength?: number,
  ): Promise<void> {
    checkFileName(filename);
    await this.visible(this.store, p, id);
    const max = this.limits.maxFileBytes;
    if (declaredLength !== undefined && declaredLength > max) {
      throw payloadTooLarge(`The file is larger than the limit of ${max} bytes.`);
    }
    const key = `${batchPrefix(id)}/${this.sources.ids.uuid()}`;
    const { size } = await this.blobs.write(key, body, { maxBytes: max });
    try {
      await this.attach(p, id, filename, key, size);
    } catch (err) {
      await this.blobs.delete(key);
      throw err;
    }
  }

  /**
   * Records a stored object as the batch's file `filename`; shared with multipart commits. On
   * failure the object is left to the caller, which knows whether it is still its own.
   */
  async attach(
    p: Principal,
    id: number,
    filename: string,
    key: string,
    size: number,
    inTx?: (tx: Repositories) => Promise<void>,
  ): Promise<void> {
    const replaced = await this.store.transaction(async (tx) => {
      await this.visible(tx, p, id);
      await inTx?.(tx);
      const now = this.sources.clock.now();
      await tx.batches.touch(id, now);
      return tx.batches.putFile({
        batch_id: id,
        name: filename,
        blob_key: key,
        size,
        updated_at: now,
      });
    });
    if (replaced) await this.blobs.delete(replaced).catch(() => undefined);
  }

  async deleteFile(p: Principal, id: number, filename: string): Promise<string> {
    checkFileName(filename);
    const jobId = await this.store.transaction(async (tx) => {
      await this.visible(tx, p, id);
      const file = await tx.batches.deleteFile(id, filename);
      if (!file) throw notFound(`File ${filename} in batch ${id}`);
      await tx.batches.touch(id, this.sources.clock.now());
      return this.jobs.enqueue(tx, p.orgId, 'delete-batch-file', { key: file.blob_key });
    });
    this.jobs.wake();
    return jobId;
  }
}

function toBatchInfo(b: Batch, ws: Workspace): BatchInfo {
  return {
    id: b.id,
    name: b.name,
    workspace: ws.name,
    mount_point: DEFAULT_DRIVE,
    repo_owner: ws.owner_user_id ?? ws.org_id,
    batch_owner: b.created_by,
    created_at_ms: b.created_at,
    updated_at_ms: b.updated_at,
    path_suffix: batchPrefix(b.id),
  };
}

function toFileNode(b: Batch, ws: Workspace, f: BatchFile): BatchFileNode {
  return {
    full_path: `${b.org_id}/${ws.name}/${batchPrefix(b.id)}/${f.name}`,
    name: f.name,
    metadata: {
      node_type: 'file',
      size: f.size,
      modified_timestamp: Math.floor(f.updated_at / 1000),
    },
    perms: { can_read: true, can_write: true, can_delete: true },
  };
}

/**
 * The schema lets through integers no database column holds (1e999 is Infinity, 1e23 is past
 * 2^53); Postgres would fail on them with a 500.
 */
function checkBatchId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 1)
    throw invalidInput('batch_id must be a positive integer.');
}

/** A batch found in the org is still invisible to who may not use its workspace. */
function seen<T extends { ws: Workspace }>(p: Principal, id: number, found: T | undefined): T {
  if (!found || !canUseWorkspace(p, found.ws)) throw notFound(`Batch ${id}`);
  return found;
}
