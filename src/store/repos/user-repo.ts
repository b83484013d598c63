import type { Kysely } from 'kysely';
import type { BackendOps } from '../backend-ops.js';
import type { Database, Membership, User } from '../schema.js';

export class UserRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly ops: BackendOps,
  ) {}

  async create(user: User): Promise<void> {
    await this.db.insertInto('users').values(user).execute();
  }

  async get(id: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listInOrg(orgId: string): Promise<(User & { role: Membership['role'] })[]> {
    return this.db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .selectAll('users')
      .select('memberships.role')
      .where('memberships.org_id', '=', orgId)
      .orderBy('users.id')
      .execute();
  }

  /** The orgs `userId` belongs to, with their names and the user's role in each. */
  async membershipsOf(
    userId: string,
  ): Promise<{ org_id: string; name: string; role: Membership['role'] }[]> {
    return this.db
      .selectFrom('memberships')
      .innerJoin('orgs', 'orgs.id', 'memberships.org_id')
      .select(['memberships.org_id', 'orgs.name', 'memberships.role'])
      .where('memberships.user_id', '=', userId)
      .orderBy('memberships.org_id')
      .execute();
  }

  async addMembership(m: Membership): Promise<void> {
    await this.db
      .insertInto('memberships')
      .values(m)
      .onConflict((oc) => oc.columns(['org_id', 'user_id']).doUpdateSet({ role: m.role }))
      .execute();
    // A role may have changed: kept authentication results say the old one.
    await this.ops.changed(this.db, 'auth');
  }
}
