import type { Hex } from "viem";
import { checkContentRule, type ContentRules, decodeContent } from "../message/content";
import { hexToBytes } from "../message/hex";
import { MessageRejectedError } from "../message/errors";
import type { SignedStreamMessage } from "../message/types";
import type { MessageValidator, StreamPartition } from "../message/validator";

/** What a subscriber learns about a verified message besides its content. */
export interface MessageMetadata {
  streamId: string;
  partition: number;
  timestamp: number;
  sequenceNumber: number;
  /** Lowercase address of the signer. */
  publisherId: string;
  msgChainId: string;
  signature: Hex;
  contentType: string;
  /** The message came encrypted (its key's id): the content was decrypted by this client. */
  groupKeyId?: string;
}

/** A message from the relay as the application gets it: verified, its content decoded. */
export interface ReceivedMessage {
  content: unknown;
  metadata: MessageMetadata;
}

function metadataOf(message: SignedStreamMessage): MessageMetadata {
  const { streamId, partition, timestamp, sequenceNumber, publisher, msgChainId, signature, contentType, groupKeyId } = message;
  const metadata: MessageMetadata = { streamId, partition, timestamp, sequenceNumber, publisherId: publisher, msgChainId, signature, contentType };
  if (groupKeyId !== undefined) metadata.groupKeyId = groupKeyId;
  return metadata;
}

/** How an encrypted message is read: its plaintext (the session's key exchange), and the stream's content rules to judge it by then. */
export interface Decryption {
  decrypt(message: SignedStreamMessage): Promise<Uint8Array>;
  contentRules?: ContentRules;
}

/**
 * The one way a message from the relay reaches the application, pushed live or read from
 * history: verified by the caller's validator for `place` (signature, Publish held, the
 * stream's content rules), decrypted when it is encrypted (then judged by the content rules,
 * which the validator could not read), then its content decoded. Undefined for a position the validator
 * has passed already (a resumed subscription's replay), which is dropped silently.
 *
 * @param validator - the subscriber's own validator (one per subscription or history query)
 * @param raw - the message JSON the relay sent
 * @param place - the stream partition it must belong to
 * @param decryption - how an encrypted message is read
 * @returns the content and metadata, or undefined for a copy already delivered
 * @throws MessageRejectedError (other reasons), InvalidMessageError (content not JSON although it says so), DecryptionError
 * @example
 * const received = await receiveMessage(validator, frame.message, { streamId, partition: 0 }, { decrypt: (message) => session.keyExchange.decrypt(message), contentRules: session.contentRules });
 * if (received !== undefined) console.log(received.metadata.publisherId, received.content);
 */
export async function receiveMessage(validator: MessageValidator, raw: unknown, place: StreamPartition, decryption: Decryption): Promise<ReceivedMessage | undefined> {
  let message: SignedStreamMessage;
  try {
    message = await validator.validate(raw, place);
  } catch (error) {
    if (error instanceof MessageRejectedError && (error.reason === "duplicate" || error.reason === "stale")) return undefined;
    throw error;
  }
  let bytes = hexToBytes(message.content);
  if (message.groupKeyId !== undefined) {
    bytes = await decryption.decrypt(message);
    if (decryption.contentRules !== undefined) await checkContentRule(decryption.contentRules, message.streamId, message.contentType, bytes);
  }
  return { content: decodeContent(message.contentType, new Uint8Array(bytes)), metadata: metadataOf(message) };
}
