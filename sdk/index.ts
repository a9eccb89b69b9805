/**
 * Keyway SDK: stream permissions on the StreamRegistry, with the Streamr SDK's shapes.
 *
 * ```ts
 * const client = new KeywayClient({ rpcUrl, privateKey, deployment });
 * const stream = await client.createStream("/sensors/temperature", { metadata: "{}" });
 * await stream.grantPermissions({ userId, permissions: [StreamPermission.PUBLISH] }, { public: true, permissions: [StreamPermission.SUBSCRIBE] });
 * await client.hasPermission({ streamId: stream.id, userId, permission: StreamPermission.PUBLISH, allowPublic: true });
 * client.destroy();
 * ```
 *
 * Writes wait for the receipt and resolve with it. To learn a write's transaction hash
 * before the receipt (to print "waiting for 0x..."), pass `onTransactionSent(hash, functionName)`
 * to the client, or call an action with `client.context` and `onSent` in its parameters
 * (a write's parameters also take viem-style `gas`, `nonce`, `maxFeePerGas`, `maxPriorityFeePerGas`):
 *
 * ```ts
 * await grantPermissions(client.context, { streamId, assignments, onSent: (hash) => console.log(`waiting for ${hash}`) });
 * ```
 *
 * Node-only helpers (`readDeployment`) live in `keyway/node` (sdk/node.ts), not here, so this
 * module bundles for browsers.
 */
// The public API, listed name by name: what is not here is internal and may change.

// Client
export { KeywayClient, type KeywayClientOptions } from "./client";
export { Stream, type StreamPermissionQuery } from "./stream";
export type { ConnectionOptions, RegistryContext } from "./context";
export type { RegistryPoll } from "./cache";
export { deployStreamRegistry, type Deployment } from "./deployment";
export {
  deployDeterministicStreamRegistry,
  DETERMINISTIC_DEPLOYER,
  DETERMINISTIC_DEPLOYER_SIGNER,
  installDeterministicDeployer,
  STREAM_REGISTRY_SALT,
  streamRegistryAddress,
  type DeployDeterministicStreamRegistryParameters,
  type DeployDeterministicStreamRegistryReturnType,
} from "./deterministicDeployment";
export { streamRegistryAbi, streamRegistryBytecode } from "./abi";
export { ethersAccount, ethersTransport, type EthersProvider, type EthersSigner } from "./ethers";

// Actions: `(context, parameters)`, as viem's; a write's parameters take per-call `gas`, `nonce`, `onSent`. The client's methods wrap them
export { createStream, createStreamCall, type CreateStreamCallParameters, type CreateStreamParameters, type CreateStreamReturnType } from "./actions/createStream";
export { deleteStream, deleteStreamCall, type DeleteStreamParameters, type DeleteStreamReturnType } from "./actions/deleteStream";
export { getStreamMetadata, type GetStreamMetadataParameters, type GetStreamMetadataReturnType } from "./actions/getStreamMetadata";
export {
  assertStreamPartition,
  getStreamPartitions,
  type AssertStreamPartitionParameters,
  type GetStreamPartitionsParameters,
  type GetStreamPartitionsReturnType,
} from "./actions/getStreamPartitions";
export { MAX_PARTITIONS, metadataWithPartitions, partitionsOf } from "./partitions";
export { assertUsableContentSchema, compileContentSchema, MAX_SCHEMA_BYTES, MAX_SCHEMA_COMPILE_MS, MAX_SCHEMA_DEPTH, metadataWithSchema, schemaOf } from "./contentSchema";
export { streamContentRules, type StreamContentRulesOptions } from "./contentRules";
export type { ContentCheck, ContentRules } from "./message/content";
export { streamExists, type StreamExistsParameters, type StreamExistsReturnType } from "./actions/streamExists";
export {
  updateStreamMetadata,
  updateStreamMetadataCall,
  type UpdateStreamMetadataParameters,
  type UpdateStreamMetadataReturnType,
} from "./actions/updateStreamMetadata";
export {
  grantPermissions,
  grantPermissionsCall,
  revokePermissions,
  revokePermissionsCall,
  setPermissions,
  setPermissionsCall,
  type GrantPermissionsParameters,
  type PermissionsCallParameters,
  type GrantPermissionsReturnType,
  type RevokePermissionsParameters,
  type RevokePermissionsReturnType,
  type SetPermissionsParameters,
  type SetPermissionsReturnType,
  type StreamPermissionsUpdate,
} from "./actions/writePermissions";
export type { WriteParameters } from "./actions/writeRegistry";
export { simulateRegistryCall, type SimulateRegistryCallParameters, type SimulateRegistryCallReturnType } from "./actions/simulateRegistryCall";

