import { streamKeyOf } from "../../sdk";
import { BrokerUnavailableError } from "../broker";
import { streamPartitionKey } from "../../sdk/streamId";
import type { AcceptedMessage } from "../history";
import { type Connection, type Subscription, markActive, isCurrent } from "../connection";
import type { RelayContext } from "../context";
import { recheckIfOvertaken } from "../enforcement";
import { type Fields, readFlag, readFrom, readPartition, readStreamId } from "../fields";
import { ErrorCode, type Position, type RequestId } from "../../sdk/relay/protocol";
import { RequestError } from "../requestError";
import type { Admission } from "../admission";
import { readAdmission, readGrant, refusal, takeSubscribeToken } from "../subscribeRight";
import { replayThenRelease } from "../holds";

/**
 * `subscribe`: admitted while the connection's address (or the public, for an anonymous
 * connection) holds Subscribe on the stream, directly or publicly; a session key's connection
 * only on the streams its delegation lists with the Subscribe bit, while the holder holds
 * Subscribe; a subscribe with a `grant` by the grant alone (see `admission`). `subscribed` is
 * sent once the subscription is live; with `from`, the kept messages after that position follow it,
 * then live ones, with none missing and none twice at the seam. With `joinLeave: true` it also
 * gets `join`/`leave` pushes of the partition's signed-in subscribers (presence, relay/presence.ts).
 *
 * @example
 * // -> {"type":"subscribe","id":2,"streamId":"0xf39f.../demo","partition":0,"from":{"timestamp":1700000000000,"sequenceNumber":0}}
 * // <- {"type":"subscribed","id":2,"streamId":"0xf39f.../demo","partition":0}
 */
export async function handleSubscribe(relay: RelayContext, connection: Connection, id: RequestId, fields: Fields): Promise<void> {
  const streamId = readStreamId(fields);
  const partition = readPartition(fields);
  const from = readFrom(fields);
  const grant = readGrant(relay, fields);
  const joinLeave = readFlag(fields, "joinLeave");
  const channel = streamPartitionKey(streamId, partition);
  if (connection.subscriptions.has(channel)) {
    throw new RequestError(ErrorCode.ALREADY_SUBSCRIBED, `already subscribed to ${streamId} partition ${partition}`);
  }
  if (connection.subscriptions.size >= relay.limits.subscribeLimit) {
    throw new RequestError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, `at most ${relay.limits.subscribeLimit} subscriptions per connection`);
  }
  // Only what may cost a read takes a token (the refusals above cost nothing).
  takeSubscribeToken(relay, connection);
  // Reserved while the permission is read (a second subscribe is refused); holds messages until released.
  const subscription: Subscription = { connection, streamId, partition, channel, streamKey: streamKeyOf(streamId), expiresAt: 0, grant, held: [], heldBytes: 0, holds: 1, unanswered: { id }, joinLeave };
  connection.subscriptions.set(channel, subscription);
  const changesBefore = relay.registryChanges;
  let admitted: Admission;
  try {
    admitted = await readAdmission(relay, connection, { streamId, partition, grant });
  } catch (error) {
    if (isCurrent(subscription)) connection.subscriptions.delete(channel);
    throw error;
  }
  if (!isCurrent(subscription)) return; // the connection closed, or the subscription ended and its subscribe was answered
  const { expiresAt } = admitted;
  if (expiresAt === 0) {
    connection.subscriptions.delete(channel);
    throw await refusal(relay, connection, streamId, admitted.refusal);
  }
  subscription.expiresAt = expiresAt;
  await relay.index.add(subscription);
  if (!isCurrent(subscription)) return;
  const replay = from === undefined ? [] : await historyAfter(relay, subscription, from);
  if (!isCurrent(subscription)) return;
  markActive(connection);
  subscription.unanswered = undefined;
  relay.send(connection, { type: "subscribed", id, streamId, partition });
  await replayThenRelease(relay, subscription, replay);
  recheckIfOvertaken(relay, subscription, changesBefore);
}

/**
 * What the channel kept after `from`, read while the live messages are held. A history that
 * cannot be read (the cluster's Redis is down) refuses the subscribe with UNAVAILABLE rather
 * than letting it start with a silent gap; the client subscribes again later.
 */
async function historyAfter(relay: RelayContext, subscription: Subscription, from: Position): Promise<AcceptedMessage[]> {
  try {
    return await relay.broker.replay(subscription.channel, from);
  } catch (error) {
    if (isCurrent(subscription)) {
      relay.index.remove(subscription);
      subscription.connection.subscriptions.delete(subscription.channel);
    }
    if (error instanceof BrokerUnavailableError) throw new RequestError(ErrorCode.UNAVAILABLE, error.message);
    throw error;
  }
}
