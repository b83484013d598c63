import type { Kysely } from 'kysely';
import type { Database, Org } from '../schema.js';

export class OrgRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(org: Org): Promise<void> {
    await this.db.insertInto('orgs').values(org).execute();
  }

  async get(id: string): Promise<Org | undefined> {
    return this.db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async list(): Promise<Org[]> {
    return this.db.selectFrom('orgs').selectAll().orderBy('id').execute();
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('orgs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
