import { streamMessageDomain } from "../message/typedData";
import type { MessageDomain } from "../message/types";
import type { AccessGrant, Delegation } from "./types";

/** EIP-712 types of a Delegation, as viem's `signTypedData` / `verifyTypedData` and ethers take them. */
export const DELEGATION_TYPES = {
  Delegation: [
    { name: "delegate", type: "address" },
    { name: "streamIds", type: "string[]" },
    { name: "permissions", type: "uint8" },
    { name: "expiresAt", type: "uint64" },
    { name: "salt", type: "bytes32" },
  ],
} as const;

/** EIP-712 types of an AccessGrant. */
export const ACCESS_GRANT_TYPES = {
  AccessGrant: [
    { name: "grantee", type: "address" },
    { name: "streamId", type: "string" },
    { name: "permissions", type: "uint8" },
    { name: "expiresAt", type: "uint64" },
    { name: "salt", type: "bytes32" },
  ],
} as const;

export const DELEGATION_TYPE = "Delegation(address delegate,string[] streamIds,uint8 permissions,uint64 expiresAt,bytes32 salt)";
export const ACCESS_GRANT_TYPE = "AccessGrant(address grantee,string streamId,uint8 permissions,uint64 expiresAt,bytes32 salt)";

/**
 * A delegation as EIP-712 typed data under the messages' domain (same chain, same registry).
 *
 * @example
 * const valid = await verifyTypedData({ ...delegationTypedData(delegation, domain), address: holder, signature });
 */
export function delegationTypedData(delegation: Delegation, domain: MessageDomain) {
  return {
    domain: streamMessageDomain(domain),
    types: DELEGATION_TYPES,
    primaryType: "Delegation" as const,
    message: {
      delegate: delegation.delegate,
      streamIds: delegation.streamIds,
      permissions: delegation.permissions,
      expiresAt: BigInt(delegation.expiresAt),
      salt: delegation.salt,
    },
  };
}

/** An access grant as EIP-712 typed data under the messages' domain. */
export function accessGrantTypedData(grant: AccessGrant, domain: MessageDomain) {
  return {
    domain: streamMessageDomain(domain),
    types: ACCESS_GRANT_TYPES,
    primaryType: "AccessGrant" as const,
    message: {
      grantee: grant.grantee,
      streamId: grant.streamId,
      permissions: grant.permissions,
      expiresAt: BigInt(grant.expiresAt),
      salt: grant.salt,
    },
  };
}
