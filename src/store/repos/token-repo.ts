import { sql, type Kysely } from 'kysely';
import type { BackendOps } from '../backend-ops.js';
import { Precompiled } from '../precompiled.js';
import type { Database, Membership, Token, User } from '../schema.js';

/** The per-request authentication read (see `authenticate`), compiled once. */
const AUTHENTICATE = new Precompiled<
  { hash: string; ctx: string | null },
  Omit<Token, never> & {
    user_org_id: string;
    user_kind: User['kind'];
    user_display_name: string | null;
    user_created_at: number;
    role: Membership['role'] | null;
  }
>((db, p) =>
  db
    .selectFrom('tokens')
    .innerJoin('users', 'users.id', 'tokens.user_id')
    .leftJoin('memberships', (join) =>
      join.onRef('memberships.user_id', '=', 'users.id').on((eb) =>
        eb(
          'memberships.org_id',
          '=',
          eb
            .case()
            .when(
              sql<boolean>`CAST(${p('ctx')} AS TEXT) IS NULL OR CAST(${p('ctx')} AS TEXT) = users.id`,
            )
            .then(eb.ref('users.org_id'))
            .else(sql<string>`CAST(${p('ctx')} AS TEXT)`)
            .end(),
        ),
      ),
    )
    .select([
      'tokens.id',
      'tokens.user_id',
      'tokens.name',
      'tokens.token_hash',
      'tokens.created_at',
      'tokens.expires_at',
      'tokens.revoked_at',
      'users.org_id as user_org_id',
      'users.kind as user_kind',
      'users.display_name as user_display_name',
      'users.created_at as user_created_at',
      'memberships.role',
    ])
    .where('tokens.token_hash', '=', p('hash')),
);

export class TokenRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly ops: BackendOps,
  ) {}

  async create(token: Token): Promise<void> {
    await this.db.insertInto('tokens').values(token).execute();
  }

  /**
   * Everything authentication needs, in one indexed read (it runs on every request): the token,
   * its user, and the user's role in the context org, which is `context` when given and not the
   * user's own id, else the user's home org. `role` is null when the user is not a member.
   */
  async authenticate(
    hash: string,
    context: string | undefined,
  ): Promise<
    { token: Token; user: User; orgId: string; role: Membership['role'] | null } | undefined
  > {
    const ctx = context ?? null;
    const row = await AUTHENTICATE.first(this.db, { hash, ctx });
    if (!row) return undefined;
    const { user_org_id, user_kind, user_display_name, user_created_at, role, ...token } = row;
    const personal = ctx === null || ctx === token.user_id;
    return {
      token,
      user: {
        id: token.user_id,
        org_id: user_org_id,
        kind: user_kind,
        display_name: user_display_name,
        created_at: user_created_at,
      },
      orgId: personal ? user_org_id : ctx,
      role: role ?? null,
    };
  }

  async get(id: string): Promise<Token | undefined> {
    return this.db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listForUser(userId: string): Promise<Token[]> {
    return this.db
      .selectFrom('tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
  }

  /** Returns false when there was no such live token. */
  async revoke(id: string, now: number): Promise<boolean> {
    const res = await this.db
      .updateTable('tokens')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const revoked = Number(res.numUpdatedRows) > 0;
    if (revoked) await this.ops.changed(this.db, 'auth');
    return revoked;
  }
}
