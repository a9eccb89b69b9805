import { parseAccessGrant } from "../delegation/parse";
import type { SignedAccessGrant } from "../delegation/types";
import { InvalidArgumentError } from "../errors";
import { UINT32_MAX } from "../message/parse";
import { normalizeStreamId } from "../streamId";
import type { PresenceClient } from "./protocol";
import type { RelaySession } from "./session";

/** Which partition to ask about: what `KeywayClient.presence(streamId, options)` takes after the stream. */
export interface PresenceOptions {
  /** Default 0. */
  partition?: number;
  /** An access grant to this client's address: the query is judged by it alone. */
  grant?: SignedAccessGrant;
}

export interface PresenceParameters extends PresenceOptions {
  streamId: string;
}

/** Who is subscribed to the partition now, across the relays of a cluster. */
export interface PresenceReturnType {
  streamId: string;
  partition: number;
  /** Subscriptions, anonymous ones (counted, not listed) included. */
  count: number;
  /** Signed-in addresses (lowercase) and how many connections each holds. */
  clients: PresenceClient[];
}

/**
 * Asks the relay who is subscribed to a stream partition now, across every relay of its
 * cluster: the signed-in addresses and their connections, and a count that includes anonymous
 * subscribers. Needs Subscribe on the stream (directly, public, a session's delegation, or `grant`).
 *
 * @param session - the client's relay session
 * @param parameters - the stream, and optionally `partition` and an access `grant`
 * @returns `{ streamId, partition, count, clients: [{ address, connections }] }`
 * @throws UnauthorizedError (no Subscribe), StreamNotFoundError, InvalidArgumentError, RelayError, RelayUnreachableError
 *
 * @example
 * const { count, clients } = await presence(session, { streamId: "0xabc…/sensors" });
 * console.log(`${count} watching:`, clients.map(({ address }) => address));
 */
export async function presence(session: RelaySession, parameters: PresenceParameters): Promise<PresenceReturnType> {
  const { partition = 0 } = parameters;
  if (typeof partition !== "number" || !Number.isInteger(partition) || partition < 0 || partition > UINT32_MAX) {
    throw new InvalidArgumentError(`partition must be an integer from 0 to ${UINT32_MAX}, got ${partition}`);
  }
  const grant = parameters.grant === undefined ? undefined : parseAccessGrant(parameters.grant);
  const streamId = normalizeStreamId(parameters.streamId);
  const { count, clients } = await session.connection.request({ type: "presence", streamId, partition, ...(grant && { grant }) });
  return { streamId, partition, count, clients };
}
