import { assertStreamPartition } from "../actions/getStreamPartitions";
import { parseAccessGrant } from "../delegation/parse";
import type { SignedAccessGrant } from "../delegation/types";
import { InvalidArgumentError, RelayError } from "../errors";
import { UINT32_MAX } from "../message/parse";
import type { MessageRef } from "../message/types";
import { createMessageValidator } from "../message/validator";
import { normalizeStreamId } from "../streamId";
import type { HistoryRequest } from "./protocol";
import { type ReceivedMessage, receiveMessage } from "./receivedMessage";
import type { SignedStreamMessage } from "../message/types";
import type { RelaySession } from "./session";

/** Which kept messages to read: what `KeywayClient.history(streamId, options)` takes after the stream. */
export interface HistoryOptions {
  /** At most this many, from 1 to the relay's `maxHistoryLimit` (default 100 there). */
  limit: number;
  /** Default 0. */
  partition?: number;
  /** Only messages strictly after this position. */
  from?: MessageRef;
  /** Newest first. Default: oldest first. */
  reverse?: boolean;
  /** An access grant to this client's address: the query is judged by it alone. */
  grant?: SignedAccessGrant;
}

export interface HistoryParameters extends HistoryOptions {
  streamId: string;
}

export type HistoryReturnType = ReceivedMessage[];

const isInteger = (value: unknown, max: number): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max;

function requestOf(parameters: HistoryParameters): HistoryRequest & { partition: number } {
  const { limit, partition = 0, from, reverse = false } = parameters;
  if (!isInteger(limit, UINT32_MAX) || limit < 1) throw new InvalidArgumentError(`limit must be a positive integer, got ${limit}`);
  if (!isInteger(partition, UINT32_MAX)) throw new InvalidArgumentError(`partition must be an integer from 0 to ${UINT32_MAX}, got ${partition}`);
  if (from !== undefined && !(isInteger(from.timestamp, Number.MAX_SAFE_INTEGER) && isInteger(from.sequenceNumber, UINT32_MAX))) {
    throw new InvalidArgumentError("from must be { timestamp, sequenceNumber } of non-negative integers");
  }
  if (typeof reverse !== "boolean") throw new InvalidArgumentError("reverse must be true or false");
  const grant = parameters.grant === undefined ? undefined : parseAccessGrant(parameters.grant);
  const streamId = normalizeStreamId(parameters.streamId);
  return { type: "history", streamId, partition, limit, reverse, ...(from && { from: { timestamp: from.timestamp, sequenceNumber: from.sequenceNumber } }), ...(grant && { grant }) };
}

/**
 * Reads the messages the relay (or its cluster) keeps for a stream partition, without
 * subscribing: oldest first, or newest first with `reverse`; only those after `from`; at most
 * `limit`. Each is verified by this client's own validator, as a subscription's are (one that
 * fails is an error, not skipped: the relay answered with something it should not have).
 *
 * @param session - the client's relay session
 * @param parameters - the stream, `limit`, and optionally `partition`, `from`, `reverse` and an access `grant`
 * @returns the messages as `{ content, metadata }`, in the order asked
 * @throws UnauthorizedError (no Subscribe), StreamNotFoundError, InvalidArgumentError (bad parameters, a partition beyond the stream's count), MessageRejectedError (a message failed verification), RelayError (INVALID_REQUEST: a limit beyond the relay's), RelayUnreachableError
 *
 * @example
 * const latest = await history(session, { streamId: "0xabc…/sensors", limit: 10, reverse: true });
 * for (const { content, metadata } of latest) console.log(metadata.timestamp, content);
 */
export async function history(session: RelaySession, parameters: HistoryParameters): Promise<HistoryReturnType> {
  const request = requestOf(parameters);
  const { streamId, partition } = request;
  await assertStreamPartition(session.context, { streamId, partition });
  const validator = createMessageValidator({ domain: await session.domain(), permissions: session.permissions, contentRules: session.contentRules });
  const { messages } = await session.connection.request(request);
  if (!Array.isArray(messages)) throw new RelayError("RELAY_ERROR", "MALFORMED_REPLY", "Relay: the history reply has no messages list");
  // Verified in publishing order, as a subscriber sees them: the validator follows each chain forwards.
  const inOrder = request.reverse ? [...messages].reverse() : messages;
  const received: ReceivedMessage[] = [];
  // An encrypted stream's messages are decrypted as a subscription's are (keys asked for the same way).
  const decryption = { decrypt: (message: SignedStreamMessage) => session.keyExchange.decrypt(message, request.grant), contentRules: session.contentRules };
  if (inOrder.length > 0) session.keyExchange.prepare();
  for (const raw of inOrder) {
    const message = await receiveMessage(validator, raw, { streamId, partition }, decryption);
    if (message !== undefined) received.push(message);
  }
  return request.reverse ? received.reverse() : received;
}
