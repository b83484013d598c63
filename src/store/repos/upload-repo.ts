import type { Kysely } from 'kysely';
import type { Database, UploadPart, UploadSession } from '../schema.js';

export class UploadRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(s: UploadSession): Promise<void> {
    await this.db.insertInto('upload_sessions').values(s).execute();
  }

  async get(orgId: string, id: string): Promise<UploadSession | undefined> {
    return this.db
      .selectFrom('upload_sessions')
      .selectAll()
      .where('id', '=', id)
      .where('org_id', '=', orgId)
      .executeTakeFirst();
  }

  /** Moves an open session to `state`; false when it was no longer open. */
  async close(id: string, state: 'committed' | 'aborted', now: number): Promise<boolean> {
    const res = await this.db
      .updateTable('upload_sessions')
      .set({ state, updated_at: now })
      .where('id', '=', id)
      .where('state', '=', 'open')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async putPart(p: UploadPart): Promise<void> {
    await this.db
      .insertInto('upload_parts')
      .values(p)
      .onConflict((oc) =>
        oc
          .columns(['session_id', 'part_num'])
          .doUpdateSet({ part_id: p.part_id, size: p.size, created_at: p.created_at }),
      )
      .execute();
  }

  async parts(sessionId: string): Promise<UploadPart[]> {
    return this.db
      .selectFrom('upload_parts')
      .selectAll()
      .where('session_id', '=', sessionId)
      .orderBy('part_num')
      .execute();
  }

  async part(sessionId: string, partNum: number): Promise<UploadPart | undefined> {
    return this.db
      .selectFrom('upload_parts')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('part_num', '=', partNum)
      .executeTakeFirst();
  }

  async openForBatch(batchId: number): Promise<UploadSession[]> {
    return this.db
      .selectFrom('upload_sessions')
      .selectAll()
      .where('batch_id', '=', batchId)
      .where('state', '=', 'open')
      .execute();
  }
}
