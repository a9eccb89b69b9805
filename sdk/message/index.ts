// The signed message layer: format, signing, verification and the subscriber's checks.
export type { MessageDomain, MessageRef, SignedStreamMessage, StreamMessage } from "./types";
export { InvalidMessageError, MessageRejectedError, type MessageRejectionReason } from "./errors";
export {
  DOMAIN_NAME,
  DOMAIN_VERSION,
  ENCRYPTED_STREAM_MESSAGE_TYPE,
  ENCRYPTED_STREAM_MESSAGE_TYPES,
  STREAM_MESSAGE_TYPE,
  STREAM_MESSAGE_TYPES,
  streamMessageDomain,
  streamMessageTypedData,
  type StreamMessageTypedData,
} from "./typedData";
export { hashStreamMessage } from "./hash";
export { signStreamMessage, type SignStreamMessageOptions } from "./sign";
export { verifyStreamMessage } from "./verify";
export { fromJSON, toJSON, MAX_MESSAGE_JSON_LENGTH } from "./json";
export { parseStreamMessage, MAX_CONTENT_BYTES, MAX_CONTENT_TYPE_LENGTH, MAX_GROUP_KEY_ID_LENGTH, MAX_MSG_CHAIN_ID_LENGTH } from "./parse";
export {
  privateKeySigner,
  toMessageSigner,
  type EthersTypedDataSigner,
  type MessageSigner,
  type SignerSource,
  type SignRequest,
} from "./signers";
export { createPublisher, type Publisher, type PublisherOptions, type PublishOptions } from "./publisher";
export {
  createMessageValidator,
  type MessageValidator,
  type MessageValidatorOptions,
  type StreamPartition,
} from "./validator";
export type { PermissionExpiryQuery, PermissionSource } from "../permissions";
export type { GapEvent, OutOfOrderEvent } from "./chains";
export { getCryptoBackend, useCryptoBackend, type BackendName, type CryptoBackendInfo } from "./crypto";
