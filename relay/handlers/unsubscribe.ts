import { streamPartitionKey } from "../../sdk/streamId";
import type { Connection } from "../connection";
import type { RelayContext } from "../context";
import { type Fields, readPartition, readStreamId } from "../fields";
import { ErrorCode, type RequestId, UnsubscribeReason } from "../../sdk/relay/protocol";
import { endSubscription } from "../subscriptionLifecycle";
import { RequestError } from "../requestError";

/**
 * `unsubscribe`: ends one of the connection's subscriptions; nothing of it is sent after the reply.
 *
 * @example
 * // -> {"type":"unsubscribe","id":3,"streamId":"0xf39f.../demo","partition":0}
 * // <- {"type":"unsubscribed","id":3,"streamId":"0xf39f.../demo","partition":0,"reason":"REQUESTED"}
 */
export function handleUnsubscribe(relay: RelayContext, connection: Connection, id: RequestId, fields: Fields): void {
  const streamId = readStreamId(fields);
  const partition = readPartition(fields);
  const subscription = connection.subscriptions.get(streamPartitionKey(streamId, partition));
  if (subscription === undefined) throw new RequestError(ErrorCode.NOT_SUBSCRIBED, `not subscribed to ${streamId} partition ${partition}`);
  endSubscription(relay, subscription, UnsubscribeReason.REQUESTED, id);
}
