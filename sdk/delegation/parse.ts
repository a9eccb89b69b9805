import type { Address, Hex } from "viem";
import { normalizeStreamId } from "../streamId";
import { InvalidAccessGrantError, InvalidDelegationError } from "./errors";
import { DELEGABLE_BITS } from "./permissionBits";
import type { SignedAccessGrant, SignedDelegation } from "./types";

/** Most streams one delegation may list: every message carries the list. */
export const MAX_DELEGATED_STREAMS = 64;

const ADDRESS = /^0x[0-9a-f]{40}$/;
const BYTES32 = /^0x[0-9a-f]{64}$/;
const SIGNATURE = /^0x[0-9a-f]{130}$/;

const DELEGATION_FIELDS = ["delegate", "streamIds", "permissions", "expiresAt", "salt", "signature"];
const GRANT_FIELDS = ["grantee", "streamId", "permissions", "expiresAt", "salt", "issuer", "signature"];

type Fields = Record<string, unknown>;
type Fail = (problem: string) => never;

function fields(value: unknown, names: readonly string[], fail: Fail): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("must be an object");
  const object = value as Fields;
  for (const name of Object.keys(object)) if (!names.includes(name)) fail(`${name} is not a field`);
  for (const name of names) if (!Object.hasOwn(object, name)) fail(`${name} is missing`);
  return object;
}

function pattern<T extends string>(object: Fields, name: string, regex: RegExp, expected: string, fail: Fail): T {
  const value = object[name];
  if (typeof value !== "string" || !regex.test(value)) fail(`${name} must be ${expected}`);
  return value as T;
}

function streamId(value: unknown, name: string, fail: Fail): string {
  if (typeof value !== "string") fail(`${name} must be a string`);
  let canonical: string | undefined;
  try {
    canonical = normalizeStreamId(value as string);
  } catch {
    fail(`${name} is not a valid stream id`);
  }
  if (canonical !== value) fail(`${name} must be a canonical stream id (lowercase address + path)`);
  return canonical as string;
}

function common(object: Fields, fail: Fail) {
  const { permissions, expiresAt } = object;
  if (typeof permissions !== "number" || !Number.isInteger(permissions) || permissions <= 0 || (permissions & ~DELEGABLE_BITS) !== 0) {
    fail(`permissions must set the Publish and/or Subscribe bits (${DELEGABLE_BITS}) and no other`);
  }
  if (typeof expiresAt !== "number" || !Number.isSafeInteger(expiresAt) || expiresAt <= 0) fail("expiresAt must be unix seconds");
  return {
    permissions: permissions as number,
    expiresAt: expiresAt as number,
    salt: pattern<Hex>(object, "salt", BYTES32, "0x and 32 bytes of lowercase hex", fail),
    signature: pattern<Hex>(object, "signature", SIGNATURE, "0x and 65 bytes of lowercase hex", fail),
  };
}

const delegationFail: Fail = (problem) => {
  throw new InvalidDelegationError("malformed", problem);
};
const grantFail: Fail = (problem) => {
  throw new InvalidAccessGrantError("malformed", problem);
};

/**
 * Reads a signed delegation from its parsed JSON, strictly: exactly its fields, lowercase hex,
 * canonical stream ids (1 to MAX_DELEGATED_STREAMS, distinct), only the Publish and Subscribe
 * bits. Throws InvalidDelegationError naming the problem; does not check the signature.
 *
 * @example
 * const delegation = parseDelegation(JSON.parse(text));
 */
export function parseDelegation(value: unknown): SignedDelegation {
  const object = fields(value, DELEGATION_FIELDS, delegationFail);
  const { streamIds } = object;
  if (!Array.isArray(streamIds) || streamIds.length === 0 || streamIds.length > MAX_DELEGATED_STREAMS) {
    delegationFail(`streamIds must be an array of 1 to ${MAX_DELEGATED_STREAMS} stream ids`);
  }
  const ids = (streamIds as unknown[]).map((id, i) => streamId(id, `streamIds[${i}]`, delegationFail));
  if (new Set(ids).size !== ids.length) delegationFail("streamIds must be distinct");
  return {
    delegate: pattern<Address>(object, "delegate", ADDRESS, "a lowercase 0x address", delegationFail),
    streamIds: ids,
    ...common(object, delegationFail),
  };
}

/**
 * Reads a signed access grant from its parsed JSON, strictly (see parseDelegation). Throws
 * InvalidAccessGrantError naming the problem; does not check the signature.
 *
 * @example
 * const grant = parseAccessGrant(await response.json());
 */
export function parseAccessGrant(value: unknown): SignedAccessGrant {
  const object = fields(value, GRANT_FIELDS, grantFail);
  const { signature, ...rest } = common(object, grantFail);
  return {
    grantee: pattern<Address>(object, "grantee", ADDRESS, "a lowercase 0x address", grantFail),
    streamId: streamId(object.streamId, "streamId", grantFail),
    ...rest,
    issuer: pattern<Address>(object, "issuer", ADDRESS, "a lowercase 0x address", grantFail),
    signature,
  };
}

/**
 * Reads a signed access grant from its text (the one line of JSON that `keyway grant issue`
 * prints, a pasted or saved grant), strictly: text that is not JSON is an
 * InvalidAccessGrantError like any other malformed grant (the JSON error as its `cause`), so
 * every reader of a grant file or paste refuses it the same way.
 *
 * @param text - the grant's JSON text
 * @returns the grant, checked as parseAccessGrant checks it (not its signature)
 * @throws InvalidAccessGrantError (`rule` "malformed") naming the problem
 *
 * @example
 * const grant = parseAccessGrantText(readFileSync("grant.json", "utf8"));
 */
export function parseAccessGrantText(text: string): SignedAccessGrant {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidAccessGrantError("malformed", "the text is not JSON", { cause: error });
  }
  return parseAccessGrant(value);
}
