import { getChainId } from "viem/actions";
import type { RegistryContext } from "../context";
import { InvalidArgumentError, RelayUnreachableError } from "../errors";
import type { Publisher } from "../message/publisher";
import type { MessageDomain } from "../message/types";
import type { MessageSigner } from "../message/signers";
import type { PermissionSource } from "../permissions";
import type { ContentRules } from "../message/content";
import { streamContentRules } from "../contentRules";
import { toKeywayError } from "../toKeywayError";
import type { SignedDelegation } from "../delegation/types";
import { signInToRelay } from "./auth";
import type { AuthRequest, HelloFrame } from "./protocol";
import { createRelayConnection, type RelayConnection, type RelayEncoding } from "./connection";
import { createConnectionSubscriptions, type ConnectionSubscriptions } from "./subscriptions";
import { createKeyExchange, type KeyExchange } from "../encryption/keyExchange";

/**
 * Whether published messages are encrypted (docs/encryption.md): `auto` (the default) encrypts
 * on a stream the public may not subscribe to, `always` and `never` force it either way.
 * Received messages are decrypted whatever this says.
 */
export type EncryptionMode = "auto" | "always" | "never";

export interface RelaySessionOptions {
  /** ws:// or wss:// URL of the relay, or of several relays of one cluster (a lost connection moves on to the next). */
  url: string | readonly string[];
  /** The registry, the node and the signer (when there is one, the connection signs in with it). */
  context: RegistryContext;
  /** Signs published messages (a private key signs digests natively; see `walletClientSigner`). */
  signer?: MessageSigner;
  /** Where subscribers' validators learn permissions (the client's cached `getPermissionExpiry`). */
  permissions: PermissionSource;
  /** Signs the connection in instead of the context's wallet client (a session key with its delegation). */
  authenticate?: (hello: HelloFrame, url: string) => Promise<Omit<AuthRequest, "type">>;
  /** Carried by every published message: a session's `delegation` (sdk/delegation). */
  carried?: { delegation: SignedDelegation };
  /** Whether to encrypt what this client publishes; default `auto`. */
  encryption?: EncryptionMode;
  /** How frames are encoded: `auto` (default: binary when the relay offers it), `json` or `binary`. */
  encoding?: RelayEncoding;
  /** See `RelayConnectionOptions`. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

/**
 * What the relay actions (`publish`, `subscribe`) run on, as the registry actions run on a
 * RegistryContext: one shared connection, its subscriptions, and the client's publishers.
 */
export interface RelaySession {
  /** The relays, in the order they are tried. */
  readonly urls: readonly string[];
  readonly context: RegistryContext;
  readonly permissions: PermissionSource;
  /** The streams' content rules (metadata `schema`), compiled once for every subscription and history query of the session. */
  readonly contentRules: ContentRules;
  readonly signer?: MessageSigner;
  /** Carried by every published message (a session's delegation). */
  readonly carried?: { delegation: SignedDelegation };
  readonly connection: RelayConnection;
  readonly subscriptions: ConnectionSubscriptions;
  /** One message chain per stream partition this client publishes to. */
  readonly publishers: Map<string, Publisher>;
  readonly encryption: EncryptionMode;
  /** The client's group keys and their exchange through the relay. */
  readonly keyExchange: KeyExchange;
  /** The chain and registry messages are signed for and verified against (asks the node once). */
  domain(): Promise<MessageDomain>;
  /** Closes the connection; subscriptions end without events, pending requests fail. */
  close(): void;
}

/** The chain and registry of `context`: the domain messages, delegations and grants are signed for. */
export async function readDomain(context: RegistryContext): Promise<MessageDomain> {
  let chainId = context.expectedChainId;
  try {
    chainId ??= await getChainId(context.publicClient);
  } catch (error) {
    throw toKeywayError(error);
  }
  return { chainId, verifyingContract: context.registryAddress };
}

function checkRelayUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new InvalidArgumentError(`relayUrl is not a URL: ${url}`, { cause: error });
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") throw new InvalidArgumentError(`relayUrl must be ws:// or wss://, got ${url}`);
}

/**
 * Creates the session of a client with a relay; nothing connects before the first request.
 *
 * @example
 * const session = createRelaySession({ url: "ws://127.0.0.1:8546", context: client.context, permissions: client });
 * const sub = await subscribe(session, { streamId, onMessage: (content) => console.log(content) });
 */
export function createRelaySession(options: RelaySessionOptions): RelaySession {
  const { context, permissions } = options;
  const urls = typeof options.url === "string" ? [options.url] : [...options.url];
  if (urls.length === 0) throw new InvalidArgumentError("relayUrl needs at least one URL");
  urls.forEach(checkRelayUrl);

  const { walletClient } = context;
  const subscriptions = createConnectionSubscriptions(() => connection);
  const keyExchange = createKeyExchange({
    connection: { request: (frame) => connection.request(frame) },
    context,
    permissions,
    domain: () => session.domain(),
    signer: options.signer,
    delegation: options.carried?.delegation,
  });
  const connection = createRelayConnection({
    urls,
    authenticate: options.authenticate ?? (walletClient && ((hello, url) => signInToRelay(walletClient, url, hello))),
    onPush: (frame) => (frame.type === "keyRequest" || frame.type === "keyResponse" ? keyExchange.receive(frame) : subscriptions.route(frame)),
    onReconnected: () => {
      subscriptions.resubscribeAll();
      keyExchange.reconnected();
    },
    onFailure: (error) => subscriptions.endAll(error),
    // A publisher of an encrypted stream stays connected: readers ask it for keys.
    isNeeded: () => subscriptions.size > 0 || keyExchange.needed,
    reconnectDelayMs: options.reconnectDelayMs,
    maxReconnectDelayMs: options.maxReconnectDelayMs,
    encoding: options.encoding,
  });

  let domain: Promise<MessageDomain> | undefined;
  const session: RelaySession = {
    urls,
    context,
    permissions,
    contentRules: streamContentRules(context),
    signer: options.signer,
    carried: options.carried,
    connection,
    subscriptions,
    publishers: new Map(),
    encryption: options.encryption ?? "auto",
    keyExchange,
    domain() {
      if (domain === undefined) {
        const reading = readDomain(context);
        // A node that did not answer is asked again next time.
        reading.catch(() => (domain = undefined));
        domain = reading;
      }
      return domain;
    },
    close() {
      subscriptions.endAll(new RelayUnreachableError(urls.join(", "), "the client was destroyed"), true);
      keyExchange.close();
      connection.close();
    },
  };
  return session;
}
