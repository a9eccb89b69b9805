/** A token bucket: `tokens` left, refilled at a rate up to a capacity (see `takeToken`). */
export interface TokenBucket {
  tokens: number;
  refilledAt: number;
}

/** A full bucket of `capacity` tokens. */
export function createTokenBucket(capacity: number): TokenBucket {
  return { tokens: capacity, refilledAt: Date.now() };
}

/**
 * Takes one token from the bucket, refilled at `rate` a second up to `capacity`; false (and
 * nothing taken) when it is empty. The per-connection rate limits (publish, subscribe) use it.
 */
export function takeToken(bucket: TokenBucket, rate: number, capacity: number): boolean {
  const now = Date.now();
  bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.refilledAt) * rate) / 1000);
  bucket.refilledAt = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}