// Signed (gasless) changes: signed by one account, submitted by any (sdk/signedChange)
export { DEFAULT_SIGNED_CHANGE_VALIDITY_SECONDS, signChange, type SignChangeParameters, type SignChangeReturnType } from "./actions/signChange";
export { submitSignedChange, type SubmitSignedChangeParameters, type SubmitSignedChangeReturnType } from "./actions/submitSignedChange";
export { getUnusedNonces, type GetUnusedNoncesParameters, type GetUnusedNoncesReturnType } from "./actions/getUnusedNonces";
export { cancelNonces, type CancelNoncesParameters, type CancelNoncesReturnType } from "./actions/cancelNonces";
export { SIGNABLE_FUNCTION_NAMES, type RegistryCall, type SignableFunctionName } from "./signedChange/registryCall";
export { bySigCall, parseSignedChange, SIGNED_CHANGE_FORMAT, signedChangeToJSON, type SignedChange } from "./signedChange/signedChange";
export {
  REGISTRY_DOMAIN_NAME,
  REGISTRY_DOMAIN_VERSION,
  SIGNED_CHANGE_TYPES,
  signedChangeTypedData,
  type RegistryDomain,
  type SignedBy,
  type SignedChangeTypedData,
} from "./signedChange/typedData";
export { getPermissions, type GetPermissionsParameters, type GetPermissionsReturnType } from "./actions/getPermissions";
export {
  getPermissionExpiry,
  permissionSourceOf,
  hasPermission,
  type GetPermissionExpiryParameters,
  type GetPermissionExpiryReturnType,
  type HasPermissionParameters,
  type HasPermissionReturnType,
  type PermissionQuery,
} from "./actions/getPermissionExpiry";
export { chainNowSeconds, latestChainTime, type ChainNowSecondsReturnType, type ChainTime, type LatestChainTimeReturnType } from "./actions/chainTime";

// Permissions, holders and stream ids
export {
  FOREVER,
  isPublicAssignment,
  parsePermission,
  permissionIndex,
  unpackExpiries,
  type Expiries,
  PUBLIC_PERMISSIONS,
  STREAM_PERMISSIONS,
  StreamPermission,
  type PermissionAssignment,
  type PublicPermissionAssignment,
  type UserPermissionAssignment,
} from "./permissions";
export { holderAddress, type HolderSelector } from "./assignments";
export { formatStreamId, MAX_PATH_LENGTH, normalizeStreamId, parseStreamId, streamKeyOf, validateStreamPath, type StreamIdParts } from "./streamId";
export { isPrivateKey } from "./privateKey";

// Errors
export {
  ContractError,
  errorChain,
  InvalidAddressError,
  InvalidArgumentError,
  InvalidPermissionError,
  InvalidSignatureError,
  InvalidStreamIdError,
  KeywayError,
  MissingSignerError,
  NonceCancelledError,
  NonceUsedError,
  RegistryNotFoundError,
  RelayError,
  RelayUnreachableError,
  RpcError,
  SignatureExpiredError,
  StreamAlreadyExistsError,
  StreamNotFoundError,
  UnauthorizedError,
  WrongChainError,
  type KeywayErrorCode,
  type KeywayErrorOptions,
} from "./errors";

