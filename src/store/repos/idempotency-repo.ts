import type { Kysely } from 'kysely';
import type { Database, IdempotencyKeysTable } from '../schema.js';

/** Idempotency keys of run creation: which run a key made, and for which request. */
export class IdempotencyRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async find(
    orgId: string,
    userId: string,
    key: string,
    since: number,
  ): Promise<IdempotencyKeysTable | undefined> {
    return this.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('idem_key', '=', key)
      .where('created_at', '>=', since)
      .executeTakeFirst();
  }

  /** Records a key; an expired record of the same key is replaced. */
  async record(row: IdempotencyKeysTable, expiredBefore: number): Promise<void> {
    await this.db
      .deleteFrom('idempotency_keys')
      .where('org_id', '=', row.org_id)
      .where('user_id', '=', row.user_id)
      .where('idem_key', '=', row.idem_key)
      .where('created_at', '<', expiredBefore)
      .execute();
    await this.db.insertInto('idempotency_keys').values(row).execute();
  }

  async purge(before: number): Promise<number> {
    const res = await this.db
      .deleteFrom('idempotency_keys')
      .where('created_at', '<', before)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
