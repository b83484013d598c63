import type { Store } from '../store/store.js';
import type { AdminService } from './admin-service.js';

export const BOOTSTRAP_ORG = 'runbox';
export const BOOTSTRAP_ADMIN = 'admin';

/**
 * On the first start of an empty install: an org, an admin user with a personal workspace,
 * and a token. Returns the token (to print once), or undefined when the store already had an
 * org. Several processes starting at once on one Postgres: one wins, the others see the conflict.
 */
export async function bootstrapIfEmpty(
  store: Store,
  admin: AdminService,
): Promise<{ org: string; user: string; token: string } | undefined> {
  if ((await store.orgs.count()) > 0) return undefined;
  try {
    await admin.createOrg(BOOTSTRAP_ORG, 'Runbox');
  } catch (err) {
    if ((await store.orgs.count()) > 0) return undefined;
    throw err;
  }
  await admin.createUser({ id: BOOTSTRAP_ADMIN, orgId: BOOTSTRAP_ORG, role: 'admin' });
  const { token } = await admin.createToken(BOOTSTRAP_ADMIN, { name: 'bootstrap' });
  return { org: BOOTSTRAP_ORG, user: BOOTSTRAP_ADMIN, token };
}
