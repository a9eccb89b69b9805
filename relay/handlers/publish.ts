import { MessageRejectedError } from "../../sdk/message/errors";
import { InvalidArgumentError } from "../../sdk/errors";
import type { SignedStreamMessage } from "../../sdk/message/types";
import type { StreamPartition } from "../../sdk/message/validator";
import { BrokerUnavailableError } from "../broker";
import { streamPartitionKey } from "../../sdk/streamId";
import { type Connection, markActive } from "../connection";
import type { RelayContext } from "../context";
import type { Fields } from "../fields";
import { messageFrame, positionOf } from "../history";
import { ErrorCode, type RequestId } from "../../sdk/relay/protocol";
import { checkPartition } from "../partitions";
import { takeToken } from "../tokenBucket";
import { RequestError } from "../requestError";

/** The stream partition the message says it is for: what the validator holds it to. */
function claimedPlace(message: unknown): StreamPartition {
  const { streamId, partition } = (typeof message === "object" && message !== null ? message : {}) as Record<string, unknown>;
  return { streamId, partition } as StreamPartition;
}

/**
 * Why a delegation or grant the message carries no longer holds at the relay's clock. The
 * validator judges it at the message's own time, as every receiver must to agree; live, that
 * is not enough: a session key or grantee key that leaked would sign back-dated messages
 * forever. Read from the unchecked message: it can only refuse, the validator still decides.
 */
function lapsedAuthority(message: unknown, nowMs: number): RequestError | undefined {
  const { delegation, grant } = (typeof message === "object" && message !== null ? message : {}) as Record<string, unknown>;
  for (const [carried, what, reason] of [[delegation, "delegation", "invalid-delegation"], [grant, "access grant", "invalid-grant"]] as const) {
    const expiresAt = (carried as { expiresAt?: unknown } | undefined)?.expiresAt;
    if (typeof expiresAt === "number" && nowMs >= expiresAt * 1000) {
      return new RequestError(ErrorCode.MESSAGE_REJECTED, `the message's ${what} expired at ${expiresAt} (s), before the relay received it`, reason);
    }
  }
  return undefined;
}

/** The validator's (or the cluster's duplicate check's) refusal as the request's error; other errors pass. */
function refusal(error: unknown): unknown {
  // The validator refuses to judge a message that names no valid stream partition.
  if (error instanceof InvalidArgumentError) return new RequestError(ErrorCode.INVALID_MESSAGE, `the message names no valid stream partition: ${error.message}`);
  if (error instanceof BrokerUnavailableError) return new RequestError(ErrorCode.UNAVAILABLE, error.message);
  if (!(error instanceof MessageRejectedError)) return error;
  if (error.reason === "malformed") return new RequestError(ErrorCode.INVALID_MESSAGE, error.message);
  return new RequestError(ErrorCode.MESSAGE_REJECTED, error.message, error.reason);
}

/** Delivers an accepted message through the broker (to every subscriber, and history) and acknowledges it. */
async function deliver(relay: RelayContext, connection: Connection, id: RequestId, message: unknown, accepted: SignedStreamMessage): Promise<void> {
  const { streamId, partition } = accepted;
  // The message exactly as published (validated: only its fields).
  const frame = messageFrame(streamId, partition, JSON.stringify(message));
  await relay.broker.publish(streamPartitionKey(streamId, partition), { message: positionOf(accepted), frame, acceptedAt: Date.now() }).catch((error: unknown) => {
    // Not taken (the cluster's Redis is down): the publisher is asked to publish it again.
    if (error instanceof BrokerUnavailableError) relay.validator.forget(accepted);
    throw refusal(error);
  });
  markActive(connection);
  relay.send(connection, { type: "published", id });
}

/**
 * `publish`: no sign-in needed, the message's signature is the proof. The SDK's validator
 * (shape, clock skew, duplicates, signature, Publish at the message's time, the stream it
 * claims) decides before anything is delivered; a rejected message reaches nobody. A
 * connection's publishes are validated side by side, and decided and delivered in the order they came.
 *
 * @example
 * // -> {"type":"publish","id":4,"message":{"streamId":"0xf39f.../demo","partition":0,...,"signature":"0x..."}}
 * // <- {"type":"published","id":4}   or   {"type":"error","id":4,"code":"MESSAGE_REJECTED","reason":"duplicate",...}
 */
export function handlePublish(relay: RelayContext, connection: Connection, id: RequestId, fields: Fields): Promise<void> {
  if (!takeToken(connection.publishTokens, relay.limits.publishRate, relay.limits.publishRate)) {
    throw new RequestError(ErrorCode.RATE_LIMITED, `at most ${relay.limits.publishRate} publishes per second per connection`);
  }
  const { message } = fields;
  // Validated at once, beside the connection's earlier publishes (their signatures recovered
  // in one batch), then decided and delivered in the order they came.
  const lapsed = lapsedAuthority(message, Date.now());
  const place = claimedPlace(message);
  const validate = () => relay.validator.validate(message, place);
  const checked = lapsed === undefined ? checkPartition(relay, place, ErrorCode.INVALID_MESSAGE, "publishReads") : Promise.reject(lapsed);
  const validated = (checked === undefined ? validate() : checked.then(validate)).catch((error: unknown) => Promise.reject(refusal(error)));
  validated.catch(() => undefined); // judged in turn below; not an unhandled rejection meanwhile
  const done = connection.publishTail.then(() => validated).then((accepted) => deliver(relay, connection, id, message, accepted));
  connection.publishTail = done.catch(() => undefined);
  return done;
}
