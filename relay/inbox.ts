import type { Address } from "viem";
import { ErrorCode } from "../sdk/relay/protocol";
import { BrokerUnavailableError } from "./broker";
import { type Connection, holderOf } from "./connection";
import type { RelayContext } from "./context";
import { keyExchangeBurst } from "./options";
import { RequestError } from "./requestError";
import { takeToken } from "./tokenBucket";

// A connection is listed in `relay.inboxes` while its inbox is open and it is signed in: the
// key exchange frames forwarded for an address go there, on every relay of a cluster.
type Inboxes = RelayContext["inboxes"];

function remove(inboxes: Inboxes, address: Address | undefined, connection: Connection): void {
  const set = address === undefined ? undefined : inboxes.get(address);
  if (set?.delete(connection) && set.size === 0) inboxes.delete(address!);
}

function add(inboxes: Inboxes, address: Address | undefined, connection: Connection): void {
  if (address === undefined) return;
  let set = inboxes.get(address);
  if (set === undefined) inboxes.set(address, (set = new Set()));
  set.add(connection);
}

/** Opens the connection's inbox under its signed-in address (the caller checked it is signed in). */
export function openInbox(relay: RelayContext, connection: Connection): void {
  connection.inbox = true;
  add(relay.inboxes, holderOf(connection), connection);
}

/** The connection's sign-in changed from `previous` to its current address (or ended): its inbox follows. */
export function moveInbox(relay: RelayContext, connection: Connection, previous: Address | undefined): void {
  if (!connection.inbox) return;
  remove(relay.inboxes, previous, connection);
  add(relay.inboxes, holderOf(connection), connection);
}

/** Sends a forwarded frame to every connection of this relay with an inbox open as `address`. */
export function deliverForwarded(relay: RelayContext, address: string, frame: string): void {
  const connections = relay.inboxes.get(address as Address);
  if (connections === undefined) return;
  for (const connection of connections) relay.transmit(connection, frame);
}

/**
 * Who may send key exchange frames: a signed-in connection (answers come back to its address),
 * within `keyExchangeRate`. Returns its address; UNAUTHORIZED or RATE_LIMITED otherwise.
 */
export function keyExchangeSender(relay: RelayContext, connection: Connection): Address {
  const address = holderOf(connection);
  if (address === undefined) throw new RequestError(ErrorCode.UNAUTHORIZED, "sign in (auth) first: key exchange frames are addressed to signed-in addresses");
  const { keyExchangeRate } = relay.limits;
  if (!takeToken(connection.keyExchangeTokens, keyExchangeRate, keyExchangeBurst(relay.limits))) {
    throw new RequestError(ErrorCode.RATE_LIMITED, `at most ${keyExchangeRate} key exchange frames per second per connection, beyond a burst of ${keyExchangeBurst(relay.limits)}`);
  }
  return address;
}

/** A lowercase 0x address; INVALID_REQUEST naming `what` otherwise. */
export function readRecipient(value: unknown, what: string): Address {
  if (typeof value !== "string" || !/^0x[0-9a-f]{40}$/.test(value)) throw new RequestError(ErrorCode.INVALID_REQUEST, `${what} must be a lowercase 0x address`);
  return value as Address;
}

/** Sends `frame` to the inboxes of every address in `to`, on every relay of the cluster; UNAVAILABLE when the cluster's Redis does not take it. */
export async function forwardTo(relay: RelayContext, to: readonly Address[], frame: string): Promise<void> {
  try {
    await Promise.all(to.map((address) => relay.broker.forward(address, frame)));
  } catch (error) {
    if (error instanceof BrokerUnavailableError) throw new RequestError(ErrorCode.UNAVAILABLE, error.message);
    throw error;
  }
}
