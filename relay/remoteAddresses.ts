import { isIPv4 } from "node:net";
import type { RelayLimits } from "./options";
import { createTokenBucket, refill, takeToken, type TokenBucket } from "./tokenBucket";

/**
 * What the per-address limits count by: an IPv4 address (an IPv4-mapped IPv6 one too), or an
 * IPv6 address's /64, the block one subscriber line gets: counting single IPv6 addresses would
 * let one client open connections and fail sign-ins from billions of them.
 *
 * @example
 * addressKeyOf("::ffff:192.0.2.7"); // "192.0.2.7"
 * addressKeyOf("2001:db8::1");      // "2001:db8:0:0::/64"
 */
export function addressKeyOf(remoteAddress: string | undefined): string {
  const address = (remoteAddress ?? "").toLowerCase().split("%")[0]; // without a zone index
  if (isIPv4(address)) return address;
  if (address.startsWith("::ffff:") && isIPv4(address.slice(7))) return address.slice(7);
  const [head, tail] = address.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16)).join(":")}::/64`;
}

interface AddressState {
  connections: number;
  /** Failed sign-ins this address may still have: `authFailureRate` a minute, a minute's worth at most. */
  failures: TokenBucket;
}

/** Why a new connection is refused at the upgrade: the HTTP status and the body. */
export interface UpgradeRefusal {
  status: 429 | 503;
  message: string;
}

/**
 * The relay's per-remote-address book: open connections (`maxConnectionsPerAddress`) and the
 * failed sign-ins each address may still make (`authFailureRate`). An address is forgotten
 * once it has no connection and its allowance is whole again (`sweep`).
 */
export function createAddressBook(limits: Pick<RelayLimits, "maxConnections" | "maxConnectionsPerAddress" | "authFailureRate">) {
  const addresses = new Map<string, AddressState>();
  const capacity = limits.authFailureRate;
  const perSecond = limits.authFailureRate / 60;
  const stateOf = (key: string): AddressState => {
    let state = addresses.get(key);
    if (state === undefined) addresses.set(key, (state = { connections: 0, failures: createTokenBucket(capacity) }));
    return state;
  };

  return {
    /** Why one more connection from `key` (with `open` connections in all) is refused, or undefined. */
    refusal(key: string, open: number): UpgradeRefusal | undefined {
      if (open >= limits.maxConnections) return { status: 503, message: `Keyway relay: full (maxConnections ${limits.maxConnections}): try again later\n` };
      if ((addresses.get(key)?.connections ?? 0) >= limits.maxConnectionsPerAddress) {
        return { status: 429, message: `Keyway relay: too many connections from your address (maxConnectionsPerAddress ${limits.maxConnectionsPerAddress})\n` };
      }
      return undefined;
    },
    opened(key: string): void {
      stateOf(key).connections += 1;
    },
    closed(key: string): void {
      stateOf(key).connections -= 1;
    },
    /** Takes one failed sign-in's worth from `key`'s allowance ahead of a sign-in; false when none is left. */
    takeSignInAttempt(key: string): boolean {
      return takeToken(stateOf(key).failures, perSecond, capacity);
    },
    /** Gives back what `takeSignInAttempt` took: the sign-in did not fail. */
    refundSignInAttempt(key: string): void {
      const { failures } = stateOf(key);
      failures.tokens = Math.min(capacity, failures.tokens + 1);
    },
    /** Forgets the addresses with no connection and a whole allowance. */
    sweep(): void {
      const now = Date.now();
      for (const [key, state] of addresses) if (state.connections === 0 && refill(state.failures, perSecond, capacity, now) >= capacity) addresses.delete(key);
    },
  };
}

export type AddressBook = ReturnType<typeof createAddressBook>;
