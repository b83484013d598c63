import type { Kysely } from 'kysely';
import type { Database, RetentionPolicy } from '../schema.js';

export class RetentionRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Creates the policy, or replaces the one with the same scope and target. */
  async upsert(p: RetentionPolicy): Promise<RetentionPolicy> {
    await this.db
      .insertInto('retention_policies')
      .values(p)
      .onConflict((oc) =>
        oc.columns(['org_id', 'scope', 'target_id']).doUpdateSet({
          days: p.days,
          delete_input: p.delete_input,
          delete_output: p.delete_output,
          delete_logs: p.delete_logs,
          delete_db_data: p.delete_db_data,
          updated_at: p.updated_at,
        }),
      )
      .execute();
    return (await this.db
      .selectFrom('retention_policies')
      .selectAll()
      .where('org_id', '=', p.org_id)
      .where('scope', '=', p.scope)
      .where('target_id', '=', p.target_id)
      .executeTakeFirst())!;
  }

  async list(orgId: string): Promise<RetentionPolicy[]> {
    return this.db
      .selectFrom('retention_policies')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('scope')
      .orderBy('target_id')
      .execute();
  }

  /** Every org's policies (the retention sweep). */
  async all(): Promise<RetentionPolicy[]> {
    return this.db.selectFrom('retention_policies').selectAll().orderBy('org_id').execute();
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('retention_policies')
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
