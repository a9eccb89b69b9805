import type { Address, Hash, TransactionReceipt } from "viem";
import { getChainId } from "viem/actions";
import { getPermissionExpiry, hasPermission, type PermissionQuery, permissionSourceOf } from "./actions/getPermissionExpiry";
import { getPermissions } from "./actions/getPermissions";
import { createStream } from "./actions/createStream";
import { deleteStream } from "./actions/deleteStream";
import { getStreamMetadata } from "./actions/getStreamMetadata";
import { getStreamPartitions } from "./actions/getStreamPartitions";
import { assertStreamExists } from "./actions/streamExists";
import { updateStreamMetadata } from "./actions/updateStreamMetadata";
import { grantPermissions, revokePermissions, setPermissions, type StreamPermissionsUpdate } from "./actions/writePermissions";
import type { WriteParameters } from "./actions/writeRegistry";
import { chainNowSeconds } from "./actions/chainTime";
import type { RegistryPoll } from "./cache";
import { type ConnectionOptions, createContext, type RegistryContext } from "./context";
import { InvalidArgumentError, MissingSignerError } from "./errors";
import type { SignedStreamMessage } from "./message/types";
import type { PermissionAssignment } from "./permissions";
import { createSession, type CreateSessionParameters, type Session } from "./actions/createSession";
import { issueAccessGrant, type IssueAccessGrantParameters } from "./actions/issueAccessGrant";
import type { SignedAccessGrant } from "./delegation/types";
import type { MessageSigner } from "./message/signers";
import { publish, type PublishMessageOptions } from "./relay/publish";
import { history, type HistoryOptions, type HistoryReturnType } from "./relay/history";
import { presence, type PresenceOptions, type PresenceReturnType } from "./relay/presence";
import type { RelayEncoding } from "./relay/connection";
import { createRelaySession, type EncryptionMode, type RelaySession } from "./relay/session";
import type { KeyExchangeStats } from "./encryption/keyExchange";
import { sponsorChange } from "./relay/sponsorChange";
import type { SignedChange } from "./signedChange/signedChange";
import { clientMessageSigner } from "./relay/signer";
import { subscribe, type SubscriptionOptions } from "./relay/subscribe";
import type { MessageListener, Subscription } from "./relay/subscription";
import { Stream } from "./stream";
import { toKeywayError } from "./toKeywayError";

export interface KeywayClientOptions extends ConnectionOptions {
  /** Called with every write's transaction hash as soon as it is sent, before its receipt. */
  onTransactionSent?: (hash: Hash, functionName: string) => void;
  /**
   * WebSocket URL of a Keyway relay (`ws://127.0.0.1:8546` under `npm start`), for `publish` and `subscribe`;
   * or the URLs of several relays of one cluster: a lost connection moves on to the next, signs in again,
   * resumes subscriptions after the last delivered message and re-sends unacknowledged publishes.
   */
  relayUrl?: string | readonly string[];
  /**
   * Whether `publish` encrypts (docs/encryption.md): `auto` (default) on every stream the public
   * may not subscribe to, `always` or `never` on every stream. Subscriptions decrypt whatever it says.
   */
  encryption?: EncryptionMode;
  /**
   * The encoding of relay frames (docs/relay.md "Binary frames"): `auto` (default) uses the compact
   * `keyway-binary` when the relay offers it, `json` keeps JSON text frames, `binary` offers only `keyway-binary` (a relay that refuses it fails the handshake).
   */
  relayEncoding?: RelayEncoding;
}

/**
 * The Keyway client, shaped like the Streamr SDK's `StreamrClient`. Its methods are thin
 * wrappers over the actions in `sdk/actions/`, whose write parameters also take per-call
 * `gas`, `nonce` and `onSent` (`WriteParameters`) when called with `client.context`.
 */
export class KeywayClient {
  /** What the actions run on; pass it to an action to use per-call write parameters. */
  readonly context: RegistryContext;
  /** Block of the registry's deployment, when known from the options or the deployment file. */
  readonly deployBlock?: number;
  private readonly onTransactionSent?: (hash: Hash, functionName: string) => void;
  private readonly relayOptions: Pick<KeywayClientOptions, "relayUrl" | "privateKey" | "ethersSigner" | "encryption" | "relayEncoding">;
  private relaySession?: RelaySession;

  constructor(options: KeywayClientOptions = {}) {
    this.context = createContext(options);
    this.relayOptions = { relayUrl: options.relayUrl, privateKey: options.privateKey, ethersSigner: options.ethersSigner, encryption: options.encryption, relayEncoding: options.relayEncoding };
    this.deployBlock = options.deployBlock ?? options.deployment?.deployBlock;
    this.onTransactionSent = options.onTransactionSent;
  }

