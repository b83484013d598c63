import { notFound, permissionDenied } from '../contract/errors.js';
import type { Role, UserKind } from '../contract/roles.js';
import type { Token, User, Workspace } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { AdminService } from './admin-service.js';
import { isAdmin, type Principal } from './principal.js';

const tokenView = (t: Omit<Token, 'token_hash'>) => ({
  id: t.id,
  user_id: t.user_id,
  name: t.name,
  created_at_ms: t.created_at,
  expires_at_ms: t.expires_at,
  revoked_at_ms: t.revoked_at,
});

const userView = (u: User, role: Role) => ({
  id: u.id,
  kind: u.kind,
  display_name: u.display_name,
  role,
  home_org: u.org_id,
  created_at_ms: u.created_at,
});

const workspaceView = (w: Workspace) => ({
  id: w.id,
  name: w.name,
  owner_user_id: w.owner_user_id,
  created_at_ms: w.created_at,
});

/**
 * What a request's caller sees of users and orgs: `/v2/me` (anyone), and the admin API
 * (`/v2/admin/…`), where an org admin manages the users, service accounts, tokens and
 * workspaces of the org the request acts in, and nothing of any other org. Tokens are managed
 * for the users the org created (a member from another org keeps its own org's say over them).
 */
export class OrgAdminService {
  constructor(
    private readonly store: Store,
    private readonly admin: AdminService,
  ) {}

  private requireAdmin(p: Principal): void {
    if (!isAdmin(p))
      throw permissionDenied('Only org admins may manage users, tokens and workspaces.');
  }

  /** A user the org created; anyone else is not found (other orgs' users are never revealed). */
  private async ownUser(p: Principal, userId: string): Promise<User> {
    const user = await this.store.users.get(userId);
    if (!user || user.org_id !== p.orgId) throw notFound(`User ${userId}`);
    return user;
  }

  /** The caller and every org it may act in, its own (personal) org first (any user). */
  async currentUser(p: Principal) {
    const user = await this.store.users.get(p.userId);
    if (!user) throw notFound(`User ${p.userId}`);
    const orgs = (await this.store.users.membershipsOf(user.id))
      .map((m) => ({ ...m, personal: m.org_id === user.org_id }))
      .sort((a, b) => Number(b.personal) - Number(a.personal));
    return {
      user_id: user.id,
      kind: user.kind,
      display_name: user.display_name,
      context: { org_id: p.orgId, role: p.role, personal: p.personal },
      orgs,
    };
  }

  async users(p: Principal) {
    this.requireAdmin(p);
    const rows = await this.admin.listUsers(p.orgId);
    return { users: rows.map((u) => userView(u, u.role)) };
  }

  async createUser(
    p: Principal,
    body: { id: string; kind?: UserKind; role?: Role; display_name?: string },
  ) {
    this.requireAdmin(p);
    const role = body.role ?? 'member';
    const u = await this.admin.createUser({
      id: body.id,
      orgId: p.orgId,
      kind: body.kind ?? 'user',
      role,
      ...(body.display_name !== undefined ? { displayName: body.display_name } : {}),
    });
    return userView(u, role);
  }

  async tokens(p: Principal, userId: string) {
    this.requireAdmin(p);
    const user = await this.ownUser(p, userId);
    return { tokens: (await this.admin.listTokens(user.id)).map(tokenView) };
  }

  async createToken(p: Principal, userId: string, body: { name?: string; expires_at_ms?: number }) {
    this.requireAdmin(p);
    const user = await this.ownUser(p, userId);
    const t = await this.admin.createToken(user.id, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.expires_at_ms !== undefined ? { expiresAt: body.expires_at_ms } : {}),
    });
    return { id: t.id, user_id: t.userId, token: t.token, expires_at_ms: t.expiresAt };
  }

  async revokeToken(p: Principal, tokenId: string): Promise<void> {
    this.requireAdmin(p);
    const token = await this.store.tokens.get(tokenId);
    if (!token) throw notFound(`Token ${tokenId}`);
    await this.ownUser(p, token.user_id).catch(() => {
      throw notFound(`Token ${tokenId}`);
    });
    await this.admin.revokeToken(tokenId);
  }

  async workspaces(p: Principal) {
    this.requireAdmin(p);
    return { workspaces: (await this.admin.listWorkspaces(p.orgId)).map(workspaceView) };
  }

  async createWorkspace(p: Principal, body: { name: string }) {
    this.requireAdmin(p);
    return workspaceView(await this.admin.createWorkspace(p.orgId, body.name));
  }
}
