import type { Transport } from '../transport.js';
import type {
  CreatedToken,
  CreateOrgUserRequest,
  OrgUser,
  TokenInfo,
  WorkspaceInfo,
} from '../types.js';

/** Org administration (org admins only): users, service accounts, tokens, workspaces. */
export class Admin {
  constructor(private readonly t: Transport) {}

  /**
   * Users and service accounts of the context's org, with their roles.
   * @example const { users } = await runbox.admin.users();
   */
  users(): Promise<{ users: OrgUser[] }> {
    return this.t.callJson('listOrgUsers');
  }

  /**
   * Creates a person (with a personal workspace) or a service account in the org.
   * @example await runbox.admin.createUser({ id: 'ci-bot', kind: 'service' });
   */
  createUser(body: CreateOrgUserRequest): Promise<OrgUser> {
    return this.t.callJson('createOrgUser', {}, { json: body });
  }

  /**
   * A user's tokens (never their values).
   * @example const { tokens } = await runbox.admin.tokens('ci-bot');
   */
  tokens(userId: string): Promise<{ tokens: TokenInfo[] }> {
    return this.t.callJson('listUserTokens', { user_id: userId });
  }

  /**
   * A new token of the user: `token` is in this answer only.
   * @example const { token } = await runbox.admin.createToken('ci-bot', { name: 'nightly' });
   */
  createToken(
    userId: string,
    body: { name?: string; expires_at_ms?: number } = {},
  ): Promise<CreatedToken> {
    return this.t.callJson('createUserToken', { user_id: userId }, { json: body });
  }

  /**
   * Revokes a token at once.
   * @example await runbox.admin.revokeToken(tokenId);
   */
  async revokeToken(tokenId: string): Promise<void> {
    await this.t.call('revokeToken', { token_id: tokenId });
  }

  /**
   * The org's workspaces: shared ones and its people's personal ones.
   * @example const { workspaces } = await runbox.admin.workspaces();
   */
  workspaces(): Promise<{ workspaces: WorkspaceInfo[] }> {
    return this.t.callJson('listWorkspaces');
  }

  /**
   * A shared workspace.
   * @example await runbox.admin.createWorkspace('Finance');
   */
  createWorkspace(name: string): Promise<WorkspaceInfo> {
    return this.t.callJson('createWorkspace', {}, { json: { name } });
  }
}
