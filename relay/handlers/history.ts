import { streamPartitionKey } from "../../sdk/streamId";
import { BrokerUnavailableError } from "../broker";
import type { Connection } from "../connection";
import type { RelayContext } from "../context";
import { type Fields, readCount, readFlag, readFrom, readPartition, readStreamId } from "../fields";
import { type AcceptedMessage, messageJsonOf } from "../history";
import { ErrorCode, type RequestId } from "../../sdk/relay/protocol";
import { RequestError } from "../requestError";
import { readGrant, requireSubscribe } from "../subscribeRight";

/** Before every position: what a query without `from` reads after. */
const BEFORE_ALL = { timestamp: -1, sequenceNumber: 0 };

/**
 * The entries a reply carries: at most `limit`, newest first when `reverse`, and no more than
 * `maxBytes` of messages (a reply is one frame: it must not pass a connection's send buffer alone).
 */
function pick(entries: AcceptedMessage[], limit: number, reverse: boolean, maxBytes: number): AcceptedMessage[] {
  const ordered = reverse ? entries.slice(-limit).reverse() : entries.slice(0, limit);
  let bytes = 0;
  const end = ordered.findIndex(({ frame }) => (bytes += frame.length) > maxBytes);
  return end === -1 ? ordered : ordered.slice(0, end);
}

/**
 * `history`: the messages the relay (or its cluster) keeps for a stream partition, without
 * subscribing: oldest first, or newest first with `reverse`, only those strictly after `from`
 * when given, at most `limit` (1 to `maxHistoryLimit`). Allowed to whoever may subscribe (the
 * same rule as `subscribe`, delegation and `grant` included); takes a subscribe token.
 *
 * @example
 * // -> {"type":"history","id":5,"streamId":"0xf39f.../demo","partition":0,"limit":2,"reverse":true}
 * // <- {"type":"history","id":5,"messages":[{"streamId":"0xf39f.../demo",...,"signature":"0x..."},{...}]}
 */
export async function handleHistory(relay: RelayContext, connection: Connection, id: RequestId, fields: Fields): Promise<void> {
  const streamId = readStreamId(fields);
  const partition = readPartition(fields);
  const limit = readCount(fields, "limit", relay.limits.maxHistoryLimit);
  const from = readFrom(fields) ?? BEFORE_ALL;
  const reverse = readFlag(fields, "reverse");
  const grant = readGrant(relay, fields);
  await requireSubscribe(relay, connection, { streamId, partition, grant });
  let kept: AcceptedMessage[];
  try {
    kept = await relay.broker.replay(streamPartitionKey(streamId, partition), from);
  } catch (error) {
    throw error instanceof BrokerUnavailableError ? new RequestError(ErrorCode.UNAVAILABLE, error.message) : error;
  }
  const messages = pick(kept, limit, reverse, relay.limits.maxBufferedBytes / 4).map(({ frame }) => messageJsonOf(frame, streamId, partition));
  const separated = messages.flatMap((message, index) => (index === 0 ? [message] : [COMMA, message]));
  relay.transmit(connection, Buffer.concat([Buffer.from(`{"type":"history","id":${JSON.stringify(id)},"messages":[`), ...separated, CLOSE]));
}

const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]}");
