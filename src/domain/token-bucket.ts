/**
 * Per-key token buckets: `rate` tokens a second refill a bucket of `burst`. Pure: time comes
 * from the caller. Buckets idle long enough to be full again are forgotten.
 */
export interface BucketDecision {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until one token is available (when refused). */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly rate: number,
    readonly burst: number,
  ) {}

  take(key: string, now: number): BucketDecision {
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    const refilled = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
    if (refilled < 1) {
      this.buckets.set(key, { tokens: refilled, at: now });
      return {
        allowed: false,
        remaining: 0,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - refilled) / this.rate)),
      };
    }
    this.buckets.set(key, { tokens: refilled - 1, at: now });
    if (this.buckets.size > 10_000) this.forgetFull(now);
    return { allowed: true, remaining: Math.floor(refilled - 1), retryAfterSeconds: 0 };
  }

  private forgetFull(now: number): void {
    const fullAfterMs = (this.burst / this.rate) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at > fullAfterMs) this.buckets.delete(k);
  }
}
