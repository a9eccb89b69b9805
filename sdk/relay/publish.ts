import { stringToHex, type Hex } from "viem";
import { getPermissionExpiry } from "../actions/getPermissionExpiry";
import { encryptContent } from "../encryption/groupKey";
import { checkContentRule } from "../message/content";
import { hexToBytes } from "../message/hex";
import { StreamPermission } from "../permissions";
import { assertStreamPartition } from "../actions/getStreamPartitions";
import { InvalidArgumentError, MissingSignerError } from "../errors";
import { MessageRejectedError } from "../message/errors";
import { createPublisher, type Publisher } from "../message/publisher";
import type { SignedAccessGrant } from "../delegation/types";
import type { SignedStreamMessage } from "../message/types";
import { normalizeStreamId } from "../streamId";
import type { RelaySession } from "./session";
import { streamPartitionKey } from "../streamId";

/** How to publish: what `KeywayClient.publish(streamId, content, options)` takes after the stream and the content. */
export interface PublishMessageOptions {
  /** Default 0. */
  partition?: number;
  /** Default `application/json` for a JSON value, `application/octet-stream` for bytes. */
  contentType?: string;
  /** An access grant to this client's address (sdk/delegation): the message carries it and is judged by it. */
  grant?: SignedAccessGrant;
}

export interface PublishParameters extends PublishMessageOptions {
  /** The stream (normalised). */
  streamId: string;
  /** A JSON value or bytes. */
  content: unknown;
}

export type PublishReturnType = SignedStreamMessage;

/** The client's chain on a stream partition, signed by the session's signer. */
function publisherFor(session: RelaySession, streamId: string, partition: number): Promise<Publisher> {
  const { signer } = session;
  if (signer === undefined) throw new MissingSignerError("publish");
  const key = streamPartitionKey(streamId, partition);
  const existing = session.publishers.get(key);
  if (existing !== undefined) return Promise.resolve(existing);
  return session.domain().then((domain) => {
    // Another publish may have created it while the domain was read.
    const publisher = session.publishers.get(key) ?? createPublisher({ streamId, partition, domain, signer });
    session.publishers.set(key, publisher);
    return publisher;
  });
}

/** The last publish of each chain: encryption finishes in any order (WebCrypto), positions must follow the calls. */
const lastInChain = new WeakMap<Publisher, Promise<unknown>>();

/** Runs `step` (seal and sign) after every earlier call's for the same chain, so concurrent publishes keep their order. */
function inTurn<T>(publisher: Publisher, step: () => Promise<T>): Promise<T> {
  const turn = (lastInChain.get(publisher) ?? Promise.resolve()).then(step);
  lastInChain.set(publisher, turn.catch(() => undefined));
  return turn;
}

/** Whether this client encrypts on the stream: as its mode says, or (`auto`) when the public may not subscribe. */
async function encrypts(session: RelaySession, streamId: string): Promise<boolean> {
  if (session.encryption !== "auto") return session.encryption === "always";
  return (await getPermissionExpiry(session.context, { streamId, public: true, permission: StreamPermission.SUBSCRIBE })) === 0;
}

/**
 * The content as sent: encrypted under the client's current key of the stream when it encrypts
 * there. The relay cannot judge encrypted content by the stream's content schema, so the
 * publisher does first (MessageRejectedError `schema`, nothing signed or sent), as the relay
 * would a plain message.
 */
async function sealed(session: RelaySession, streamId: string, bytes: Uint8Array | Hex, contentType: string): Promise<{ bytes: Uint8Array | Hex; groupKeyId?: string }> {
  if (!(await encrypts(session, streamId))) return { bytes };
  const plaintext = typeof bytes === "string" ? hexToBytes(bytes) : bytes;
  await checkContentRule(session.contentRules, streamId, contentType, plaintext);
  const key = await session.keyExchange.currentKey(streamId);
  return { bytes: await encryptContent(streamId, key, plaintext), groupKeyId: key.id };
}

function encodeContent(content: unknown): { bytes: Uint8Array | Hex; contentType: string } {
  if (content instanceof Uint8Array) return { bytes: content, contentType: "application/octet-stream" };
  const json = JSON.stringify(content);
  if (json === undefined) throw new InvalidArgumentError("content must be a JSON value or a Uint8Array");
  return { bytes: stringToHex(json), contentType: "application/json" };
}

/**
 * Signs `content` as the next message of the client's chain on the stream partition and
 * publishes it through the relay, encrypted on a stream the public may not subscribe to
 * (see `EncryptionMode`; docs/encryption.md); resolves with the signed message once the relay has
 * accepted it. A JSON value is sent as `application/json`, a Uint8Array as bytes. If the
 * connection drops before the relay answers, the message is sent again on the next one (a
 * `duplicate` refusal then means the first copy was accepted).
 *
 * @param session - the client's relay session
 * @param parameters - the stream, the content (a JSON value or bytes), and optionally the partition (default 0), content type and an access `grant`
 * @returns the signed StreamMessage, as the relay delivers it
 * @throws MessageRejectedError (`reason`), RelayError, RelayUnreachableError, MissingSignerError, InvalidArgumentError (a partition beyond the stream's count: nothing is signed or sent)
 *
 * @example
 * const message = await publish(session, { streamId: "0xabc…/sensors", content: { temperature: 21.5 } });
 */
export async function publish(session: RelaySession, parameters: PublishParameters): Promise<PublishReturnType> {
  const { streamId, content, partition = 0 } = parameters;
  await assertStreamPartition(session.context, { streamId, partition });
  const publisher = await publisherFor(session, normalizeStreamId(streamId), partition);
  const encoded = encodeContent(content);
  const signed = await inTurn(publisher, async () => {
    const contentType = parameters.contentType ?? encoded.contentType;
    const { bytes, groupKeyId } = await sealed(session, publisher.streamId, encoded.bytes, contentType);
    return publisher.publish(bytes, { contentType, groupKeyId });
  });
  const message = parameters.grant !== undefined ? { ...signed, grant: parameters.grant } : session.carried !== undefined ? { ...signed, ...session.carried } : signed;
  let resent = false;
  try {
    await session.connection.request({ type: "publish", message }, { resend: true, onResend: () => (resent = true) });
  } catch (error) {
    // Sent again after a drop: the relay had accepted the first copy, only its answer was lost.
    if (resent && error instanceof MessageRejectedError && error.reason === "duplicate") return message;
    throw error;
  }
  return message;
}
