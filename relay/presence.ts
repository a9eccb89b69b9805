import type { PresenceClient } from "../sdk/relay/protocol";

/** Who holds a subscription: a signed-in (holder's) address, lowercase, or ANONYMOUS. */
export type Member = string;

/** An anonymous subscriber of a public stream: counted, not listed, never announced. */
export const ANONYMOUS: Member = "";

/** Who is subscribed to a channel now. */
export interface PresenceState {
  /** Subscriptions, anonymous ones included. */
  count: number;
  /** Signed-in addresses and their connections. */
  clients: PresenceClient[];
}

export type PresenceChange = "join" | "leave";

/**
 * Who is subscribed to each channel (`streamId|partition`), across the relays that share it:
 * the subscription index reports each subscription's start and end, and `onChange` hears an
 * address's first subscription (join) and its last one ending (leave), once per cluster. The
 * in-process one below serves one relay; `createRedisPresence` a cluster.
 */
export interface Presence {
  /** Counts the member in; resolves once this relay hears the channel's joins and leaves (a cluster's: subscribed to its events). */
  join(channel: string, member: Member): Promise<void>;
  leave(channel: string, member: Member): void;
  query(channel: string): Promise<PresenceState>;
  onChange(listener: (channel: string, change: PresenceChange, address: string) => void): void;
  close(): Promise<void>;
}

/** Subscriptions per channel per member, on this relay. */
export interface PresenceCounts {
  /** Adds `delta` to the member's count on the channel; returns the new count (a member at 0 is dropped). */
  add(channel: string, member: Member, delta: number): number;
  of(channel: string): ReadonlyMap<Member, number> | undefined;
  channels(): Iterable<string>;
}

export function createPresenceCounts(): PresenceCounts {
  const channels = new Map<string, Map<Member, number>>();
  return {
    add(channel, member, delta) {
      let members = channels.get(channel);
      if (members === undefined) channels.set(channel, (members = new Map()));
      const count = (members.get(member) ?? 0) + delta;
      if (count > 0) members.set(member, count);
      else members.delete(member);
      if (members.size === 0) channels.delete(channel);
      return Math.max(0, count);
    },
    of: (channel) => channels.get(channel),
    channels: () => channels.keys(),
  };
}

/** The state of counts per member (address, or ANONYMOUS), as a `presence` reply carries it. */
export function presenceStateOf(members: Iterable<[Member, number]>): PresenceState {
  let count = 0;
  const clients: PresenceClient[] = [];
  for (const [member, connections] of members) {
    count += connections;
    if (member !== ANONYMOUS) clients.push({ address: member, connections });
  }
  return { count, clients };
}

/** Presence for a single relay: its own counts, changes told at once. */
export function createLocalPresence(): Presence {
  const counts = createPresenceCounts();
  let listener: ((channel: string, change: PresenceChange, address: string) => void) | undefined;
  return {
    join(channel, member) {
      if (counts.add(channel, member, 1) === 1 && member !== ANONYMOUS) listener?.(channel, "join", member);
      return Promise.resolve();
    },
    leave(channel, member) {
      if (counts.add(channel, member, -1) === 0 && member !== ANONYMOUS) listener?.(channel, "leave", member);
    },
    query: (channel) => Promise.resolve(presenceStateOf(counts.of(channel) ?? [])),
    onChange(next) {
      listener = next;
    },
    close: () => Promise.resolve(),
  };
}
