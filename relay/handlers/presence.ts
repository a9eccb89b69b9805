import { streamPartitionKey } from "../../sdk/streamId";
import { BrokerUnavailableError } from "../broker";
import type { Connection } from "../connection";
import type { RelayContext } from "../context";
import { type Fields, readPartition, readStreamId } from "../fields";
import type { PresenceState } from "../presence";
import { ErrorCode, type RequestId } from "../../sdk/relay/protocol";
import { RequestError } from "../requestError";
import { readGrant, requireSubscribe } from "../subscribeRight";

/**
 * `presence`: who is subscribed to a stream partition now, across every relay of the cluster:
 * the signed-in addresses (a session key's as its holder) and how many connections each holds;
 * `count` includes anonymous subscribers of a public stream, who are counted, not listed.
 * Allowed to whoever may subscribe (the same rule as `subscribe`, delegation and `grant`
 * included); takes a subscribe token.
 *
 * @example
 * // -> {"type":"presence","id":6,"streamId":"0xf39f.../demo","partition":0}
 * // <- {"type":"presence","id":6,"streamId":"0xf39f.../demo","partition":0,"count":3,"clients":[{"address":"0x7099...","connections":2}]}
 */
export async function handlePresence(relay: RelayContext, connection: Connection, id: RequestId, fields: Fields): Promise<void> {
  const streamId = readStreamId(fields);
  const partition = readPartition(fields);
  const grant = readGrant(relay, fields);
  await requireSubscribe(relay, connection, { streamId, partition, grant });
  let state: PresenceState;
  try {
    state = await relay.presence.query(streamPartitionKey(streamId, partition));
  } catch (error) {
    throw error instanceof BrokerUnavailableError ? new RequestError(ErrorCode.UNAVAILABLE, error.message) : error;
  }
  relay.send(connection, { type: "presence", id, streamId, partition, ...state });
}
