import { zeroAddress, type Address, type Hex } from "viem";
import { randomBytes } from "@noble/hashes/utils";
import { normalizeStreamId } from "../streamId";
import { domainSeparator } from "./hash";
import { bytesToHex } from "./hex";
import { checkContentSize, parseStreamMessage, UINT32_MAX } from "./parse";
import { signCheckedMessage } from "./sign";
import { toMessageSigner, type MessageSigner, type SignerSource } from "./signers";
import type { MessageDomain, MessageRef, SignedStreamMessage, StreamMessage } from "./types";

export interface PublisherOptions {
  streamId: string;
  partition?: number;
  signer: SignerSource | MessageSigner;
  domain: MessageDomain;
  /** Defaults to 20 random hex characters, so that each publisher instance starts its own chain. */
  msgChainId?: string;
  /** Default content type of published messages. */
  contentType?: string;
  /** Unix milliseconds; `Date.now` by default. */
  now?: () => number;
}

export interface PublishOptions {
  contentType?: string;
  /** The content is the ciphertext under this group key (docs/encryption.md): the message carries and signs the id. */
  groupKeyId?: string;
}

/** Publishes one chain (publisher, msgChainId) on one stream partition. */
export interface Publisher {
  readonly streamId: string;
  readonly partition: number;
  readonly msgChainId: string;
  /** Signs the next message of the chain; `content` is bytes or 0x hex. */
  publish(content: Uint8Array | Hex, options?: PublishOptions): Promise<SignedStreamMessage>;
}

/**
 * The position after `last` at `now`: the clock's millisecond with sequence number 0, or,
 * when the clock has not moved past `last` (same millisecond, or stepped back), the same
 * timestamp with the next sequence number, so that positions only ever increase.
 */
export function nextRef(last: MessageRef | undefined, now: number): MessageRef {
  if (last === undefined || now > last.timestamp) return { timestamp: now, sequenceNumber: 0 };
  if (last.sequenceNumber === UINT32_MAX) return { timestamp: last.timestamp + 1, sequenceNumber: 0 };
  return { timestamp: last.timestamp, sequenceNumber: last.sequenceNumber + 1 };
}

export function createPublisher(options: PublisherOptions): Publisher {
  const streamId = normalizeStreamId(options.streamId);
  const { partition = 0, domain, contentType = "application/octet-stream", now = Date.now } = options;
  const msgChainId = options.msgChainId ?? bytesToHex(randomBytes(10)).slice(2);
  const separator = domainSeparator(domain); // also checks the domain now rather than on the first message
  const signer = toMessageSigner(options.signer);
  let address: Address | undefined;
  let last: MessageRef | undefined;

  function messageAt(ref: MessageRef, publisher: Address, content: Hex, messageContentType: string, groupKeyId?: string): StreamMessage {
    const prev = last ?? { timestamp: 0, sequenceNumber: 0 };
    const message: StreamMessage = {
      streamId,
      partition,
      timestamp: ref.timestamp,
      sequenceNumber: ref.sequenceNumber,
      publisher,
      msgChainId,
      prevTimestamp: prev.timestamp,
      prevSequenceNumber: prev.sequenceNumber,
      contentType: messageContentType,
      content,
    };
    if (groupKeyId !== undefined) message.groupKeyId = groupKeyId;
    return message;
  }

  async function publish(content: Uint8Array | Hex, publishOptions: PublishOptions = {}): Promise<SignedStreamMessage> {
    address ??= (await signer.getAddress()).toLowerCase() as Address;
    const isHex = typeof content === "string";
    if (!isHex) checkContentSize(content.length); // hex content is checked with the message below
    // The position is taken synchronously, before signing, so concurrent publishes get distinct,
    // increasing positions. A message whose signing then fails leaves a gap subscribers see.
    const ref = nextRef(last, now());
    const { groupKeyId } = publishOptions;
    const message = messageAt(ref, address, isHex ? content : bytesToHex(content), publishOptions.contentType ?? contentType, groupKeyId);
    // The chain's fixed parts were checked at creation: only hex content, a content type or a
    // key id given here can be malformed.
    if (isHex || publishOptions.contentType !== undefined || groupKeyId !== undefined) parseStreamMessage(message);
    last = ref;
    return signCheckedMessage(message, { signer, domain, separator, content: isHex ? undefined : content });
  }

  // A probe of the fixed parts (partition, msgChainId, contentType): InvalidMessageError names a bad one.
  parseStreamMessage(messageAt({ timestamp: 1, sequenceNumber: 0 }, zeroAddress, "0x", contentType));
  return { streamId, partition, msgChainId, publish };
}
