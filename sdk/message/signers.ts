import { privateKeyToAddress } from "viem/accounts";
import type { Address, Hex, LocalAccount, TypedDataDefinition, TypedDataDomain } from "viem";
import { InvalidArgumentError } from "../errors";
import { isPrivateKey } from "../privateKey";
import { curveBackend } from "./crypto";
import { hexToBytes } from "./hex";
import { canonicalSignature, joinSignature } from "./signature";

/** EIP-712 typed data: a StreamMessage, or a Delegation or AccessGrant (sdk/delegation). */
export interface KeywayTypedData {
  domain: TypedDataDomain;
  types: Readonly<Record<string, readonly { name: string; type: string }[]>>;
  primaryType: string;
  message: Record<string, unknown>;
}

/** What a signer is asked to sign: the digest, and the typed data it was computed from. */
export interface SignRequest {
  digest: Uint8Array;
  typedData: () => KeywayTypedData;
}

/** Signs StreamMessages for one address; build one with `toMessageSigner`. */
export interface MessageSigner {
  getAddress(): Address | Promise<Address>;
  /** A canonical 65-byte signature (low s, v 27/28). */
  sign(request: SignRequest): Hex | Promise<Hex>;
}

/** The part of an ethers v6 `Signer` used here. */
export interface EthersTypedDataSigner {
  getAddress(): Promise<string>;
  signTypedData(
    domain: Record<string, unknown>,
    types: Record<string, Array<{ name: string; type: string }>>,
    value: Record<string, unknown>,
  ): Promise<string>;
}

/** A private key (0x hex, the fast native path), a viem local account or an ethers v6 signer. */
export type SignerSource = Hex | Pick<LocalAccount, "address" | "signTypedData"> | EthersTypedDataSigner;

/** Signs digests directly with the curve backend: no typed-data re-encoding. */
export function privateKeySigner(privateKey: Hex): MessageSigner {
  let address: Address;
  try {
    if (!isPrivateKey(privateKey)) throw new Error("expected 0x and 32 bytes of hex");
    address = privateKeyToAddress(privateKey).toLowerCase() as Address;
  } catch (error) {
    throw new InvalidArgumentError("Invalid private key", { cause: error });
  }
  const key = hexToBytes(privateKey);
  return {
    getAddress: () => address,
    sign: ({ digest }) => {
      const { signature, recoveryId } = curveBackend().sign(digest, key);
      return joinSignature(signature, recoveryId);
    },
  };
}

function viemAccountSigner(account: Pick<LocalAccount, "address" | "signTypedData">): MessageSigner {
  const address = account.address.toLowerCase() as Address;
  return {
    getAddress: () => address,
    sign: async ({ typedData }) => canonicalSignature(await account.signTypedData(typedData() as TypedDataDefinition)),
  };
}

function ethersSigner(signer: EthersTypedDataSigner): MessageSigner {
  let address: Promise<Address> | undefined;
  return {
    getAddress: () => (address ??= signer.getAddress().then((a) => a.toLowerCase() as Address)),
    sign: async ({ typedData }) => {
      const { domain, types, message } = typedData();
      const mutableTypes = Object.fromEntries(Object.entries(types).map(([name, fields]) => [name, [...fields]]));
      const signature = await signer.signTypedData(domain, mutableTypes, message);
      return canonicalSignature(signature as Hex);
    },
  };
}

/** The MessageSigner for a private key, a viem local account or an ethers v6 signer (checked in that order). */
export function toMessageSigner(source: SignerSource | MessageSigner): MessageSigner {
  if (typeof source === "string") return privateKeySigner(source);
  if ("signTypedData" in source) {
    // ethers signers (a Wallet has an `address` too) are told apart by getAddress().
    if ("getAddress" in source) return ethersSigner(source);
    return viemAccountSigner(source);
  }
  if ("sign" in source && "getAddress" in source) return source;
  throw new InvalidArgumentError("A signer is a 0x private key, a viem local account or an ethers v6 signer");
}
