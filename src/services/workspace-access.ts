import { invalidInput, notFound } from '../contract/errors.js';
import type { Workspace } from '../store/schema.js';
import type { Repositories } from '../store/store.js';
import type { Principal } from './principal.js';

/**
 * Which workspaces a principal may use: shared ones of the context org, its own personal one,
 * and (for admins) every personal one. Anything else answers 404, so existence does not leak.
 */
export function canUseWorkspace(p: Principal, ws: Workspace): boolean {
  if (ws.org_id !== p.orgId) return false;
  return ws.owner_user_id === null || ws.owner_user_id === p.userId || p.role === 'admin';
}

export async function resolveWorkspace(
  repos: Repositories,
  p: Principal,
  name: string | undefined,
): Promise<Workspace> {
  if (name === undefined) {
    if (p.userKind === 'service') {
      throw invalidInput(
        'workspace is required for service accounts (they have no personal workspace).',
      );
    }
    name = p.userId;
  }
  const ws = await repos.workspaces.byName(p.orgId, name);
  if (!ws || !canUseWorkspace(p, ws)) throw notFound(`Workspace ${name}`);
  return ws;
}

export async function visibleWorkspaces(repos: Repositories, p: Principal): Promise<Workspace[]> {
  const all = await repos.workspaces.list(p.orgId);
  return all.filter((ws) => canUseWorkspace(p, ws));
}
