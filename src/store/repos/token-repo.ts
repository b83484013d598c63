import type { Kysely } from 'kysely';
import type { Database, Token, User } from '../schema.js';

export class TokenRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(token: Token): Promise<void> {
    await this.db.insertInto('tokens').values(token).execute();
  }

  /** The token and its user in one indexed read: this runs on every authenticated request. */
  async findByHash(hash: string): Promise<{ token: Token; user: User } | undefined> {
    const row = await this.db
      .selectFrom('tokens')
      .innerJoin('users', 'users.id', 'tokens.user_id')
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
      ])
      .where('tokens.token_hash', '=', hash)
      .executeTakeFirst();
    if (!row) return undefined;
    const { user_org_id, user_kind, user_display_name, user_created_at, ...token } = row;
    return {
      token,
      user: {
        id: token.user_id,
        org_id: user_org_id,
        kind: user_kind,
        display_name: user_display_name,
        created_at: user_created_at,
      },
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
    return Number(res.numUpdatedRows) > 0;
  }
}
