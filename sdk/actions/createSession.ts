import { createWalletClient, custom, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { RegistryContext } from "../context";
import { toPermissionBits } from "../delegation/permissionBits";
import { futureUnixSeconds, randomSalt, signDelegation } from "../delegation/sign";
import type { SignedDelegation } from "../delegation/types";
import { InvalidArgumentError } from "../errors";
import { privateKeySigner, type MessageSigner } from "../message/signers";
import type { SignedStreamMessage } from "../message/types";
import type { StreamPermission } from "../permissions";
import { normalizeStreamId } from "../streamId";
import { signInToRelay } from "../relay/auth";
import { publish, type PublishMessageOptions } from "../relay/publish";
import type { RelayEncoding } from "../relay/connection";
import { createRelaySession, readDomain } from "../relay/session";
import { subscribe, type SubscriptionOptions } from "../relay/subscribe";
import type { MessageListener, Subscription } from "../relay/subscription";
import { permissionSourceOf } from "./getPermissionExpiry";

export interface CreateSessionParameters {
  streamIds: string[];
  /** Publish and/or Subscribe. */
  permissions: StreamPermission[];
  /** When the session ends; must be in the future. */
  expiresAt: Date;
  /** The relay (or relays, tried in turn on failure) the session publishes and subscribes through. */
  relayUrl: string | readonly string[];
  /** How the session's relay frames are encoded; default `auto` (see `KeywayClientOptions.relayEncoding`). */
  relayEncoding?: RelayEncoding;
  /** The holder's signer: asked once, for the delegation. */
  holder: MessageSigner;
}

/** A session key acting as its holder on the delegation's streams, without a wallet prompt per message. */
export interface Session {
  /** The holder, lowercase: every message names it as `publisher`. */
  readonly address: Address;
  /** The signed delegation, carried by every message and sent in the relay's `auth`. */
  readonly delegation: SignedDelegation;
  /** As `KeywayClient.publish`, signed by the session key. */
  publish(streamId: string, content: unknown, options?: PublishMessageOptions): Promise<SignedStreamMessage>;
  /** As `KeywayClient.subscribe`, signed in as the holder through the delegation. */
  subscribe(parameters: string | SubscriptionOptions, onMessage: MessageListener): Promise<Subscription>;
  /** Closes the session's relay connection; the key is forgotten with the object. */
  close(): void;
}

export type CreateSessionReturnType = Session;

/**
 * Creates a session key in memory and asks the holder's wallet for one EIP-712 signature
 * over a `Delegation` to it; the session then publishes (messages carry the delegation) and
 * subscribes (its relay `auth` carries it) as the holder, until `expiresAt` or until the
 * holder loses the right on chain. Its subscriptions learn permissions from the context's cache.
 *
 * @example
 * const session = await createSession(client.context, { streamIds: [streamId], permissions: [StreamPermission.PUBLISH], expiresAt: new Date(Date.now() + 3_600_000), relayUrl, holder });
 * await session.publish(streamId, { temperature: 21.5 }); // no wallet prompt
 */
export async function createSession(context: RegistryContext, parameters: CreateSessionParameters): Promise<CreateSessionReturnType> {
  if (!Array.isArray(parameters.streamIds)) throw new InvalidArgumentError("streamIds must be an array of stream ids");
  const unsigned = {
    streamIds: parameters.streamIds.map(normalizeStreamId),
    permissions: toPermissionBits(parameters.permissions),
    expiresAt: futureUnixSeconds(parameters.expiresAt),
    salt: randomSalt(),
  };
  const key = generatePrivateKey();
  const account = privateKeyToAccount(key);
  const domain = await readDomain(context);
  const delegation = await signDelegation({ delegate: account.address.toLowerCase() as Address, ...unsigned }, { signer: parameters.holder, domain });
  const address = (await parameters.holder.getAddress()).toLowerCase() as Address;
  // A wallet client only to sign in: a local account signs without a node.
  const sessionWallet = createWalletClient({ account, transport: custom({ request: () => Promise.reject(new Error("a session key only signs")) }) });
  const relay = createRelaySession({
    url: parameters.relayUrl,
    context,
    permissions: permissionSourceOf(context),
    signer: { getAddress: () => address, sign: privateKeySigner(key).sign },
    authenticate: async (hello, url) => ({ ...(await signInToRelay(sessionWallet, url, hello)), delegation }),
    carried: { delegation },
    encoding: parameters.relayEncoding,
  });
  return {
    address,
    delegation,
    publish: (streamId, content, options) => publish(relay, { ...options, streamId, content }),
    subscribe: (parameters, onMessage) => subscribe(relay, { ...(typeof parameters === "string" ? { streamId: parameters } : parameters), onMessage }),
    close: () => relay.close(),
  };
}
