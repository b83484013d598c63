import type { Kysely, Updateable } from 'kysely';
import type { Database, Secret, SecretsTable } from '../schema.js';

/** Org secrets by alias. Values are stored sealed; this repo never sees them in the clear. */
export class SecretRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(s: Secret): Promise<void> {
    await this.db.insertInto('secrets').values(s).execute();
  }

  async get(orgId: string, alias: string): Promise<Secret | undefined> {
    return this.db
      .selectFrom('secrets')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('alias', '=', alias)
      .executeTakeFirst();
  }

  /** The secrets of an org with these aliases (one query for a run's whole set). */
  async byAliases(orgId: string, aliases: string[]): Promise<Secret[]> {
    if (aliases.length === 0) return [];
    return this.db
      .selectFrom('secrets')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('alias', 'in', aliases)
      .execute();
  }

  async list(orgId: string): Promise<Secret[]> {
    return this.db
      .selectFrom('secrets')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('alias')
      .execute();
  }

  async update(
    orgId: string,
    alias: string,
    set: Updateable<Omit<SecretsTable, 'org_id' | 'alias'>>,
  ): Promise<boolean> {
    const res = await this.db
      .updateTable('secrets')
      .set(set)
      .where('org_id', '=', orgId)
      .where('alias', '=', alias)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async delete(orgId: string, alias: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('secrets')
      .where('org_id', '=', orgId)
      .where('alias', '=', alias)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
