import type { Kysely } from 'kysely';
import { Precompiled } from '../precompiled.js';
import type { Batch, BatchFile, Database, Workspace } from '../schema.js';

export interface NewBatch {
  org_id: string;
  workspace_id: string;
  name: string;
  created_by: string;
  created_at: number;
}

export interface BatchListFilter {
  orgId: string;
  /** Only these workspaces (those the caller may see). */
  workspaceIds: string[];
  createdBy?: string | undefined;
  limit: number;
  offset: number;
}

const GET_BATCH = new Precompiled<{ id: number; orgId: string }, Batch>((db, p) =>
  db
    .selectFrom('batches')
    .selectAll()
    .where('id', '=', p('id'))
    .where('org_id', '=', p('orgId'))
    .where('deleted_at', 'is', null),
);

/** A batch with the owner and name of its workspace (who may see it), in one read. */
const GET_BATCH_WITH_WORKSPACE = new Precompiled<
  { id: number; orgId: string },
  Batch & { ws_name: string; ws_owner_user_id: string | null; ws_created_at: number }
>((db, p) =>
  db
    .selectFrom('batches')
    .innerJoin('workspaces', 'workspaces.id', 'batches.workspace_id')
    .selectAll('batches')
    .select([
      'workspaces.name as ws_name',
      'workspaces.owner_user_id as ws_owner_user_id',
      'workspaces.created_at as ws_created_at',
    ])
    .where('batches.id', '=', p('id'))
    .where('batches.org_id', '=', p('orgId'))
    .where('batches.deleted_at', 'is', null),
);

/**
 * A batch with its workspace and its first files by name, in one read: what creating a run
 * over a batch needs (a missing batch is no row; a batch with no files is one row of nulls).
 * One query per limit (a process uses one): the limit is part of the SQL, since SQLite
 * prepares a statement again on every run when its limit is a bound parameter.
 */
const batchWithFiles = (limit: number) =>
  new Precompiled<
    { id: number; orgId: string },
    Batch & {
      ws_name: string;
      ws_owner_user_id: string | null;
      ws_created_at: number;
      f_name: string | null;
      f_blob_key: string | null;
      f_size: number | null;
      f_updated_at: number | null;
    }
  >((db, p) =>
    db
      .selectFrom('batches')
      .innerJoin('workspaces', 'workspaces.id', 'batches.workspace_id')
      .leftJoin('batch_files', 'batch_files.batch_id', 'batches.id')
      .selectAll('batches')
      .select([
        'workspaces.name as ws_name',
        'workspaces.owner_user_id as ws_owner_user_id',
        'workspaces.created_at as ws_created_at',
        'batch_files.name as f_name',
        'batch_files.blob_key as f_blob_key',
        'batch_files.size as f_size',
        'batch_files.updated_at as f_updated_at',
      ])
      .where('batches.id', '=', p('id'))
      .where('batches.org_id', '=', p('orgId'))
      .where('batches.deleted_at', 'is', null)
      .orderBy('batch_files.name')
      .limit(limit),
  );
const BATCH_WITH_FILES = new Map<number, ReturnType<typeof batchWithFiles>>();

