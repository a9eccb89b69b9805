import { type Address, hashTypedData, type Hex } from "viem";
import { checkAccessGrant, checkDelegation, type AuthorityContext, type AuthorityUse } from "../delegation/check";
import { InvalidAccessGrantError, InvalidDelegationError } from "../delegation/errors";
import type { SignedAccessGrant, SignedDelegation } from "../delegation/types";
import type { KeyRequest, SignedKeyRequest } from "./types";
import { recoverSigner } from "../delegation/verify";
import { setBounded } from "../message/boundedMap";
import { hexToBytes } from "../message/hex";
import { isWellFormed, MAX_GROUP_KEY_ID_LENGTH } from "../message/parse";
import type { MessageSigner } from "../message/signers";
import { streamMessageDomain } from "../message/typedData";
import type { MessageDomain } from "../message/types";
import { StreamPermission } from "../permissions";
import { normalizeStreamId } from "../streamId";
import { InvalidKeyRequestError } from "./errors";

export const KEY_REQUEST_TYPES = {
  KeyRequest: [
    { name: "streamId", type: "string" },
    { name: "requester", type: "address" },
    { name: "publisher", type: "address" },
    { name: "publicKey", type: "bytes32" },
    { name: "groupKeyIds", type: "string[]" },
    { name: "timestamp", type: "uint64" },
  ],
} as const;

/** Most key ids one request may name. */
export const MAX_REQUESTED_KEYS = 16;
/** How far a request's timestamp may be from the answerer's clock, either way: also how long a replay guard remembers it. */
export const KEY_REQUEST_MAX_AGE_MS = 60_000;

const ADDRESS = /^0x[0-9a-f]{40}$/;
const BYTES32 = /^0x[0-9a-f]{64}$/;
const SIGNATURE = /^0x[0-9a-f]{130}$/;
const FIELDS = new Set(["streamId", "requester", "publisher", "publicKey", "groupKeyIds", "timestamp", "signature", "delegation", "grant"]);
const REQUIRED = ["streamId", "requester", "publisher", "publicKey", "groupKeyIds", "timestamp", "signature"];

const malformed = (problem: string): never => {
  throw new InvalidKeyRequestError("malformed", problem);
};

function patterned<T extends string>(fields: Record<string, unknown>, name: string, pattern: RegExp, expected: string): T {
  const value = fields[name];
  if (typeof value !== "string" || !pattern.test(value)) malformed(`${name} must be ${expected}`);
  return value as T;
}

function groupKeyIds(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > MAX_REQUESTED_KEYS) malformed(`groupKeyIds must be an array of at most ${MAX_REQUESTED_KEYS} ids`);
  for (const id of value as unknown[]) {
    if (typeof id !== "string" || id.length === 0 || id.length > MAX_GROUP_KEY_ID_LENGTH || !isWellFormed(id)) {
      malformed(`each of groupKeyIds must be a well-formed string of 1 to ${MAX_GROUP_KEY_ID_LENGTH} characters`);
    }
  }
  return [...(value as string[])];
}

/**
 * Reads a signed key request strictly (InvalidKeyRequestError `malformed` naming the field).
 * The `delegation` or `grant` it carries is kept as it came: `checkKeyRequest` parses it.
 */
export function parseKeyRequest(value: unknown): SignedKeyRequest {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return malformed("must be an object");
  const fields = value as Record<string, unknown>;
  for (const name of Object.keys(fields)) if (!FIELDS.has(name)) malformed(`${name} is not a field`);
  for (const name of REQUIRED) if (!Object.hasOwn(fields, name)) malformed(`${name} is missing`);
  const { streamId, timestamp, delegation, grant } = fields;
  if (typeof streamId !== "string" || normalizeStreamIdOrUndefined(streamId) !== streamId) malformed("streamId must be a canonical stream id");
  if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) || timestamp < 0) malformed("timestamp must be unix ms");
  if (delegation !== undefined && grant !== undefined) malformed("a request carries a delegation or a grant, not both");
  const request: SignedKeyRequest = {
    streamId: streamId as string,
    requester: patterned<Address>(fields, "requester", ADDRESS, "a lowercase 0x address"),
    publisher: patterned<Address>(fields, "publisher", ADDRESS, "a lowercase 0x address"),
    publicKey: patterned<Hex>(fields, "publicKey", BYTES32, "0x and 32 bytes of lowercase hex"),
    groupKeyIds: groupKeyIds(fields.groupKeyIds),
    timestamp: timestamp as number,
    signature: patterned<Hex>(fields, "signature", SIGNATURE, "0x and 65 bytes of lowercase hex"),
  };
  if (delegation !== undefined) request.delegation = delegation as SignedDelegation;
  if (grant !== undefined) request.grant = grant as SignedAccessGrant;
  return request;
}

function normalizeStreamIdOrUndefined(streamId: string): string | undefined {
  try {
    return normalizeStreamId(streamId);
  } catch {
    return undefined;
  }
}

/** The request as EIP-712 typed data, under the messages' domain (same chain, same registry). */
export function keyRequestTypedData(request: KeyRequest, domain: MessageDomain) {
  return {
    domain: streamMessageDomain(domain),
    types: KEY_REQUEST_TYPES,
    primaryType: "KeyRequest" as const,
    message: {
      streamId: request.streamId,
      requester: request.requester,
      publisher: request.publisher,
      publicKey: request.publicKey,
      groupKeyIds: request.groupKeyIds,
      timestamp: BigInt(request.timestamp),
    },
  };
}

