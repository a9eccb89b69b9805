import { createAuthorityContext, type MaybePromise, whenKnown } from "../delegation/check";
import { type CarriedAuthority, carriesAuthority, checkAuthorizedMessage, splitCarriedAuthority } from "../delegation/message";
import { InvalidArgumentError } from "../errors";
import { type PermissionSource, StreamPermission } from "../permissions";
import { chainKeyOf, createChainTracker, type GapEvent, type OutOfOrderEvent } from "./chains";
import { checkContentRule, type ContentRules, isEncrypted } from "./content";
import { hexToBytes } from "./hex";
import { InvalidMessageError, MessageRejectedError, type MessageRejectionReason } from "./errors";
import { createForgottenHorizons } from "./forgotten";
import { domainSeparator } from "./hash";
import { normalizeStreamIdCached, parseSignedStreamMessage, UINT32_MAX } from "./parse";
import type { MessageDomain, SignedStreamMessage } from "./types";
import { isKeyOf, type RecoverPublicKeyAsync, recoverInThread, type RecoveryInput, recoveryInputOf } from "./verify";

/** Positions remembered per chain by default. */
export const DEFAULT_WINDOW_SIZE = 256;
/** Chains remembered by default. */
export const DEFAULT_MAX_CHAINS = 10_000;
/** Publishers whose forgotten chains' horizons a live validator keeps, by default (each ~100 bytes). */
export const DEFAULT_MAX_FORGOTTEN_PUBLISHERS = 100_000;

export interface MessageValidatorOptions {
  /** The chain and registry messages must be signed for. */
  domain: MessageDomain;
  permissions: PermissionSource;
  /** How far a timestamp may be ahead of the local clock, in ms (default 10 s). */
  maxClockSkewMs?: number;
  /** Positions remembered per chain for duplicate detection (default 256). */
  windowSize?: number;
  /** Chains remembered, least recently used forgotten first (default 10,000). */
  maxChains?: number;
  /**
   * Judges live messages (a relay): refuses as `stale` a message dated more than this many ms
   * behind the local clock, and, within that window, a message of a chain not remembered dated
   * at or before the newest position of a chain of the same publisher forgotten (anyone can push
   * a chain out by publishing on `maxChains` others, then replay its messages). Not for a
   * subscriber, whose resumes replay history (default: none, any age).
   */
  maxMessageAgeMs?: number;
  /** With `maxMessageAgeMs`: publishers whose forgotten horizons are kept within the window (default 100,000; see sdk/message/forgotten.ts). */
  maxForgottenPublishers?: number;
  onGap?: (gap: GapEvent) => void;
  onOutOfOrder?: (event: OutOfOrderEvent) => void;
  /** Unix milliseconds; `Date.now` by default. */
  now?: () => number;
  /**
   * Where publishers' keys are recovered from signatures: by default in this thread, at once.
   * A relay passes its worker threads (relay/recoveryThreads.ts) so that the most expensive
   * step of validation runs beside the rest. Messages carrying a delegation or grant are
   * recovered in this thread either way.
   */
  recoverPublicKey?: RecoverPublicKeyAsync;
  /**
   * The streams' content rules (their metadata's `schema`, sdk/contentRules.ts): a message whose
   * content breaks its stream's is refused as `schema`, after its signature and permission hold.
   * An encrypted message (with a `groupKeyId`) is not judged here. Default: none.
   */
  contentRules?: ContentRules;
}

/** A stream partition: where a message must belong to be delivered. */
export interface StreamPartition {
  /** Normalised before comparing (the address part lowercased), so a checksummed id is fine. */
  streamId: string;
  partition: number;
}

export interface MessageValidator {
  /**
   * Resolves with the message (parsed: only its fields, and the `delegation` or `grant` it
   * carries, parsed) if a subscriber of `expected` may
   * deliver it; rejects with a MessageRejectedError whose `reason` says why not (a valid
   * message of another stream or partition is `wrong-stream`). Rejects with
   * InvalidArgumentError when `expected` is missing or malformed: the caller's mistake, not
   * the message's. Errors of the permission source (RPC failures) pass through unchanged:
   * they say nothing about the message.
   *
   * @example
   * const message = await validator.validate(JSON.parse(text), { streamId, partition: 0 });
   */
  validate(message: unknown, expected: StreamPartition): Promise<SignedStreamMessage>;
  /**
   * Forgets a message `validate` accepted, so that the same message validates again: for a
   * caller that could not deliver it (a relay whose broker refused it, asking the publisher
   * to publish again).
   */
  forget(message: SignedStreamMessage): void;
}

