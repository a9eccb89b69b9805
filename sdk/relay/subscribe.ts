import { assertStreamPartition } from "../actions/getStreamPartitions";
import { parseAccessGrant } from "../delegation/parse";
import type { SignedAccessGrant } from "../delegation/types";
import { InvalidArgumentError } from "../errors";
import { UINT32_MAX } from "../message/parse";
import type { MessageRef } from "../message/types";
import { createMessageValidator } from "../message/validator";
import { normalizeStreamId } from "../streamId";
import type { RelaySession } from "./session";
import { createSubscriptionHandle, type MessageListener, type Subscription } from "./subscription";

/** What to subscribe to: what `KeywayClient.subscribe(parameters, onMessage)` takes first (or a stream id alone). */
export interface SubscriptionOptions {
  streamId: string;
  /** Default 0. */
  partition?: number;
  /** Replay what the relay still holds after this position (exclusive), then go live. */
  resend?: { from: MessageRef };
  /**
   * An access grant to this client's address (as `issueAccessGrant` returns it): the relay
   * admits the subscription by the grant alone, and ends it (`PERMISSION_EXPIRED`,
   * `PERMISSION_REVOKED`) when the grant expires or its issuer loses Grant. Sent again on
   * every resume. The connection must be signed in (a client with a signer) as the grantee.
   */
  grant?: SignedAccessGrant;
  /** Also emit `join` and `leave` events (`subscription.on("join", (address) => …)`): signed-in addresses starting and stopping to be subscribed to the partition. */
  joinLeave?: boolean;
}

export interface SubscribeParameters extends SubscriptionOptions {
  /** Called with `(content, metadata)` for each verified message. */
  onMessage: MessageListener;
}

export type SubscribeReturnType = Subscription;

function isInteger(value: unknown, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max;
}

function checkParameters(parameters: SubscriptionOptions): { streamId: string; partition: number; resendFrom?: MessageRef; grant?: SignedAccessGrant; joinLeave: boolean } {
  const { partition = 0, resend, joinLeave = false } = parameters;
  if (typeof joinLeave !== "boolean") throw new InvalidArgumentError(`joinLeave must be true or false, got ${String(joinLeave)}`);
  if (!isInteger(partition, UINT32_MAX)) throw new InvalidArgumentError(`partition must be an integer from 0 to ${UINT32_MAX}, got ${partition}`);
  const from = resend?.from;
  if (resend !== undefined && !(isInteger(from?.timestamp, Number.MAX_SAFE_INTEGER) && isInteger(from?.sequenceNumber, UINT32_MAX))) {
    throw new InvalidArgumentError("resend.from must be { timestamp, sequenceNumber } of non-negative integers");
  }
  const resendFrom = from && { timestamp: from.timestamp, sequenceNumber: from.sequenceNumber };
  // Strictly, here: a malformed grant is the caller's InvalidAccessGrantError, not the relay's refusal.
  const grant = parameters.grant === undefined ? undefined : parseAccessGrant(parameters.grant);
  return { streamId: normalizeStreamId(parameters.streamId), partition, resendFrom, grant, joinLeave };
}

/**
 * Subscribes to a stream partition through the relay; resolves once the relay has the
 * subscription live (every message accepted after that is delivered). Each message is
 * verified here, by this client's own validator (signature, Publish held by the publisher,
 * duplicates), before `onMessage` gets it: `application/json` content parsed, anything else
 * as bytes. After a dropped connection the subscription resumes after the last delivered
 * message, so each message arrives once and in order.
 *
 * @param session - the client's relay session
 * @param parameters - stream, partition (default 0), an optional `resend.from` position, an optional access `grant`, `joinLeave` (join and leave events), and `onMessage`, called with `(content, metadata)` for each verified message
 * @returns the Subscription (`unsubscribe()`, `error`, `unsubscribed`, and with `joinLeave` `join` and `leave` events)
 * @throws UnauthorizedError (also a grant the relay does not honour), StreamNotFoundError, InvalidAccessGrantError (malformed grant), InvalidArgumentError (a partition beyond the stream's count, refused before anything is sent), RelayError, RelayUnreachableError
 *
 * @example
 * const sub = await subscribe(session, { streamId: "0xabc…/sensors", onMessage: (content, { publisherId }) => console.log(publisherId, content) });
 * sub.on("unsubscribed", (reason) => console.log("ended:", reason));
 */
export async function subscribe(session: RelaySession, parameters: SubscribeParameters): Promise<SubscribeReturnType> {
  const { onMessage } = parameters;
  if (typeof onMessage !== "function") throw new InvalidArgumentError("subscribe needs an onMessage function");
  const { streamId, partition, resendFrom, grant, joinLeave } = checkParameters(parameters);
  await assertStreamPartition(session.context, { streamId, partition });
  const validator = createMessageValidator({ domain: await session.domain(), permissions: session.permissions, contentRules: session.contentRules });
  const handle = createSubscriptionHandle({
    streamId,
    partition,
    validator,
    decryption: { decrypt: (message) => session.keyExchange.decrypt(message, grant), contentRules: session.contentRules },
    onMessage,
    resendFrom,
    grant,
    joinLeave,
    unsubscribe: (h) => session.subscriptions.remove(h),
  });
  session.keyExchange.prepare();
  await session.subscriptions.add(handle);
  return handle.subscription;
}
