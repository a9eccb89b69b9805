import type { Address, Hex } from "viem";
import { getPermissions } from "../actions/getPermissions";
import type { RegistryContext } from "../context";
import { MissingSignerError, UnauthorizedError } from "../errors";
import { createAuthorityContext, type AuthorityContext } from "../delegation/check";
import type { SignedAccessGrant, SignedDelegation } from "../delegation/types";
import { setBounded } from "../message/boundedMap";
import type { MessageSigner } from "../message/signers";
import type { MessageDomain, SignedStreamMessage } from "../message/types";
import { isPublicAssignment, type PermissionSource, StreamPermission } from "../permissions";
import type { PushFrame, RelayConnection } from "../relay/connection";
import { DecryptionError, InvalidKeyRequestError } from "./errors";
import { createGroupKey, decryptContent, type GroupKey } from "./groupKey";
import { checkKeyRequest, createReplayGuard, type KeyRequestVerdict, MAX_REQUESTED_KEYS, requesterRight, signKeyRequest } from "./keyRequest";
import type { SignedKeyRequest } from "./types";
import { isKeyResponse, MAX_RESPONSE_KEYS, unwrapGroupKeys, wrapGroupKeys } from "./keyResponse";
import { createRekeyWatch, type RekeyWatch } from "./rekeyWatch";
import { type AgreementKeyPair, generateAgreementKeyPair } from "./webCrypto";
import { bytesToHex, hexToBytes } from "../message/hex";

/** How long a subscriber waits for keys it asked for, in all (then DecryptionError `key-unavailable`). */
export const DEFAULT_KEY_TIMEOUT_MS = 10_000;
/** How long the publisher itself has to answer before the other Subscribe holders are asked too, and between later rounds. */
export const DEFAULT_PUBLISHER_ANSWER_MS = 1_500;
/** How long a subscriber that knows a publisher's earlier key waits for the next one to be pushed before asking. */
export const REKEY_PUSH_WAIT_MS = 250;
/** Other holders asked at once when the publisher does not answer. */
export const MAX_HOLDERS_ASKED = 32;
/** Keys a client keeps: its own per stream (for history), and others' (each ~200 bytes). */
export const MAX_OWN_KEYS_PER_STREAM = 1_000;
export const MAX_RECEIVED_KEYS = 10_000;
/** Requesters a publisher re-keys per stream without their asking. */
export const MAX_RECIPIENTS_PER_STREAM = 10_000;

export interface KeyExchangeOptions {
  connection: Pick<RelayConnection, "request">;
  context: RegistryContext;
  permissions: PermissionSource;
  domain: () => Promise<MessageDomain>;
  /** Signs key requests: the client's signer (a session key's, then with its `delegation`). */
  signer?: MessageSigner;
  delegation?: SignedDelegation;
  keyTimeoutMs?: number;
  publisherAnswerMs?: number;
}

/** Counters of what the key exchange refused (docs/encryption.md). */
export interface KeyExchangeStats {
  requestsAnswered: number;
  requestsRefused: number;
  responsesRefused: number;
  rekeys: number;
}

/**
 * A client's side of end-to-end encryption (docs/encryption.md): its group keys per stream
 * (created on first encrypted publish, replaced when a reader loses access), the keys it
 * received, and the exchange through the relay: signed key requests out, answers wrapped to
 * the request's one-time X25519 key back; requests from others answered after the same check
 * the relay makes (`checkKeyRequest`).
 */
export interface KeyExchange {
  /** This client's current key on the stream (created on first use; then the stream is watched for losses of access). */
  currentKey(streamId: string): Promise<GroupKey>;
  /**
   * The plaintext of an encrypted message (validated already): its key known, pushed, or asked
   * for (with `grant` when the subscription rests on one). Rejects with DecryptionError:
   * `key-unavailable` when no key came in time, `not-authentic` when the ciphertext does not
   * open under it (a received key that fails is dropped and asked for once more first).
   */
  decrypt(message: SignedStreamMessage, grant?: SignedAccessGrant): Promise<Uint8Array>;
  /** Readies what a first key request needs (the one-time key pair, the open inbox), in the background: a subscription calls it, so its first encrypted message waits one round trip less. */
  prepare(): void;
  /** A `keyRequest` or `keyResponse` pushed by the relay. */
  receive(frame: PushFrame): void;
  /** Whether the connection must stay open (this client holds keys others may ask for). */
  readonly needed: boolean;
  /** After a reconnect: opens the inbox again. */
  reconnected(): void;
  readonly stats: KeyExchangeStats;
  close(): void;
}

