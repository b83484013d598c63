import type { Kysely, Updateable } from 'kysely';
import type { Database, Deployment, DeploymentsTable } from '../schema.js';

export class DeploymentRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(d: Deployment): Promise<void> {
    await this.db.insertInto('deployments').values(d).execute();
  }

  async get(orgId: string, id: string): Promise<Deployment | undefined> {
    return this.db
      .selectFrom('deployments')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async byName(orgId: string, name: string): Promise<Deployment | undefined> {
    return this.db
      .selectFrom('deployments')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  /** By id alone: for workers, which act for whichever org the run belongs to. */
  async byId(id: string): Promise<Deployment | undefined> {
    return this.db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async list(
    orgId: string,
    q: { appId?: string | undefined; limit: number; offset: number },
  ): Promise<Deployment[]> {
    let query = this.db.selectFrom('deployments').selectAll().where('org_id', '=', orgId);
    if (q.appId !== undefined) query = query.where('app_id', '=', q.appId);
    return query.orderBy('id', 'desc').limit(q.limit).offset(q.offset).execute();
  }

  async update(
    orgId: string,
    id: string,
    set: Updateable<Omit<DeploymentsTable, 'id' | 'org_id'>>,
  ): Promise<boolean> {
    const res = await this.db
      .updateTable('deployments')
      .set(set)
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('deployments')
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async countForApp(appId: string): Promise<number> {
    const row = await this.db
      .selectFrom('deployments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('app_id', '=', appId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * Of these deployments, the limited ones with how many more runs each may start now. Locks
   * their rows on Postgres, so concurrent claims of one deployment count one after another.
   */
  async spareCapacity(ids: string[], forUpdate: boolean): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    let q = this.db
      .selectFrom('deployments')
      .select(['id', 'concurrency_limit'])
      .where('id', 'in', ids)
      .where('concurrency_limit', 'is not', null);
    if (forUpdate) q = q.forUpdate();
    const limited = await q.execute();
    if (limited.length === 0) return new Map();
    const active = await this.db
      .selectFrom('run_leases')
      .select(['deployment_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where(
        'deployment_id',
        'in',
        limited.map((d) => d.id),
      )
      .groupBy('deployment_id')
      .execute();
    const running = new Map(active.map((a) => [a.deployment_id, Number(a.n)]));
    return new Map(
      limited.map((d) => [d.id, Math.max(0, d.concurrency_limit! - (running.get(d.id) ?? 0))]),
    );
  }
}
