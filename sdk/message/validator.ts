import { createAuthorityContext } from "../delegation/check";
import { carriesAuthority, checkAuthorizedMessage, splitCarriedAuthority } from "../delegation/message";
import { InvalidArgumentError } from "../errors";
import { StreamPermission } from "../permissions";
import { chainKeyOf, createChainTracker, type GapEvent, type OutOfOrderEvent } from "./chains";
import { InvalidMessageError, MessageRejectedError, type MessageRejectionReason } from "./errors";
import { domainSeparator } from "./hash";
import { parseSignedStreamMessage } from "./parse";
import type { MessageDomain, SignedStreamMessage } from "./types";
import { isSignedByPublisher } from "./verify";

/** The query the validator makes; `KeywayClient.getPermissionExpiry` answers it. */
export interface PermissionExpiryQuery {
  streamId: string;
  userId: string;
  permission: StreamPermission;
  allowPublic: boolean;
}

/**
 * Where the validator learns permissions: the effective expiry held now (by the chain's
 * clock) in unix SECONDS, 0 = not held, FOREVER = 2**40 - 1. A `KeywayClient` fits; its
 * answers are cached and invalidated by registry events, so validating costs no RPC per message.
 */
export interface PermissionSource {
  getPermissionExpiry(query: PermissionExpiryQuery): number | Promise<number>;
}

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
  onGap?: (gap: GapEvent) => void;
  onOutOfOrder?: (event: OutOfOrderEvent) => void;
  /** Unix milliseconds; `Date.now` by default. */
  now?: () => number;
}

export interface MessageValidator {
  /**
   * Resolves with the message (parsed: only its fields, and the `delegation` or `grant` it
   * carries, parsed) if a subscriber may deliver it;
   * rejects with a MessageRejectedError whose `reason` says why not. Errors of the permission
   * source (RPC failures) pass through unchanged: they say nothing about the message.
   */
  validate(message: unknown): Promise<SignedStreamMessage>;
}

function reject(reason: MessageRejectionReason, detail: string, cause?: unknown): never {
  throw new MessageRejectedError(reason, detail, cause === undefined ? undefined : { cause });
}

function isUnsigned(message: unknown): boolean {
  if (typeof message !== "object" || message === null) return false;
  const { signature } = message as { signature?: unknown };
  return signature === undefined || signature === "" || signature === "0x";
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

/**
 * The subscriber's checks, cheapest first: shape, clock skew, a replay already seen, the
 * signature, then Publish (held now, and the timestamp before its expiry; expiries are in
 * seconds, timestamps in ms: `timestamp < expiry * 1000`), and finally the chain, recorded
 * only now so that a rejected message leaves no trace.
 */
export function createMessageValidator(options: MessageValidatorOptions): MessageValidator {
  const { domain, permissions, maxClockSkewMs = 10_000, windowSize = 256, maxChains = 10_000 } = options;
  const { now = Date.now, onGap, onOutOfOrder } = options;
  for (const [name, value, min] of [["maxClockSkewMs", maxClockSkewMs, 0], ["windowSize", windowSize, 1], ["maxChains", maxChains, 1]] as const) {
    if (!Number.isSafeInteger(value) || value < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${value}`);
  }
  domainSeparator(domain); // checks the domain now rather than on the first message
  const chains = createChainTracker({ windowSize, maxChains });
  const authority = createAuthorityContext(domain, permissions);
  const position = (message: SignedStreamMessage) =>
    `position ${message.timestamp}/${message.sequenceNumber} of chain ${message.msgChainId}`;

  async function validate(input: unknown): Promise<SignedStreamMessage> {
    const carried = splitCarriedAuthority(input);
    const message = parseOrReject(carried.message);
    if (message.timestamp > now() + maxClockSkewMs) {
      reject("future-timestamp", `timestamp ${message.timestamp} is more than ${maxClockSkewMs} ms ahead of the local clock`);
    }
    const chain = chainKeyOf(message);
    const seen = chains.check(chain, message);
    if (seen !== "accepted") reject(seen, position(message));
    // A message carrying a delegation or grant is judged by it alone (sdk/delegation).
    const validated = carriesAuthority(carried) ? await checkAuthorizedMessage(authority, message, carried) : await checkPublish(message);

    // Recorded after the await: of two copies validated concurrently, the second is the duplicate.
    const outcome = chains.record(chain, message);
    if (outcome.kind !== "accepted") reject(outcome.kind, position(message));
    if (outcome.gap !== undefined) onGap?.(outcome.gap);
    if (outcome.outOfOrder !== undefined) onOutOfOrder?.(outcome.outOfOrder);
    return validated;
  }

  async function checkPublish(message: SignedStreamMessage): Promise<SignedStreamMessage> {
    if (!isSignedByPublisher(message, domain)) reject("invalid-signature", `the signature is not ${message.publisher}'s`);
    const expiry = await permissions.getPermissionExpiry({
      streamId: message.streamId,
      userId: message.publisher,
      permission: StreamPermission.PUBLISH,
      allowPublic: true,
    });
    if (expiry <= 0) reject("no-permission", `${message.publisher} does not hold publish on ${message.streamId}`);
    if (message.timestamp >= expiry * 1000) {
      reject("timestamp-after-expiry", `timestamp ${message.timestamp} is not before the publish expiry ${expiry} (s)`);
    }
    return message;
  }

  return { validate };
}