export class BatchRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(b: NewBatch): Promise<number> {
    const row = await this.db
      .insertInto('batches')
      .values({ ...b, updated_at: b.created_at, deleted_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  /** A batch that has not been deleted, in the org, with its workspace. */
  async withWorkspace(
    orgId: string,
    id: number,
  ): Promise<{ batch: Batch; ws: Workspace } | undefined> {
    const row = await GET_BATCH_WITH_WORKSPACE.first(this.db, { id, orgId });
    if (!row) return undefined;
    const { ws_name, ws_owner_user_id, ws_created_at, ...batch } = row;
    return {
      batch: { ...batch, id: Number(batch.id) },
      ws: {
        id: batch.workspace_id,
        org_id: batch.org_id,
        name: ws_name,
        owner_user_id: ws_owner_user_id,
        created_at: Number(ws_created_at),
      },
    };
  }

  /** `withWorkspace` and the batch's first `limit` files by name, in one read. */
  async withFiles(
    orgId: string,
    id: number,
    limit: number,
  ): Promise<{ batch: Batch; ws: Workspace; files: BatchFile[] } | undefined> {
    let query = BATCH_WITH_FILES.get(limit);
    if (!query) BATCH_WITH_FILES.set(limit, (query = batchWithFiles(limit)));
    const rows = await query.rows(this.db, { id, orgId });
    const first = rows[0];
    if (!first) return undefined;
    const { ws_name, ws_owner_user_id, ws_created_at } = first;
    const batch: Batch = {
      id: Number(first.id),
      org_id: first.org_id,
      workspace_id: first.workspace_id,
      name: first.name,
      created_by: first.created_by,
      created_at: first.created_at,
      updated_at: first.updated_at,
      deleted_at: first.deleted_at,
    };
    const files: BatchFile[] = [];
    for (const r of rows) {
      if (r.f_name === null) continue;
      files.push({
        batch_id: batch.id,
        name: r.f_name,
        blob_key: r.f_blob_key!,
        size: Number(r.f_size),
        updated_at: Number(r.f_updated_at),
      });
    }
    return {
      batch,
      ws: {
        id: batch.workspace_id,
        org_id: batch.org_id,
        name: ws_name,
        owner_user_id: ws_owner_user_id,
        created_at: Number(ws_created_at),
      },
      files,
    };
  }

  /** A batch that has not been deleted, in the org. */
  async get(orgId: string, id: number): Promise<Batch | undefined> {
    return GET_BATCH.first(this.db, { id, orgId });
  }

  async list(f: BatchListFilter): Promise<Batch[]> {
    if (f.workspaceIds.length === 0) return [];
    let q = this.db
      .selectFrom('batches')
      .selectAll()
      .where('org_id', '=', f.orgId)
      .where('deleted_at', 'is', null)
      .where('workspace_id', 'in', f.workspaceIds);
    if (f.createdBy !== undefined) q = q.where('created_by', '=', f.createdBy);
    return q.orderBy('id', 'desc').limit(f.limit).offset(f.offset).execute();
  }

  /** Hides the batch at once; its deletion job removes files and rows. */
  async markDeleted(id: number, now: number): Promise<boolean> {
    const res = await this.db
      .updateTable('batches')
      .set({ deleted_at: now, updated_at: now })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Removes the batch row; its files and upload sessions go with it (ON DELETE CASCADE). */
  async purge(id: number): Promise<void> {
    await this.db.deleteFrom('batches').where('id', '=', id).execute();
  }

  async touch(id: number, now: number): Promise<void> {
    await this.db.updateTable('batches').set({ updated_at: now }).where('id', '=', id).execute();
  }

  async getFile(batchId: number, name: string): Promise<BatchFile | undefined> {
    return this.db
      .selectFrom('batch_files')
      .selectAll()
      .where('batch_id', '=', batchId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  /** Inserts or replaces the file row; returns the blob key it replaced, if any. */
  async putFile(file: BatchFile): Promise<string | undefined> {
    const old = await this.getFile(file.batch_id, file.name);
    await this.db
      .insertInto('batch_files')
      .values(file)
      .onConflict((oc) =>
        oc.columns(['batch_id', 'name']).doUpdateSet({
          blob_key: file.blob_key,
          size: file.size,
          updated_at: file.updated_at,
        }),
      )
      .execute();
    return old?.blob_key;
  }

  async deleteFile(batchId: number, name: string): Promise<BatchFile | undefined> {
    const old = await this.getFile(batchId, name);
    if (!old) return undefined;
    await this.db
      .deleteFrom('batch_files')
      .where('batch_id', '=', batchId)
      .where('name', '=', name)
      .execute();
    return old;
  }

  /** Keyset page of files by name: `after` is the last name of the previous page. */
  async listFiles(batchId: number, after: string | undefined, limit: number): Promise<BatchFile[]> {
    let q = this.db.selectFrom('batch_files').selectAll().where('batch_id', '=', batchId);
    if (after !== undefined) q = q.where('name', '>', after);
    return q.orderBy('name').limit(limit).execute();
  }
}
