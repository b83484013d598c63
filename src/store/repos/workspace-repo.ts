import type { Kysely } from 'kysely';
import { Precompiled } from '../precompiled.js';
import type { Database, Workspace } from '../schema.js';

const GET_WORKSPACE = new Precompiled<{ id: string }, Workspace>((db, p) =>
  db.selectFrom('workspaces').selectAll().where('id', '=', p('id')),
);

export class WorkspaceRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(ws: Workspace): Promise<void> {
    await this.db.insertInto('workspaces').values(ws).execute();
  }

  async get(id: string): Promise<Workspace | undefined> {
    return GET_WORKSPACE.first(this.db, { id });
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
