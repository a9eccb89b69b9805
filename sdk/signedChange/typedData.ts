/**
 * The EIP-712 types of the registry's signed changes, one per write, as
 * contracts/StreamRegistry.sol hashes them: each names the change's own fields (the stream, the
 * holders, the permissions and expiries), so a wallet's prompt shows what is signed.
 */
import type { Address, TypedDataDomain, TypedDataParameter } from "viem";
import type { RegistryCall, SignableFunctionName } from "./registryCall";

/** The registry's EIP-712 domain name and version (its OpenZeppelin `EIP712` constructor). */
export const REGISTRY_DOMAIN_NAME = "StreamRegistry";
export const REGISTRY_DOMAIN_VERSION = "1";

const HOLDER: readonly TypedDataParameter[] = [
  { name: "user", type: "address" },
  { name: "edit", type: "uint40" },
  { name: "delete", type: "uint40" },
  { name: "publish", type: "uint40" },
  { name: "subscribe", type: "uint40" },
  { name: "grant", type: "uint40" },
];
const REVOCATION: readonly TypedDataParameter[] = [
  { name: "user", type: "address" },
  { name: "permissions", type: "uint8" },
];
const STREAM_HOLDERS: readonly TypedDataParameter[] = [
  { name: "streamId", type: "string" },
  { name: "holders", type: "Holder[]" },
];

/** What every change's struct ends with. */
const SIGNED_BY = [
  { name: "signer", type: "address" },
  { name: "nonce", type: "uint256" },
  { name: "deadline", type: "uint256" },
] as const;
const STREAM_ID = { name: "streamId", type: "string" } as const;
const USER = { name: "user", type: "address" } as const;
const PERMISSION = { name: "permission", type: "uint8" } as const;

type Fields<F extends SignableFunctionName> = (args: Extract<RegistryCall, { functionName: F }>["args"]) => Record<string, unknown>;

interface ChangeType<F extends SignableFunctionName> {
  primaryType: string;
  /** The change's own fields, before `signer, nonce, deadline`. */
  fields: readonly TypedDataParameter[];
  /** Struct types the change refers to. */
  refs: Record<string, readonly TypedDataParameter[]>;
  message: Fields<F>;
}

function holders(users: readonly Address[], expiries: readonly (readonly number[])[]): Record<string, unknown>[] {
  return users.map((user, i) => {
    const [edit, del, publish, subscribe, grant] = expiries[i] ?? [];
    return { user, edit, delete: del, publish, subscribe, grant };
  });
}

/** Each write's EIP-712 struct, in the contract's field order. */
export const SIGNED_CHANGE_TYPES: { [F in SignableFunctionName]: ChangeType<F> } = {
  createStream: {
    primaryType: "CreateStream",
    fields: [{ name: "path", type: "string" }, { name: "metadata", type: "string" }],
    refs: {},
    message: ([path, metadata]) => ({ path, metadata }),
  },
  updateStreamMetadata: {
    primaryType: "UpdateStreamMetadata",
    fields: [STREAM_ID, { name: "metadata", type: "string" }],
    refs: {},
    message: ([streamId, metadata]) => ({ streamId, metadata }),
  },
  deleteStream: {
    primaryType: "DeleteStream",
    fields: [STREAM_ID],
    refs: {},
    message: ([streamId]) => ({ streamId }),
  },
  grantPermission: {
    primaryType: "GrantPermission",
    fields: [STREAM_ID, USER, PERMISSION],
    refs: {},
    message: ([streamId, user, permission]) => ({ streamId, user, permission }),
  },
  revokePermission: {
    primaryType: "RevokePermission",
    fields: [STREAM_ID, USER, PERMISSION],
    refs: {},
    message: ([streamId, user, permission]) => ({ streamId, user, permission }),
  },
  revokeAllPermissionsForUser: {
    primaryType: "RevokeAllPermissionsForUser",
    fields: [STREAM_ID, USER],
    refs: {},
    message: ([streamId, user]) => ({ streamId, user }),
  },
  grantPermissions: {
    primaryType: "GrantPermissions",
    fields: [STREAM_ID, { name: "holders", type: "Holder[]" }],
    refs: { Holder: HOLDER },
    message: ([streamId, users, expiries]) => ({ streamId, holders: holders(users, expiries) }),
  },
  revokePermissions: {
    primaryType: "RevokePermissions",
    fields: [STREAM_ID, { name: "revocations", type: "Revocation[]" }],
    refs: { Revocation: REVOCATION },
    message: ([streamId, users, masks]) => ({ streamId, revocations: users.map((user, i) => ({ user, permissions: masks[i] })) }),
  },
  setPermissions: {
    primaryType: "SetPermissions",
    fields: [STREAM_ID, { name: "holders", type: "Holder[]" }],
    refs: { Holder: HOLDER },
    message: ([streamId, users, expiries]) => ({ streamId, holders: holders(users, expiries) }),
  },
  setPermissionsMultipleStreams: {
    primaryType: "SetPermissionsMultipleStreams",
    fields: [{ name: "streams", type: "StreamHolders[]" }],
    refs: { Holder: HOLDER, StreamHolders: STREAM_HOLDERS },
    message: ([streamIds, users, expiries]) => ({
      streams: streamIds.map((streamId, s) => ({ streamId, holders: holders(users[s] ?? [], expiries[s] ?? []) })),
    }),
  },
};

/** Where a signed change applies: the registry's address on its chain. */
export interface RegistryDomain {
  chainId: number;
  registryAddress: Address;
}

/** Who signs a change, with its replay protection. */
export interface SignedBy {
  signer: Address;
  /** One of the signer's nonces: word `nonce >> 8n`, bit `nonce & 0xffn` of `nonceBitmap(signer, word)`. */
  nonce: bigint;
  /** Last unix second (inclusive) at which the change may apply. */
  deadline: bigint;
}

/** What `signTypedData` takes for a change: its domain, types, primary type and message. */
export interface SignedChangeTypedData {
  domain: TypedDataDomain;
  types: Record<string, readonly TypedDataParameter[]>;
  primaryType: string;
  message: Record<string, unknown>;
}

/**
 * The EIP-712 typed data a signer signs for `call` on the registry `domain`.
 *
 * @param call The registry write and its arguments, as the direct function takes them.
 * @param by The signer, nonce and deadline.
 * @param domain The registry's chain id and address.
 * @returns Domain, types, primary type and message for viem's or ethers' `signTypedData`.
 * @example
 * const typedData = signedChangeTypedData({ functionName: "deleteStream", args: [streamId] }, { signer, nonce: 0n, deadline }, { chainId: 31337, registryAddress });
 */
export function signedChangeTypedData(call: RegistryCall, by: SignedBy, domain: RegistryDomain): SignedChangeTypedData {
  const type = SIGNED_CHANGE_TYPES[call.functionName] as ChangeType<SignableFunctionName>;
  return {
    domain: { name: REGISTRY_DOMAIN_NAME, version: REGISTRY_DOMAIN_VERSION, chainId: domain.chainId, verifyingContract: domain.registryAddress },
    types: { [type.primaryType]: [...type.fields, ...SIGNED_BY], ...type.refs },
    primaryType: type.primaryType,
    message: { ...(type.message as (args: unknown) => Record<string, unknown>)(call.args), signer: by.signer, nonce: by.nonce, deadline: by.deadline },
  };
}
