import type { KeywayClient, RegistryPoll } from "keyway";
import { useEffect, useRef, useState } from "preact/hooks";

/** A change a poll reported: a holder's permissions (`holder` lowercase, `address(0)` the public), or the whole stream (`holder` null). */
export type RegistryChangeOf = RegistryPoll["changes"][number];

export interface RegistryInterest {
  /** Whether a change concerns what the view shows; a metadata update is passed as the stream's (`holder` null). */
  affects(change: RegistryChangeOf): boolean;
  /** Unix seconds at which something shown expires (asked at each poll): the view reads again once the chain's clock reaches one. */
  expiries?: () => readonly number[];
}

/**
 * A number that grows whenever the registry's events (followed by the SDK's one watcher,
 * `client.watchPermissionChanges`) change what a view shows, or the chain's clock passes an
 * expiry it shows, or the chain reorganised: a view keyed on it reads again by itself, within a poll.
 */
export function useRegistryVersion(client: KeywayClient, interest: RegistryInterest): number {
  const [version, setVersion] = useState(0);
  // The latest interest, read at each poll: a new filter does not restart the watcher.
  const current = useRef(interest);
  current.current = interest;
  useEffect(
    () =>
      client.watchPermissionChanges(({ chainTime, changes, metadataChanges, reorg }) => {
        const { affects, expiries = () => [] } = current.current;
        // A view shows only what is held at the block it read: an expiry it shows that the chain's clock has reached is stale.
        const expired = expiries().some((at) => at <= chainTime.timestamp);
        const metadata = metadataChanges.map(({ streamKey }) => ({ streamKey, holder: null }));
        if (reorg || expired || [...changes, ...metadata].some(affects)) setVersion((v) => v + 1);
      }),
    [client],
  );
  return version;
}
