import type { Role, UserKind } from '../contract/roles.js';

/** Who is asking, and in which context (SPEC §1): resolved once per request by the auth service. */
export interface Principal {
  userId: string;
  userKind: UserKind;
  tokenId: string;
  /** The org the request acts in. */
  orgId: string;
  role: Role;
  /** True when the context is the user's personal one (no `IB-Context`, or the user id). */
  personal: boolean;
}

export const isAdmin = (p: Principal) => p.role === 'admin';