  /** The registry's address, checksummed. */
  get registryAddress(): Address {
    return this.context.registryAddress;
  }

  /** The signer's address, lowercase; `MissingSignerError` without a signer. */
  async getUserId(): Promise<string> {
    const { walletClient } = this.context;
    if (walletClient === undefined) throw new MissingSignerError("getUserId");
    return walletClient.account.address.toLowerCase();
  }

  /** The id of the chain the node is on. */
  async getChainId(): Promise<number> {
    try {
      return await getChainId(this.context.publicClient);
    } catch (error) {
      throw toKeywayError(error);
    }
  }

  /** Creates `<signer address><path>` with `partitions` (1 to `MAX_PARTITIONS`, default 1; kept in the metadata JSON) and an optional content `schema` (JSON Schema 2020-12, kept as `schema`); the creating receipt is `stream.receipt`. */
  async createStream(path: string, { metadata, partitions, schema }: { metadata?: string; partitions?: number; schema?: unknown } = {}): Promise<Stream> {
    const { streamId, receipt } = await createStream(this.context, { path, metadata, partitions, schema, ...this.writeParameters() });
    return new Stream(streamId, this, receipt);
  }

  /** The stream with this id; `StreamNotFoundError` if it does not exist. */
  async getStream(streamId: string): Promise<Stream> {
    return new Stream(await assertStreamExists(this.context, { streamId }), this);
  }

  deleteStream(streamId: string): Promise<TransactionReceipt> {
    return deleteStream(this.context, { streamId, ...this.writeParameters() });
  }

  getStreamMetadata(streamId: string): Promise<string> {
    return getStreamMetadata(this.context, { streamId });
  }

  /** How many partitions the stream has (its metadata's `partitions`, else 1). Cached. */
  getStreamPartitions(streamId: string): Promise<number> {
    return getStreamPartitions(this.context, { streamId });
  }

  updateStreamMetadata(streamId: string, metadata: string): Promise<TransactionReceipt> {
    return updateStreamMetadata(this.context, { streamId, metadata, ...this.writeParameters() });
  }

  /** Everyone holding a permission on the stream now (see `getPermissions` in sdk/actions for the order). */
  getPermissions(streamId: string): Promise<PermissionAssignment[]> {
    return getPermissions(this.context, { streamId });
  }

  /** Whether the user (or, with `allowPublic`, the public on its behalf) or the public holds the permission now. Cached. */
  hasPermission(query: PermissionQuery): Promise<boolean> {
    return hasPermission(this.context, query);
  }

  /** Unix seconds of the expiry of the permission held now: 0 when not held, `FOREVER` when forever. Cached. */
  getPermissionExpiry(query: PermissionQuery): Promise<number> {
    return getPermissionExpiry(this.context, query);
  }

  /** Grants all assignments in one transaction; each permission until its `expiresAt`, else forever. */
  grantPermissions(streamId: string, ...assignments: PermissionAssignment[]): Promise<TransactionReceipt> {
    return grantPermissions(this.context, { streamId, assignments, ...this.writeParameters() });
  }

  /** Revokes all assignments' permissions in one transaction. */
  revokePermissions(streamId: string, ...assignments: PermissionAssignment[]): Promise<TransactionReceipt> {
    return revokePermissions(this.context, { streamId, assignments, ...this.writeParameters() });
  }

  /** Overwrites the listed holders' permissions on one or more streams, in one transaction. */
  setPermissions(...updates: StreamPermissionsUpdate[]): Promise<TransactionReceipt> {
    return setPermissions(this.context, { updates, ...this.writeParameters() });
  }

  /**
   * Signs `content` (a JSON value, or bytes) as the next message of this client's chain on the
   * stream partition and publishes it through the relay; resolves with the signed message
   * once the relay accepted it. See `publish` in sdk/relay.
   */
  publish(streamId: string, content: unknown, options?: PublishMessageOptions): Promise<SignedStreamMessage> {
    return publish(this.relay(), { ...options, streamId, content });
  }

  /**
   * Reads the messages the relay keeps for a stream partition without subscribing, each
   * verified by this client. See `history` in sdk/relay.
   */
  history(streamId: string, options: HistoryOptions): Promise<HistoryReturnType> {
    return history(this.relay(), { ...options, streamId });
  }