/** A subscriber's keys on their way from one publisher of one stream. */
interface Waiting {
  publisher: Address;
  ids: Set<string>;
  grant?: SignedAccessGrant;
  waiters: Array<{ id: string; resolve: (key: GroupKey) => void; reject: (error: Error) => void }>;
  timers: Array<ReturnType<typeof setTimeout>>;
}

interface Recipient {
  request: SignedKeyRequest;
}

const keyName = (publisher: Address, id: string) => `${publisher}|${id}`;

export function createKeyExchange(options: KeyExchangeOptions): KeyExchange {
  const { connection, context, permissions, signer, delegation } = options;
  const keyTimeoutMs = options.keyTimeoutMs ?? DEFAULT_KEY_TIMEOUT_MS;
  const publisherAnswerMs = options.publisherAnswerMs ?? DEFAULT_PUBLISHER_ANSWER_MS;
  const stats: KeyExchangeStats = { requestsAnswered: 0, requestsRefused: 0, responsesRefused: 0, rekeys: 0 };
  /** Own keys per stream (for history), and the one each stream's messages use now. */
  const own = new Map<string, Map<string, GroupKey>>();
  const current = new Map<string, GroupKey>();
  const creating = new Map<string, Promise<GroupKey>>();
  const received = new Map<string, GroupKey>();
  /** Publishers some key was received from: a re-key of theirs is pushed without asking. */
  const keyedPublishers = new Map<Address, true>();
  /** Keys that did not come lately, and why: asked for again only once `until` passed. */
  const unavailable = new Map<string, { until: number; error: Error }>();
  const waiting = new Map<string, Waiting>();
  /** Per stream, the readers this client answered, by their one-time key (one per client: a holder's several devices each). */
  const recipients = new Map<string, Map<Hex, Recipient>>();
  const guard = createReplayGuard();
  let agreementKeys: Promise<AgreementKeyPair> | undefined;
  let authority: Promise<AuthorityContext> | undefined;
  let address: Promise<Address> | undefined;
  let inbox: Promise<unknown> | undefined;
  /** Opened once: opened again on every new connection. */
  let inboxWanted = false;
  let watch: RekeyWatch | undefined;
  let closed = false;

  const ownKeys = () => (agreementKeys ??= generateAgreementKeyPair());
  const authorityContext = () => (authority ??= options.domain().then((domain) => createAuthorityContext(domain, permissions)));
  const ownAddress = () => (address ??= Promise.resolve(signer!.getAddress()).then((a) => a.toLowerCase() as Address));
  // Refusals are counted (`stats`), never thrown at the application.
  const refused = (counter: "requestsRefused" | "responsesRefused") => void (stats[counter] += 1);

  /** Opens this connection's inbox once (again after a reconnect): key requests and answers reach it from then on. */
  function openInbox(): Promise<unknown> {
    inboxWanted = true;
    if (inbox === undefined) {
      inbox = connection.request({ type: "openInbox" });
      inbox.catch(() => (inbox = undefined));
    }
    return inbox;
  }

  async function newKey(streamId: string): Promise<GroupKey> {
    const key = await createGroupKey(await ownAddress());
    let keys = own.get(streamId);
    if (keys === undefined) own.set(streamId, (keys = new Map()));
    setBounded(keys, key.id, key, MAX_OWN_KEYS_PER_STREAM);
    current.set(streamId, key);
    return key;
  }

  async function currentKey(streamId: string): Promise<GroupKey> {
    const key = current.get(streamId);
    if (key !== undefined) return key;
    let pending = creating.get(streamId);
    if (pending === undefined) {
      pending = (async () => {
        if (signer === undefined) throw new MissingSignerError("encrypting");
        await openInbox();
        const key = await newKey(streamId);
        watch ??= createRekeyWatch(context, (lost) => void rekey(lost));
        await watch.follow(streamId);
        return key;
      })().finally(() => creating.delete(streamId));
      creating.set(streamId, pending);
    }
    return pending;
  }

  /**
   * Someone lost the right to read `streamId`: a fresh key, in use from the next message, sent
   * to every requester that still may read, wrapped to the key of its last request.
   */
  async function rekey(streamId: string): Promise<void> {
    if (closed || !own.has(streamId)) return;
    stats.rekeys += 1;
    const key = await newKey(streamId);
    const context = await authorityContext();
    const now = Date.now();
    const list = recipients.get(streamId) ?? new Map<Hex, Recipient>();
    await Promise.all(
      [...list].map(async ([publicKey, { request }]) => {
        try {
          await requesterRight(context, request, now);
        } catch {
          list.delete(publicKey);
          return;
        }
        await send(request, [key]).catch(() => undefined); // lost with the connection: it asks on its next message
      }),
    );
  }

  async function send(request: SignedKeyRequest, keys: GroupKey[]): Promise<void> {
    const response = await wrapGroupKeys(request.streamId, request, keys);
    await connection.request({ type: "keyResponse", to: request.requester, response });
  }

  /** Answers a request another client made, if this client has what it asks for and may give it. */
  async function answer(value: unknown): Promise<void> {
    const now = Date.now();
    const context = await authorityContext();
    let verdict: KeyRequestVerdict;
    try {
      verdict = await checkKeyRequest(context, value, now);
      if (!guard.admit(verdict.request, now)) throw new InvalidKeyRequestError("replayed", "it was answered already");
    } catch {
      return refused("requestsRefused");
    }
    const { request } = verdict;
    // Its own request, back through the inbox it shares with the other clients of its address.
    if (request.publicKey === bytesToHex((await ownKeys()).publicKey)) return;
    const self = await ownAddress();
    let keys: GroupKey[];
    if (request.publisher === self) {
      const mine = own.get(request.streamId);
      if (mine === undefined) return;
      // The keys asked for that this client made (another client of the same address may have made the rest), or its current one.
      keys = request.groupKeyIds.length === 0 ? [current.get(request.streamId)!] : request.groupKeyIds.flatMap((id) => mine.get(id) ?? []);
      if (keys.length === 0) return;
      let list = recipients.get(request.streamId);
      if (list === undefined) recipients.set(request.streamId, (list = new Map()));
      setBounded(list, request.publicKey, { request }, MAX_RECIPIENTS_PER_STREAM);
    } else {
      // Another holder's keys, given on the publisher's behalf while it is away: only to readers
      // whose right the publisher's own watch follows (not an access grant it never saw), and
      // only while this client may read too.
      if (request.grant !== undefined || !(await holdsSubscribe(request.streamId, self, now))) return;
      keys = request.groupKeyIds.flatMap((id) => received.get(keyName(request.publisher, id)) ?? []);
      if (keys.length === 0) return;
    }
    stats.requestsAnswered += 1;
    await send(request, keys.slice(-MAX_RESPONSE_KEYS));
  }

  async function holdsSubscribe(streamId: string, userId: Address, now: number): Promise<boolean> {
    return (await permissions.getPermissionExpiry({ streamId, userId, permission: StreamPermission.SUBSCRIBE, allowPublic: true })) * 1000 > now;
  }

  async function accept(value: unknown): Promise<void> {
    let keys: GroupKey[];
    try {
      if (!isKeyResponse(value)) throw new RangeError("not a key response");
      keys = await unwrapGroupKeys(value, await ownKeys());
    } catch {
      return refused("responsesRefused"); // not wrapped to this client's key, or malformed
    }
    for (const key of keys) {
      setBounded(received, keyName(key.publisher, key.id), key, MAX_RECEIVED_KEYS);
      setBounded(keyedPublishers, key.publisher, true, MAX_RECEIVED_KEYS);
      for (const [name, entry] of waiting) {
        if (entry.publisher !== key.publisher || !entry.ids.delete(key.id)) continue;
        entry.waiters = entry.waiters.filter((waiter) => waiter.id !== key.id || void waiter.resolve(key));
        if (entry.waiters.length === 0) settle(name);
      }
    }
  }

  function settle(name: string, error?: Error): void {
    const entry = waiting.get(name);
    if (entry === undefined) return;
    waiting.delete(name);
    entry.timers.forEach(clearTimeout);
    if (error === undefined) return;
    entry.waiters.forEach((w) => w.reject(error));
    // The next messages under these keys fail at once for a while, not each after a full wait of its own.
    const until = Date.now() + keyTimeoutMs;
    for (const id of entry.ids) setBounded(unavailable, keyName(entry.publisher, id), { until, error }, MAX_RECEIVED_KEYS);
  }

  /** Asks `to` for the keys `entry` waits for (signed now: each ask is a fresh request). */
  async function ask(streamId: string, publisher: Address, entry: Waiting, to: Address[]): Promise<void> {
    if (to.length === 0 || entry.waiters.length === 0) return;
    const [domain, pair] = await Promise.all([options.domain(), ownKeys(), openInbox()]);
    const request = await signKeyRequest(
      {
        streamId,
        requester: await ownAddress(),
        publisher,
        publicKey: bytesToHex(pair.publicKey),
        groupKeyIds: [...entry.ids].slice(0, MAX_REQUESTED_KEYS),
        timestamp: Date.now(),
      },
      { signer: signer!, domain, delegation, grant: entry.grant },
    );
    await connection.request({ type: "keyRequest", to, request });
  }

  /** Other Subscribe holders, when the publisher did not answer: any of them that holds the key may. */
  async function otherHolders(streamId: string, publisher: Address): Promise<Address[]> {
    const self = await ownAddress();
    const assignments = await getPermissions(context, { streamId });
    return assignments
      .flatMap((a) => (!isPublicAssignment(a) && a.permissions.includes(StreamPermission.SUBSCRIBE) ? [a.userId.toLowerCase() as Address] : []))
      .filter((holder) => holder !== self && holder !== publisher)
      .slice(0, MAX_HOLDERS_ASKED);
  }

  /**
   * Asks for what `entry` waits for: the publisher first; from the second round on, the
   * stream's other Subscribe holders too (any of them holding the key may answer). A round
   * whose frames were lost with a dropped connection is followed by the next, until `keyTimeoutMs`.
   * Knowing an earlier key of this publisher, it first waits a moment for a re-key's push.
   */
  function startAsking(name: string, streamId: string, entry: Waiting): void {
    const { publisher } = entry;
    const later = (ms: number, run: () => void) => entry.timers.push(setTimeout(run, ms));
    let holders: Promise<Address[]> | undefined;
    const round = (number: number) => {
      if (waiting.get(name) !== entry) return;
      const others = number === 0 ? Promise.resolve([]) : (holders ??= otherHolders(streamId, publisher).catch(() => []));
      void others
        .then((to) => ask(streamId, publisher, entry, [publisher, ...to]))
        .catch((error: unknown) => {
          // The relay judged this client no reader of the stream (revoked, expired): no key will come. Anything else: the next round asks again.
          if (error instanceof UnauthorizedError) settle(name, new DecryptionError("key-unavailable", `the relay refused this client's key request: ${error.message}`, { cause: error }));
        });
      later(publisherAnswerMs, () => round(number + 1));
    };
    if (keyedPublishers.has(publisher)) later(REKEY_PUSH_WAIT_MS, () => round(0));
    else round(0);
    later(keyTimeoutMs, () => settle(name, new DecryptionError("key-unavailable", `no key ${[...entry.ids].join(", ")} of ${publisher} on ${streamId} arrived within ${keyTimeoutMs} ms`)));
  }

  function keyFor(message: SignedStreamMessage, grant?: SignedAccessGrant): Promise<GroupKey> {
    const { streamId, publisher } = message;
    const id = message.groupKeyId!;
    const known = received.get(keyName(publisher, id)) ?? own.get(streamId)?.get(id);
    if (known !== undefined) return Promise.resolve(known);
    const failed = unavailable.get(keyName(publisher, id));
    if (failed !== undefined && failed.until > Date.now()) return Promise.reject(failed.error);
    if (signer === undefined) return Promise.reject(new DecryptionError("key-unavailable", `the message is encrypted, and asking for its key needs a signer`));
    const name = `${streamId}|${publisher}`;
    return new Promise((resolve, reject) => {
      let entry = waiting.get(name);
      const fresh = entry === undefined;
      if (entry === undefined) waiting.set(name, (entry = { publisher, ids: new Set(), grant, waiters: [], timers: [] }));
      entry.ids.add(id);
      entry.waiters.push({ id, resolve, reject });
      if (fresh) startAsking(name, streamId, entry);
    });
  }

  async function decrypt(message: SignedStreamMessage, grant?: SignedAccessGrant): Promise<Uint8Array> {
    const ciphertext = hexToBytes(message.content);
    for (let attempt = 1; ; attempt++) {
      const key = await keyFor(message, grant);
      try {
        return await decryptContent(message.streamId, key, ciphertext);
      } catch (error) {
        const name = keyName(key.publisher, key.id);
        // A key another client handed over may be wrong (anyone holding Subscribe can push one): ask again, once.
        if (attempt === 1 && received.get(name) === key) {
          received.delete(name);
          continue;
        }
        throw new DecryptionError("not-authentic", `the content of ${message.publisher}'s message ${message.timestamp}/${message.sequenceNumber} does not authenticate under key ${key.id}`, { cause: error });
      }
    }
  }

  return {
    currentKey,
    decrypt,
    prepare() {
      if (signer === undefined || closed) return;
      void ownKeys();
      void openInbox().catch(() => undefined);
    },
    receive(frame) {
      if (closed) return;
      if (frame.type === "keyRequest") void answer(frame.request).catch(() => refused("requestsRefused"));
      else if (frame.type === "keyResponse") void accept(frame.response);
    },
    get needed() {
      return own.size > 0;
    },
    reconnected() {
      inbox = undefined;
      if (inboxWanted) void openInbox().catch(() => undefined);
    },
    stats,
    close() {
      closed = true;
      watch?.stop();
      for (const name of [...waiting.keys()]) settle(name, new DecryptionError("key-unavailable", "the client was closed"));
    },
  };
}
