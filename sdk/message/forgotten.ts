import { setBounded } from "./boundedMap";

export interface ForgottenHorizonsOptions {
  /** How long after its timestamp a horizon matters, ms: older messages are refused by the caller's freshness check anyway. */
  keepMs: number;
  /** Publishers remembered; beyond it the one whose horizon was raised longest ago is dropped. */
  maxPublishers: number;
  /** Unix milliseconds. */
  now: () => number;
}

/**
 * Per publisher, the newest position of its chains a tracker forgot: for a relay, which judges
 * live messages only (dated within `keepMs`), so that a forgotten chain's replays stay refused.
 * Per publisher, so that one publisher's chains (dated ahead, or evicting others') only ever
 * refuse that publisher's own messages.
 */
export interface ForgottenHorizons {
  /** Records that a chain of `publisher` was forgotten with its newest position at `timestamp`. */
  raise(publisher: string, timestamp: number): void;
  /** The newest forgotten position of `publisher`'s chains still within `keepMs`, if any. */
  horizonOf(publisher: string): number | undefined;
}

/**
 * Horizons bounded by age (`keepMs`, dropped from the oldest raised on) and by count
 * (`maxPublishers`): at the cap, the entry raised longest ago is dropped, so that publisher's
 * forgotten chains could be replayed within the window. A replay, never a refusal of another:
 * no entry is ever shared between publishers.
 */
export function createForgottenHorizons({ keepMs, maxPublishers, now }: ForgottenHorizonsOptions): ForgottenHorizons {
  // Insertion order is the order raised (setBounded re-inserts): the oldest come first.
  const horizons = new Map<string, number>();

  /** Drops leading entries already behind the window (a later one behind it waits its turn: bounded by the cap). */
  function prune(): void {
    const oldest = now() - keepMs;
    for (const [publisher, timestamp] of horizons) {
      if (timestamp >= oldest) return;
      horizons.delete(publisher);
    }
  }

  return {
    raise(publisher, timestamp) {
      prune();
      setBounded(horizons, publisher, Math.max(timestamp, horizons.get(publisher) ?? timestamp), maxPublishers);
    },
    horizonOf(publisher) {
      const timestamp = horizons.get(publisher);
      return timestamp !== undefined && timestamp >= now() - keepMs ? timestamp : undefined;
    },
  };
}
