import { RunboxError } from '../contract/errors.js';
import type { Clock } from '../domain/sources.js';
import type { Store } from '../store/store.js';
import type { Principal } from './principal.js';
import { hashToken } from './tokens.js';

/** Kept authentication results: at most this many, each for at most this long. */
const MAX_KEPT = 10_000;
const KEEP_MS = 60_000;

interface Kept {
  principal: Principal;
  /** `changes.epoch('auth')` when it was read: any change to tokens or memberships since voids it. */
  epoch: string;
  at: number;
  expiresAt: number | null;
}

/**
 * Resolves tokens to principals. A result is kept in memory until tokens or memberships change
 * anywhere (`store.changes`), so most requests cost no database read; a revoked token is
 * refused by every process once the revocation has committed.
 */
export class AuthService {
  private readonly kept = new Map<string, Kept>();

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
    const hash = hashToken(match[1]);
    const key = `${hash} ${ctx ?? ''}`;
    const now = this.clock.now();
    const epoch = this.store.changes.epoch('auth');
    const kept = this.kept.get(key);
    if (kept && kept.epoch === epoch && now - kept.at < KEEP_MS && live(kept.expiresAt, now)) {
      return kept.principal;
    }
    const found = await this.store.tokens.authenticate(hash, ctx);
    if (!found || found.token.revoked_at !== null || !live(found.token.expires_at, now)) {
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
    const principal: Principal = {
      userId: user.id,
      userKind: user.kind,
      tokenId: token.id,
      orgId,
      role,
      personal,
    };
    if (epoch !== undefined) {
      if (this.kept.size >= MAX_KEPT) this.kept.clear();
      this.kept.set(key, { principal, epoch, at: now, expiresAt: token.expires_at });
    }
    return principal;
  }
}

const live = (expiresAt: number | null, now: number) => expiresAt === null || expiresAt > now;
