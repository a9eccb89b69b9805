import { type Address, zeroAddress } from "viem";
import { getPermissions } from "../actions/getPermissions";
import type { RegistryPoll } from "../cache";
import type { RegistryContext } from "../context";
import { FOREVER, isPublicAssignment, type PermissionAssignment, StreamPermission } from "../permissions";
import { streamKeyOf } from "../streamId";

/** What a holder holds that lets it read an encrypted stream: Subscribe, or Grant (its grantees read). Unix seconds, 0 = not. */
interface ReadingRights {
  subscribe: number;
  grant: number;
}

function rightsOf(assignment: PermissionAssignment): ReadingRights {
  const until = (permission: StreamPermission) => {
    if (!assignment.permissions.includes(permission)) return 0;
    const date = assignment.expiresAt?.[permission];
    return date === undefined ? FOREVER : Math.floor(date.getTime() / 1000);
  };
  return { subscribe: until(StreamPermission.SUBSCRIBE), grant: until(StreamPermission.GRANT) };
}

/** Held at chain second `now`: either right, past `now`. */
const reads = (rights: ReadingRights | undefined, now: number) => rights !== undefined && (rights.subscribe > now || rights.grant > now);

/**
 * Tells a publisher's client when a stream it encrypts must get a new key: when any holder
 * loses Subscribe (revoked, expired) or Grant (its access grants stop admitting), or the stream
 * is deleted. It keeps, per stream, every holder's Subscribe and Grant expiries (read once with
 * `getPermissions`), and on each poll of the registry's events re-reads the holders the poll
 * names and compares; the chain's clock passing an expiry counts too. A gain changes nothing.
 */
export interface RekeyWatch {
  /** Starts following `streamId` (reads its holders once). */
  follow(streamId: string): Promise<void>;
  unfollow(streamId: string): void;
  stop(): void;
}

export function createRekeyWatch(context: RegistryContext, onLoss: (streamId: string) => void): RekeyWatch {
  const streams = new Map<string, { key: string; holders: Map<Address, ReadingRights> }>();
  let unwatch: (() => void) | undefined;
  let lastChainTime = context.cache.chainNowSeconds();

  async function readHolders(streamId: string): Promise<Map<Address, ReadingRights>> {
    const assignments = await getPermissions(context, { streamId });
    return new Map(assignments.map((a) => [isPublicAssignment(a) ? zeroAddress : (a.userId.toLowerCase() as Address), rightsOf(a)]));
  }

  async function onPoll(poll: RegistryPoll): Promise<void> {
    const now = poll.chainTime.timestamp;
    for (const [streamId, followed] of streams) {
      const touched = poll.reorg ? [null] : poll.changes.filter((change) => change.streamKey === followed.key).map((change) => change.holder);
      // An expiry the chain's clock passed since the last poll: a loss with no event.
      let lost = [...followed.holders.values()].some((rights) => reads(rights, lastChainTime) && !reads(rights, now));
      if (touched.length > 0) {
        let holders: Map<Address, ReadingRights>;
        try {
          holders = await readHolders(streamId);
        } catch {
          holders = new Map(); // deleted (or unreadable): nobody reads on what is known
        }
        const names = touched.includes(null) ? [...followed.holders.keys()] : (touched as Address[]);
        lost ||= names.some((holder) => reads(followed.holders.get(holder), now) && !reads(holders.get(holder), now));
        followed.holders = holders;
      }
      if (lost) onLoss(streamId);
    }
    lastChainTime = now;
  }

  return {
    async follow(streamId) {
      if (streams.has(streamId)) return;
      const entry = { key: streamKeyOf(streamId), holders: new Map<Address, ReadingRights>() };
      streams.set(streamId, entry);
      unwatch ??= context.cache.watch((poll) => void onPoll(poll));
      entry.holders = await readHolders(streamId);
    },
    unfollow(streamId) {
      streams.delete(streamId);
      if (streams.size === 0) this.stop();
    },
    stop() {
      unwatch?.();
      unwatch = undefined;
    },
  };
}
