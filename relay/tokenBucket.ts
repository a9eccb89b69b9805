/** A token bucket: `tokens` left, refilled at a rate up to a capacity (see `takeToken`). */
export interface TokenBucket {
  tokens: number;
  refilledAt: number;
}

/** A full bucket of `capacity` tokens. */
export function createTokenBucket(capacity: number): TokenBucket {
  return { tokens: capacity, refilledAt: Date.now() };
}

/** Refills the bucket at `rate` tokens a second, up to `capacity`, for the time since it was last refilled; returns the tokens in it. */
export function refill(bucket: TokenBucket, rate: number, capacity: number, now = Date.now()): number {
  bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.refilledAt) * rate) / 1000);
  bucket.refilledAt = now;
  return bucket.tokens;
}

/**
 * Takes one token from the bucket, refilled at `rate` a second up to `capacity`; false (and
 * nothing taken) when it is empty. The per-connection rate limits (publish, subscribe) and the
 * per-address allowance of failed sign-ins use it.
 */
export function takeToken(bucket: TokenBucket, rate: number, capacity: number): boolean {
  if (refill(bucket, rate, capacity) < 1) return false;
  bucket.tokens -= 1;
  return true;
}