const ignore = (): void => undefined;

function reject(reason: MessageRejectionReason, detail: string, cause?: unknown): never {
  throw new MessageRejectedError(reason, detail, cause === undefined ? undefined : { cause });
}

function isUnsigned(message: unknown): boolean {
  if (typeof message !== "object" || message === null) return false;
  const { signature } = message as { signature?: unknown };
  return signature === undefined || signature === "" || signature === "0x";
}

/** A value for an error message: never throws (String() does on an object whose toString is not a function). */
function shown(value: unknown): string {
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}

/** The canonical id of the expected stream; throws InvalidArgumentError unless `expected` is a StreamPartition. */
function expectedStreamId(expected: unknown): string {
  if (typeof expected !== "object" || expected === null) {
    throw new InvalidArgumentError("validate(message, expected) needs the expected { streamId, partition }");
  }
  const { streamId, partition } = expected as { streamId?: unknown; partition?: unknown };
  if (typeof partition !== "number" || !Number.isInteger(partition) || partition < 0 || partition > UINT32_MAX) {
    throw new InvalidArgumentError(`expected.partition must be an integer from 0 to ${UINT32_MAX}, got ${shown(partition)}`);
  }
  if (typeof streamId !== "string") throw new InvalidArgumentError(`expected.streamId must be a stream id, got ${shown(streamId)}`);
  try {
    return normalizeStreamIdCached(streamId);
  } catch (error) {
    throw new InvalidArgumentError(`expected.streamId: ${(error as Error).message}`, { cause: error });
  }
}

function parseOrReject(message: unknown): SignedStreamMessage {
  if (isUnsigned(message)) reject("unsigned", "the message has no signature");
  try {
    return parseSignedStreamMessage(message);
  } catch (error) {
    if (error instanceof InvalidMessageError) reject("malformed", error.message, error);
    throw error;
  }
}

/** How far ahead of the local clock a message's timestamp may be (the validator's `maxClockSkewMs` default). */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 10_000;

/**
 * The subscriber's checks, cheapest first: shape, the stream partition, clock skew (and, live, age), a replay already seen, the
 * signature, then Publish (held now, and the timestamp before its expiry; expiries are in
 * seconds, timestamps in ms: `timestamp < expiry * 1000`), the stream's content rule (with
 * `contentRules`), and finally the chain, recorded only now so that a rejected message leaves no trace.
 */
