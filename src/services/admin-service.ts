import { invalidInput, notFound } from '../contract/errors.js';
import type { Role, UserKind } from '../contract/roles.js';
import { checkDisplayName, checkIdentifier, checkWorkspaceName } from '../domain/names.js';
import type { Sources } from '../domain/sources.js';
import type { Org, Token, User, Workspace } from '../store/schema.js';
import type { Repositories, Store } from '../store/store.js';
import { hashToken, TOKEN_BYTES, TOKEN_PREFIX } from './tokens.js';

export interface CreatedToken {
  id: string;
  /** Shown once; only its hash is stored. */
  token: string;
  userId: string;
  expiresAt: number | null;
}

/**
 * Orgs, users, service accounts, workspaces, memberships and tokens. Used by `runbox admin`,
 * by the first-start bootstrap, and by the admin API.
 */
export class AdminService {
  constructor(
    private readonly store: Store,
    private readonly sources: Sources,
  ) {}

  private now() {
    return this.sources.clock.now();
  }

  async createOrg(id: string, name?: string): Promise<Org> {
    const org: Org = {
      id: checkIdentifier(id, 'org id'),
      name: checkDisplayName(name ?? id),
      created_at: this.now(),
    };
    await this.store.orgs.create(org);
    return org;
  }

  /**
   * A person (with a personal workspace named after the user id) or a service account (none),
   * member of `orgId` with `role`.
   */
  async createUser(input: {
    id: string;
    orgId: string;
    kind?: UserKind;
    role?: Role;
    displayName?: string;
  }): Promise<User> {
    const kind = input.kind ?? 'user';
    const user: User = {
      id: checkIdentifier(input.id, 'user id'),
      org_id: input.orgId,
      kind,
      display_name: input.displayName ?? null,
      created_at: this.now(),
    };
    return this.store.transaction(async (tx) => {
      if (!(await tx.orgs.get(input.orgId))) throw notFound(`Org ${input.orgId}`);
      await tx.users.create(user);
      await this.addMemberIn(tx, input.orgId, user, input.role ?? 'member');
      return user;
    });
  }

  async addMember(orgId: string, userId: string, role: Role): Promise<void> {
    await this.store.transaction(async (tx) => {
      if (!(await tx.orgs.get(orgId))) throw notFound(`Org ${orgId}`);
      const user = await tx.users.get(userId);
      if (!user) throw notFound(`User ${userId}`);
      await this.addMemberIn(tx, orgId, user, role);
    });
  }

  private async addMemberIn(tx: Repositories, orgId: string, user: User, role: Role) {
    const now = this.now();
    await tx.users.addMembership({ org_id: orgId, user_id: user.id, role, created_at: now });
    if (user.kind === 'user' && !(await tx.workspaces.byName(orgId, user.id))) {
      await tx.workspaces.create({
        id: this.sources.ids.uuid(),
        org_id: orgId,
        name: user.id,
        owner_user_id: user.id,
        created_at: now,
      });
    }
  }

  /** A shared workspace of the org. */
  async createWorkspace(orgId: string, name: string): Promise<Workspace> {
    const ws: Workspace = {
      id: this.sources.ids.uuid(),
      org_id: orgId,
      name: checkWorkspaceName(name, 'workspace name'),
      owner_user_id: null,
      created_at: this.now(),
    };
    await this.store.transaction(async (tx) => {
      if (!(await tx.orgs.get(orgId))) throw notFound(`Org ${orgId}`);
      await tx.workspaces.create(ws);
    });
    return ws;
  }

  async createToken(
    userId: string,
    opts: { name?: string; expiresAt?: number | null } = {},
  ): Promise<CreatedToken> {
    if (!(await this.store.users.get(userId))) throw notFound(`User ${userId}`);
    const expiresAt = opts.expiresAt ?? null;
    if (expiresAt !== null && expiresAt <= this.now()) {
      throw invalidInput('expires_at must be in the future.');
    }
    const token = TOKEN_PREFIX + this.sources.ids.randomToken(TOKEN_BYTES);
    const row: Token = {
      id: this.sources.ids.uuid(),
      user_id: userId,
      name: checkDisplayName(opts.name ?? 'default', 'token name'),
      token_hash: hashToken(token),
      created_at: this.now(),
      expires_at: expiresAt,
      revoked_at: null,
    };
    await this.store.tokens.create(row);
    return { id: row.id, token, userId, expiresAt };
  }

  async revokeToken(id: string): Promise<void> {
    if (!(await this.store.tokens.revoke(id, this.now()))) {
      throw notFound(`Live token ${id}`);
    }
  }

  listOrgs() {
    return this.store.orgs.list();
  }
  listUsers(orgId: string) {
    return this.store.users.listInOrg(orgId);
  }
  listWorkspaces(orgId: string) {
    return this.store.workspaces.list(orgId);
  }
  async listTokens(userId: string) {
    const rows = await this.store.tokens.listForUser(userId);
    return rows.map(({ token_hash: _hash, ...t }) => t);
  }
}