  /**
   * Who is subscribed to a stream partition now, across the relay's cluster (needs Subscribe).
   * See `presence` in sdk/relay.
   */
  presence(streamId: string, options: PresenceOptions = {}): Promise<PresenceReturnType> {
    return presence(this.relay(), { ...options, streamId });
  }

  /**
   * Subscribes through the relay; `onMessage(content, metadata)` gets each message once, in
   * order, after this client verified it. See `subscribe` in sdk/relay.
   */
  subscribe(parameters: string | SubscriptionOptions, onMessage: MessageListener): Promise<Subscription> {
    return subscribe(this.relay(), { ...(typeof parameters === "string" ? { streamId: parameters } : parameters), onMessage });
  }

  /**
   * Hands a signed registry change (`signChange`, by this client's signer or anyone's) to the
   * relay, which sends it from its sponsor key: no gas from this client; resolves with the receipt. See `sponsorChange` in sdk/relay.
   */
  sponsorChange(signedChange: SignedChange, options: { onSent?: (hash: Hash) => void } = {}): Promise<TransactionReceipt> {
    return sponsorChange(this.relay(), { signedChange, ...options });
  }

  /**
   * Calls `onPoll` after every poll of the registry's events, once the cache has dropped what
   * the poll changed (also when nothing changed): a relay re-checks the listed stream/holder
   * entries (all of them when `reorg`) and gets fresh answers. Uses the cache's one watcher,
   * which runs while any listener is attached. Returns the function that stops watching.
   */
  watchPermissionChanges(onPoll: (poll: RegistryPoll) => void): () => void {
    return this.context.cache.watch(onPoll);
  }

  /**
   * What this client's end-to-end encryption did (docs/encryption.md): key requests answered
   * and refused (forged, replayed, stale, from non-holders), key responses that did not open,
   * re-keys. Zeros before the relay is used.
   */
  encryptionStats(): KeyExchangeStats {
    return { ...(this.relaySession?.keyExchange.stats ?? { requestsAnswered: 0, requestsRefused: 0, responsesRefused: 0, rekeys: 0 }) };
  }

  /** The chain's clock now, in unix seconds, estimated without a request (see `chainNowSeconds`). */
  chainNowSeconds(): number {
    return chainNowSeconds(this.context);
  }

  /**
   * Asks this client's signer for one EIP-712 signature over a `Delegation` to a fresh
   * in-memory key; the session publishes and subscribes as this client's address on
   * `streamIds` until `expiresAt`, with no further prompt. See `createSession` in sdk/actions.
   */
  createSession(parameters: Omit<CreateSessionParameters, "relayUrl" | "relayEncoding" | "holder">): Promise<Session> {
    const { relayUrl } = this.relayOptions;
    if (relayUrl === undefined) throw new InvalidArgumentError("No relay: pass relayUrl to the KeywayClient");
    return createSession(this.context, { ...parameters, relayUrl, relayEncoding: this.relayOptions.relayEncoding, holder: this.messageSigner("createSession") });
  }

  /** Signs an `AccessGrant` to `grantee` (no transaction); honoured while this client's address holds Grant. See `issueAccessGrant` in sdk/actions. */
  issueAccessGrant(parameters: Omit<IssueAccessGrantParameters, "issuer">): Promise<SignedAccessGrant> {
    return issueAccessGrant(this.context, { ...parameters, issuer: this.messageSigner("issueAccessGrant") });
  }

  /** Closes the relay connection (subscriptions end without events) and stops the event watcher and listeners; nothing is cached any more, also by reads still in flight. No timer is left behind. */
  destroy(): void {
    this.relaySession?.close();
    this.relaySession = undefined;
    this.context.cache.destroy();
  }

  /** The relay session, created on first use: the connection opens with the first request. */
  private relay(): RelaySession {
    const { relayUrl } = this.relayOptions;
    if (relayUrl === undefined) throw new InvalidArgumentError("No relay: pass relayUrl to the KeywayClient");
    this.relaySession ??= createRelaySession({
      url: relayUrl,
      context: this.context,
      permissions: permissionSourceOf(this.context),
      signer: clientMessageSigner(this.relayOptions, this.context),
      encryption: this.relayOptions.encryption,
      encoding: this.relayOptions.relayEncoding,
    });
    return this.relaySession;
  }

  private messageSigner(action: string): MessageSigner {
    const signer = clientMessageSigner(this.relayOptions, this.context);
    if (signer === undefined) throw new MissingSignerError(action);
    return signer;
  }

  private writeParameters(): WriteParameters {
    return { onSent: this.onTransactionSent };
  }
}
