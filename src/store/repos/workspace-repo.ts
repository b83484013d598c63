import type { Kysely } from 'kysely';
import type { Database, Workspace } from '../schema.js';

export class WorkspaceRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(ws: Workspace): Promise<void> {
    await this.db.insertInto('workspaces').values(ws).execute();
  }

  async get(id: string): Promise<Workspace | undefined> {
    return this.db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async byName(orgId: string, name: string): Promise<Workspace | undefined> {
    return this.db
      .selectFrom('workspaces')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async list(orgId: string): Promise<Workspace[]> {
    return this.db
      .selectFrom('workspaces')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('name')
      .execute();
  }
}
