import type { TypedDataDomain } from "viem";
import type { MessageDomain, StreamMessage } from "./types";

export const DOMAIN_NAME = "Keyway";
export const DOMAIN_VERSION = "1";

/** The EIP-712 types, as viem's `signTypedData` / `verifyTypedData` and ethers take them. */
export const STREAM_MESSAGE_TYPES = {
  StreamMessage: [
    { name: "streamId", type: "string" },
    { name: "partition", type: "uint32" },
    { name: "timestamp", type: "uint64" },
    { name: "sequenceNumber", type: "uint32" },
    { name: "publisher", type: "address" },
    { name: "msgChainId", type: "string" },
    { name: "prevTimestamp", type: "uint64" },
    { name: "prevSequenceNumber", type: "uint32" },
    { name: "contentType", type: "string" },
    { name: "content", type: "bytes" },
  ],
} as const;

export const STREAM_MESSAGE_TYPE =
  "StreamMessage(string streamId,uint32 partition,uint64 timestamp,uint32 sequenceNumber,address publisher," +
  "string msgChainId,uint64 prevTimestamp,uint32 prevSequenceNumber,string contentType,bytes content)";

/** The type of a message whose content is encrypted: the StreamMessage fields, then `groupKeyId`. */
export const ENCRYPTED_STREAM_MESSAGE_TYPES = {
  EncryptedStreamMessage: [...STREAM_MESSAGE_TYPES.StreamMessage, { name: "groupKeyId", type: "string" }],
} as const;

export const ENCRYPTED_STREAM_MESSAGE_TYPE =
  "EncryptedStreamMessage(string streamId,uint32 partition,uint64 timestamp,uint32 sequenceNumber,address publisher," +
  "string msgChainId,uint64 prevTimestamp,uint32 prevSequenceNumber,string contentType,bytes content,string groupKeyId)";

/** The full EIP-712 domain of messages signed for `domain`. */
export function streamMessageDomain(domain: MessageDomain): TypedDataDomain {
  return {
    name: DOMAIN_NAME,
    version: DOMAIN_VERSION,
    chainId: domain.chainId,
    verifyingContract: domain.verifyingContract,
  };
}

/**
 * The message as EIP-712 typed data: what wallets display and standard tools verify. A
 * message with a `groupKeyId` is an `EncryptedStreamMessage`, any other a `StreamMessage`.
 */
export function streamMessageTypedData(message: StreamMessage, domain: MessageDomain) {
  const fields = streamMessageFields(message);
  if (message.groupKeyId === undefined) {
    return { domain: streamMessageDomain(domain), types: STREAM_MESSAGE_TYPES, primaryType: "StreamMessage" as const, message: fields };
  }
  return {
    domain: streamMessageDomain(domain),
    types: ENCRYPTED_STREAM_MESSAGE_TYPES,
    primaryType: "EncryptedStreamMessage" as const,
    message: { ...fields, groupKeyId: message.groupKeyId },
  };
}

function streamMessageFields(message: StreamMessage) {
  return {
    streamId: message.streamId,
    partition: message.partition,
    timestamp: BigInt(message.timestamp),
    sequenceNumber: message.sequenceNumber,
    publisher: message.publisher,
    msgChainId: message.msgChainId,
    prevTimestamp: BigInt(message.prevTimestamp),
    prevSequenceNumber: message.prevSequenceNumber,
    contentType: message.contentType,
    content: message.content,
  };
}

export type StreamMessageTypedData = ReturnType<typeof streamMessageTypedData>;
