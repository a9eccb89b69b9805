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
 * to the client, or call an action with `client.context` and `{ onSent }` in its `WriteOptions`
 * (which also take viem-style `gas`, `nonce`, `maxFeePerGas`, `maxPriorityFeePerGas`):
 *
 * ```ts
 * await grantPermissions(client.context, streamId, assignments, { onSent: (hash) => console.log(`waiting for ${hash}`) });
 * ```
 *
 * Node-only helpers (`readDeployment`) live in `keyway/node` (sdk/node.ts), not here, so this
 * module bundles for browsers.
 */
export { KeywayClient, type KeywayClientOptions } from "./client";
export { Stream, type StreamPermissionQuery } from "./stream";
export type { ConnectionOptions } from "./createContext";
export type { RegistryContext } from "./context";
export { deployStreamRegistry, type Deployment } from "./deployment";
export { streamRegistryAbi, streamRegistryBytecode } from "./abi";

export { createStream, deleteStream, getStreamMetadata, streamExists, updateStreamMetadata, type CreateStreamResult } from "./actions/streams";
export { grantPermissions, revokePermissions, setPermissions, type StreamPermissionsUpdate } from "./actions/writePermissions";
export { getPermissions } from "./actions/getPermissions";
export { getPermissionExpiry, hasPermission, type PermissionQuery } from "./actions/getPermissionExpiry";
export { chainNowSeconds, latestChainTime, type ChainTime } from "./actions/chainTime";
export type { RegistryPoll } from "./cache";
export type { WriteOptions } from "./actions/writeRegistry";
export { holderAddress, type HolderSelector } from "./assignments";
export { isPrivateKey } from "./privateKey";
export { ethersAccount, ethersTransport, type EthersProvider, type EthersSigner } from "./ethers";

export * from "./errors";
export * from "./permissions";
export * from "./streamId";
export * from "./message";
export * from "./delegation";

export { publish, type PublishParameters, type PublishReturnType } from "./relay/publish";
export { subscribe, type SubscribeParameters, type SubscribeReturnType } from "./relay/subscribe";
export { createRelaySession, type RelaySession, type RelaySessionOptions } from "./relay/session";
export type { MessageListener, MessageMetadata, Subscription, SubscriptionEndReason, SubscriptionEvents } from "./relay/subscription";
export type { RelayUnsubscribeReason } from "./relay/protocol";
export { createSession, type CreateSessionOptions, type CreateSessionParameters, type CreateSessionReturnType, type Session } from "./actions/createSession";
export { issueAccessGrant, type IssueAccessGrantParameters, type IssueAccessGrantReturnType } from "./actions/issueAccessGrant";
