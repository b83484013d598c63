import { RunboxError } from '../contract/errors.js';
import type { Clock } from '../domain/sources.js';
import type { Store } from '../store/store.js';
import type { Principal } from './principal.js';
import { hashToken } from './tokens.js';

export class AuthService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /**
   * Resolves `Authorization: Bearer …` and `IB-Context` to a principal. No token (no header,
   * or `Bearer` with nothing after it) → 401 token-not-provided; a header that is not
   * `Bearer <token>`, an unknown, revoked or expired token, or a context the user is not a
   * member of → 401 token-not-valid (the same answer for each, so nothing leaks).
   */
  async authenticate(
    authorization: string | undefined,
    context: string | undefined,
  ): Promise<Principal> {
    const header = authorization?.trim() ?? '';
    if (header === '' || /^Bearer$/i.test(header)) {
      throw new RunboxError(
        'token-not-provided',
        'No API token: send "Authorization: Bearer <token>".',
      );
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      throw new RunboxError(
        'token-not-valid',
        'The Authorization header must be "Bearer <token>".',
      );
    }
    const ctx = context?.trim() || undefined;
    const found = await this.store.tokens.authenticate(hashToken(match[1]), ctx);
    const now = this.clock.now();
    if (
      !found ||
      found.token.revoked_at !== null ||
      (found.token.expires_at !== null && found.token.expires_at <= now)
    ) {
      throw new RunboxError('token-not-valid', 'The API token is not valid.');
    }
    const { user, token, orgId, role } = found;
    const personal = ctx === undefined || ctx === user.id;
    if (role === null) {
      throw new RunboxError(
        'token-not-valid',
        `IB-Context "${ctx}" is not a context this user may act in.`,
      );
    }
    return {
      userId: user.id,
      userKind: user.kind,
      tokenId: token.id,
      orgId,
      role,
      personal,
    };
  }
}