// Signed messages (sdk/message)
export {
  createMessageValidator,
  createPublisher,
  DOMAIN_NAME,
  DOMAIN_VERSION,
  ENCRYPTED_STREAM_MESSAGE_TYPE,
  ENCRYPTED_STREAM_MESSAGE_TYPES,
  fromJSON,
  getCryptoBackend,
  hashStreamMessage,
  InvalidMessageError,
  MAX_CONTENT_TYPE_LENGTH,
  MAX_GROUP_KEY_ID_LENGTH,
  MAX_MSG_CHAIN_ID_LENGTH,
  MessageRejectedError,
  parseStreamMessage,
  privateKeySigner,
  signStreamMessage,
  STREAM_MESSAGE_TYPE,
  STREAM_MESSAGE_TYPES,
  streamMessageDomain,
  streamMessageTypedData,
  toJSON,
  toMessageSigner,
  useCryptoBackend,
  verifyStreamMessage,
  type BackendName,
  type CryptoBackendInfo,
  type EthersTypedDataSigner,
  type GapEvent,
  type MessageDomain,
  type MessageRef,
  type MessageRejectionReason,
  type MessageSigner,
  type MessageValidator,
  type MessageValidatorOptions,
  type OutOfOrderEvent,
  type PermissionExpiryQuery,
  type PermissionSource,
  type Publisher,
  type PublisherOptions,
  type PublishOptions,
  type SignedStreamMessage,
  type SignRequest,
  type SignerSource,
  type SignStreamMessageOptions,
  type StreamMessage,
  type StreamMessageTypedData,
} from "./message";

// Publish and subscribe through a relay (sdk/relay)
export { publish, type PublishMessageOptions, type PublishParameters, type PublishReturnType } from "./relay/publish";
export { history, type HistoryOptions, type HistoryParameters, type HistoryReturnType } from "./relay/history";
export { presence, type PresenceOptions, type PresenceParameters, type PresenceReturnType } from "./relay/presence";
export { sponsorChange, type SponsorChangeParameters, type SponsorChangeReturnType } from "./relay/sponsorChange";
export { subscribe, type SubscribeParameters, type SubscribeReturnType, type SubscriptionOptions } from "./relay/subscribe";
export { createRelaySession, type EncryptionMode, type RelaySession, type RelaySessionOptions } from "./relay/session";
export type { MessageListener, Subscription, SubscriptionEndReason, SubscriptionEvents } from "./relay/subscription";
export type { MessageMetadata, ReceivedMessage } from "./relay/receivedMessage";
export type { PresenceClient, RelayUnsubscribeReason } from "./relay/protocol";
export { Subprotocol } from "./relay/protocol";
export type { RelayEncoding } from "./relay/connection";
export { BinaryFrameError, decodeBinaryFrame, encodeBinaryFrame, type FrameDirection, type FrameObject, loadBinaryFrames } from "./relay/binaryFrames";

// End-to-end encryption (sdk/encryption, docs/encryption.md)
export { DecryptionError, InvalidKeyRequestError, type KeyRequestRule } from "./encryption/errors";
export { createGroupKey, decryptContent, encryptContent, type GroupKey } from "./encryption/groupKey";
export { checkKeyRequest, KEY_REQUEST_MAX_AGE_MS, KEY_REQUEST_TYPES, keyRequestTypedData, MAX_REQUESTED_KEYS, parseKeyRequest, signKeyRequest, type KeyRequestVerdict } from "./encryption/keyRequest";
export { isKeyResponse, unwrapGroupKeys, wrapGroupKeys } from "./encryption/keyResponse";
export type { KeyExchange, KeyExchangeStats } from "./encryption/keyExchange";
export type { KeyRequest, KeyResponse, SignedKeyRequest } from "./encryption/types";
export { createSession, type CreateSessionParameters, type CreateSessionReturnType, type Session } from "./actions/createSession";
export { issueAccessGrant, type IssueAccessGrantParameters, type IssueAccessGrantReturnType } from "./actions/issueAccessGrant";

// Session keys and access grants (sdk/delegation)
export {
  ACCESS_GRANT_TYPE,
  ACCESS_GRANT_TYPES,
  accessGrantTypedData,
  checkAccessGrant,
  checkDelegation,
  checkSessionDelegation,
  DELEGATION_TYPE,
  DELEGATION_TYPES,
  delegationTypedData,
  fromPermissionBits,
  InvalidAccessGrantError,
  InvalidDelegationError,
  parseAccessGrant,
  parseAccessGrantText,
  parseDelegation,
  PUBLISH_BIT,
  randomSalt,
  recoverAccessGrantSigner,
  recoverDelegationSigner,
  signAccessGrant,
  signDelegation,
  SUBSCRIBE_BIT,
  toPermissionBits,
  verifyAccessGrant,
  type AccessGrant,
  type AuthorityRule,
  type AuthorityVerdict,
  type Delegation,
  type SignedAccessGrant,
  type SignedDelegation,
} from "./delegation";