/** Signs a key request; `signer` is the requester's, or its session key's (then pass `delegation`). */
export async function signKeyRequest(
  request: KeyRequest,
  { signer, domain, delegation, grant }: { signer: MessageSigner; domain: MessageDomain; delegation?: SignedDelegation; grant?: SignedAccessGrant },
): Promise<SignedKeyRequest> {
  const typedData = keyRequestTypedData(request, domain);
  const signature = await signer.sign({ digest: hexToBytes(hashTypedData(typedData)), typedData: () => typedData });
  return { ...request, signature, ...(delegation && { delegation }), ...(grant && { grant }) };
}

/** What a valid request proved: who may read, and until when (unix ms), and what admitted it. */
export interface KeyRequestVerdict {
  request: SignedKeyRequest;
  /** When the requester's right ends (the earliest of its Subscribe, the delegation's or grant's expiry and its signer's right). */
  expiresAt: number;
  /** The access grant's issuer, when a grant admitted it: its Grant is what the reading hangs on. */
  grantIssuer?: Address;
}

function refusedBy(error: unknown): never {
  if (error instanceof InvalidDelegationError || error instanceof InvalidAccessGrantError) {
    throw new InvalidKeyRequestError(error.rule === "signature" ? "signature" : "unauthorized", error.problem, { cause: error });
  }
  throw error; // the permission source's failures say nothing about the request
}

/**
 * Whether a key request may be answered now: well formed, dated within `KEY_REQUEST_MAX_AGE_MS`
 * of `now`, signed by the requester (or by the delegate of the delegation it carries, whose
 * holder is the requester), and the requester may read the stream now (`requesterRight`). The
 * same rule at the relay (before forwarding) and at every client that answers. Rejects with
 * InvalidKeyRequestError naming the rule; errors reading the chain pass through.
 *
 * @example
 * const { request, expiresAt } = await checkKeyRequest(authority, frame.request, Date.now());
 */
export async function checkKeyRequest(context: AuthorityContext, value: unknown, now: number): Promise<KeyRequestVerdict> {
  const request = parseKeyRequest(value);
  if (Math.abs(now - request.timestamp) > KEY_REQUEST_MAX_AGE_MS) {
    throw new InvalidKeyRequestError("expired", `it is dated ${request.timestamp}, more than ${KEY_REQUEST_MAX_AGE_MS} ms from ${now}`);
  }
  const signer = recoverSigner(hexToBytes(hashTypedData(keyRequestTypedData(request, context.domain))), request.signature);
  let expected: Address = request.requester;
  try {
    if (request.delegation !== undefined) expected = context.memo.delegation(request.delegation).struct.delegate;
  } catch (error) {
    refusedBy(error);
  }
  if (signer !== expected) throw new InvalidKeyRequestError("signature", `it is not signed by ${expected} for chain ${context.domain.chainId} and registry ${context.domain.verifyingContract}`);
  return { request, ...(await requesterRight(context, request, now)) };
}

/**
 * Whether the requester of an (authentic) request may read the stream at `now`: through the
 * delegation it carries (its holder holds Subscribe, the delegation lists the stream with the
 * Subscribe bit and has not expired), the access grant it carries (to the requester, with the
 * Subscribe bit, its issuer holding Grant), or else Subscribe held directly or publicly. Until
 * when, and the grant's issuer; rejects with InvalidKeyRequestError `unauthorized` (or
 * `signature` for a delegation or grant not signed for this domain). A publisher re-checks its
 * readers with it when it re-keys.
 */
export async function requesterRight(context: AuthorityContext, request: SignedKeyRequest, now: number): Promise<Omit<KeyRequestVerdict, "request">> {
  const use: AuthorityUse = { streamId: request.streamId, permission: StreamPermission.SUBSCRIBE, at: now };
  try {
    if (request.delegation !== undefined) return { expiresAt: (await checkDelegation(context, request.delegation, use, request.requester)).expiresAt };
    if (request.grant !== undefined) {
      const { struct, expiresAt } = await checkAccessGrant(context, request.grant, use, request.requester);
      return { expiresAt, grantIssuer: struct.issuer };
    }
  } catch (error) {
    refusedBy(error);
  }
  const expiry = await context.permissions.getPermissionExpiry({ streamId: request.streamId, userId: request.requester, permission: StreamPermission.SUBSCRIBE, allowPublic: true });
  if (expiry * 1000 <= now) throw new InvalidKeyRequestError("unauthorized", `${request.requester} does not hold subscribe on ${request.streamId}`);
  return { expiresAt: expiry * 1000 };
}

/**
 * Remembers requests answered (by signature) for `KEY_REQUEST_MAX_AGE_MS`, at most `max`:
 * `admit` is false for one seen already. With the age rule of `checkKeyRequest`, a request is
 * acted on once; past `max` the oldest are forgotten (they age out of the window anyway).
 */
export function createReplayGuard(max = 10_000): { admit(request: SignedKeyRequest, now: number): boolean } {
  const seen = new Map<Hex, number>();
  return {
    admit(request, now) {
      const at = seen.get(request.signature);
      if (at !== undefined && now - at <= 2 * KEY_REQUEST_MAX_AGE_MS) return false;
      setBounded(seen, request.signature, now, max);
      return true;
    },
  };
}
