import type { Address, Hex } from "viem";

/**
 * `Delegation(address delegate,string[] streamIds,uint8 permissions,uint64 expiresAt,bytes32 salt)`:
 * a holder lets `delegate` (a session key) act as them on `streamIds`, signed once by the holder.
 */
export interface Delegation {
  /** Lowercase 0x address of the session key. */
  delegate: Address;
  /** Canonical stream ids the session may act on. */
  streamIds: string[];
  /** Mask of `PUBLISH_BIT` and `SUBSCRIBE_BIT`, nothing else. */
  permissions: number;
  /** Unix seconds: messages must be timestamped before it, sessions end at it. */
  expiresAt: number;
  /** 0x + 32 bytes: makes two otherwise equal delegations distinct. */
  salt: Hex;
}

/** A Delegation with the holder's EIP-712 signature: the `delegation` field of messages and `auth` frames. */
export interface SignedDelegation extends Delegation {
  signature: Hex;
}

/**
 * `AccessGrant(address grantee,string streamId,uint8 permissions,uint64 expiresAt,bytes32 salt)`:
 * an issuer holding Grant on `streamId` lets `grantee` publish and/or subscribe there.
 */
export interface AccessGrant {
  /** Lowercase 0x address of the one account that may present the grant. */
  grantee: Address;
  /** Canonical stream id. */
  streamId: string;
  /** Mask of `PUBLISH_BIT` and `SUBSCRIBE_BIT`, nothing else. */
  permissions: number;
  /** Unix seconds. */
  expiresAt: number;
  salt: Hex;
}

/** An AccessGrant with its issuer and the issuer's EIP-712 signature: the `grant` field of messages and `subscribe` frames. */
export interface SignedAccessGrant extends AccessGrant {
  /** Lowercase 0x address that signed it; must hold Grant on the stream when the grant is used. */
  issuer: Address;
  signature: Hex;
}