export function createMessageValidator(options: MessageValidatorOptions): MessageValidator {
  const { domain, permissions, maxClockSkewMs = DEFAULT_MAX_CLOCK_SKEW_MS, windowSize = DEFAULT_WINDOW_SIZE, maxChains = DEFAULT_MAX_CHAINS } = options;
  const { now = Date.now, onGap, onOutOfOrder, recoverPublicKey, maxMessageAgeMs, contentRules, maxForgottenPublishers = DEFAULT_MAX_FORGOTTEN_PUBLISHERS } = options;
  const bounds = [["maxClockSkewMs", maxClockSkewMs, 0], ["windowSize", windowSize, 1], ["maxChains", maxChains, 1], ["maxMessageAgeMs", maxMessageAgeMs ?? 1, 1], ["maxForgottenPublishers", maxForgottenPublishers, 1]] as const;
  for (const [name, value, min] of bounds) {
    if (!Number.isSafeInteger(value) || value < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${value}`);
  }
  const separator = domainSeparator(domain); // also checks the domain now rather than on the first message
  // Live only: the freshness window bounds how long a forgotten chain's horizon matters.
  const forgotten = maxMessageAgeMs === undefined ? undefined : createForgottenHorizons({ keepMs: maxMessageAgeMs, maxPublishers: maxForgottenPublishers, now });
  const chains = createChainTracker({ windowSize, maxChains, forgotten });
  const authority = createAuthorityContext(domain, permissions);
  const position = (message: SignedStreamMessage) =>
    `position ${message.timestamp}/${message.sequenceNumber} of chain ${message.msgChainId}`;
  const notSigned: (message: SignedStreamMessage) => never = (message) => reject("invalid-signature", `the signature is not ${message.publisher}'s`);
  // Chains with a message still being decided asynchronously, and when the last of them will be.
  const deciding = new Map<string, Promise<void>>();

  function publishHeldAt(message: SignedStreamMessage, expiry: number): void {
    if (expiry <= 0) reject("no-permission", `${message.publisher} does not hold publish on ${message.streamId}`);
    if (message.timestamp >= expiry * 1000) {
      reject("timestamp-after-expiry", `timestamp ${message.timestamp} is not before the publish expiry ${expiry} (s)`);
    }
  }

  function holdsPublish(message: SignedStreamMessage): MaybePromise<void> {
    const answer = permissions.getPermissionExpiry({
      streamId: message.streamId,
      userId: message.publisher,
      permission: StreamPermission.PUBLISH,
      allowPublic: true,
    });
    // A source that answers synchronously (a warm cache) costs no extra turn of the event loop.
    return whenKnown(answer, (expiry) => publishHeldAt(message, expiry));
  }

  // In this thread at once by default; the relay's worker threads when it passes them.
  const recover: (input: RecoveryInput) => MaybePromise<Uint8Array | undefined> = recoverPublicKey ?? recoverInThread;

  function isSigned(message: SignedStreamMessage): MaybePromise<void> {
    const input = recoveryInputOf(message, separator);
    if (input === undefined) notSigned(message);
    return whenKnown(recover(input), (key) => {
      if (!isKeyOf(key, message.publisher)) notSigned(message);
    });
  }

  /** The signature and Publish, or the delegation or grant the message carries: throws, or returns a promise that rejects, when they do not hold. */
  function prove(message: SignedStreamMessage, carried: CarriedAuthority): MaybePromise<void> {
    // A message carrying a delegation or grant is judged by it alone (sdk/delegation).
    if (carriesAuthority(carried)) return whenKnown(checkAuthorizedMessage(authority, message, carried), ignore);
    const signed = isSigned(message);
    return signed === undefined ? holdsPublish(message) : signed.then(() => holdsPublish(message));
  }

  /** The stream's content rule, if it has one and the message's content can be read: a refusal as `schema` when broken. */
  function obeysContentRule(message: SignedStreamMessage): MaybePromise<void> {
    if (contentRules === undefined || isEncrypted(message)) return undefined;
    return checkContentRule(contentRules, message.streamId, message.contentType, hexToBytes(message.content));
  }

  /** Records the chain's position, after the permission is known: of two copies validated concurrently, the second is the duplicate. */
  function record(chain: string, message: SignedStreamMessage): SignedStreamMessage {
    const outcome = chains.record(chain, message);
    if (outcome.kind !== "accepted") reject(outcome.kind, position(message));
    if (outcome.gap !== undefined) onGap?.(outcome.gap);
    if (outcome.outOfOrder !== undefined) onOutOfOrder?.(outcome.outOfOrder);
    return message;
  }

  /**
   * Records once proven and once every earlier message of the chain is decided: a chain's
   * messages validated concurrently are recorded in the order they came, whatever order
   * their proofs finish in, so the window never moves past one still being proven.
   */
  function recordInTurn(chain: string, message: SignedStreamMessage, proven: MaybePromise<void>): Promise<SignedStreamMessage> {
    const earlier = deciding.get(chain);
    const turn = (async () => {
      await proven;
      await earlier;
      return record(chain, message);
    })();
    const decided = turn.then(ignore, ignore).then(() => earlier); // accepted or not, and after every earlier one
    deciding.set(chain, decided);
    void decided.then(() => deciding.get(chain) === decided && deciding.delete(chain));
    return turn;
  }

  async function validate(input: unknown, expected: StreamPartition): Promise<SignedStreamMessage> {
    const streamId = expectedStreamId(expected);
    const carried = splitCarriedAuthority(input);
    const message = parseOrReject(carried.message);
    if (message.streamId !== streamId || message.partition !== expected.partition) {
      reject("wrong-stream", `the message is for ${message.streamId} partition ${message.partition}, not ${streamId} partition ${expected.partition}`);
    }
    const time = now();
    if (message.timestamp > time + maxClockSkewMs) {
      reject("future-timestamp", `timestamp ${message.timestamp} is more than ${maxClockSkewMs} ms ahead of the local clock`);
    }
    if (maxMessageAgeMs !== undefined && message.timestamp < time - maxMessageAgeMs) {
      reject("stale", `timestamp ${message.timestamp} is more than ${maxMessageAgeMs} ms behind the local clock: not a live message`);
    }
    const chain = chainKeyOf(message);
    const seen = chains.check(chain, message);
    if (seen !== "accepted") reject(seen, position(message));
    const authorised = prove(message, carried);
    const proven = authorised === undefined ? obeysContentRule(message) : authorised.then(() => obeysContentRule(message));
    // Proven at once, with nothing earlier of its chain pending: recorded in this turn.
    if (proven === undefined && !deciding.has(chain)) return record(chain, message);
    return recordInTurn(chain, message, proven);
  }

  return {
    validate,
    forget: (message) => chains.forget(chainKeyOf(message), message),
  };
}
