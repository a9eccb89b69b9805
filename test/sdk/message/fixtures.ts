import type { Address, Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { StreamPermission } from "../../../sdk/permissions";
import {
  signStreamMessage,
  useCryptoBackend,
  type MessageDomain,
  type PermissionExpiryQuery,
  type PermissionSource,
  type SignedStreamMessage,
  type StreamMessage,
} from "../../../sdk/message";

// Hardhat's first test accounts: fixed keys, so failures are reproducible.
export const PUBLISHER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
export const OTHER_KEY: Hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
export const PUBLISHER = privateKeyToAddress(PUBLISHER_KEY).toLowerCase() as Address;
export const OTHER = privateKeyToAddress(OTHER_KEY).toLowerCase() as Address;

export const DOMAIN: MessageDomain = { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
export const STREAM_ID = `${PUBLISHER}/sensors/temperature`;
export const T0 = 1_790_000_000_000;

export function sampleMessage(overrides: Partial<StreamMessage> = {}): StreamMessage {
  return {
    streamId: STREAM_ID,
    partition: 2,
    timestamp: T0,
    sequenceNumber: 4,
    publisher: PUBLISHER,
    msgChainId: "chain-a",
    prevTimestamp: T0 - 5,
    prevSequenceNumber: 3,
    contentType: "application/json",
    content: "0x7b2274223a32312e357d",
    ...overrides,
  };
}

export function signSample(overrides: Partial<StreamMessage> = {}, key: Hex = PUBLISHER_KEY): Promise<SignedStreamMessage> {
  return signStreamMessage(sampleMessage(overrides), { signer: key, domain: DOMAIN });
}

/**
 * Runs `suite` once per crypto backend choice: "auto" (the native curve addon, the WebAssembly
 * Keccak) and pure JS (what a browser without WebAssembly gets).
 */
export function forEachBackend(suite: (backend: "auto" | "noble") => void): void {
  for (const backend of ["auto", "noble"] as const) {
    describe(`with the ${backend} backends`, () => {
      before(() => useCryptoBackend(backend));
      after(() => useCryptoBackend("auto"));
      suite(backend);
    });
  }
}

/**
 * An in-memory stand-in for `KeywayClient.getPermissionExpiry`: expiries in unix seconds per
 * holder ("public" for everyone), answered as the client does (the later of direct and public).
 */
export function fakePermissions(
  expiries: Record<string, number> = {},
  now: () => number = Date.now,
): PermissionSource & {
  expiries: Record<string, number>;
  queries: PermissionExpiryQuery[];
} {
  const queries: PermissionExpiryQuery[] = [];
  return {
    expiries,
    queries,
    async getPermissionExpiry(query) {
      queries.push(query);
      if (query.permission !== StreamPermission.PUBLISH) return 0;
      const nowSeconds = now() / 1000;
      const held = [expiries[query.userId] ?? 0, query.allowPublic ? expiries.public ?? 0 : 0];
      return Math.max(0, ...held.filter((expiry) => expiry > nowSeconds));
    },
  };
}

/** The same signature with one byte changed. */
export function withSignatureByte(signature: Hex, index: number, value: number): Hex {
  const hex = signature.slice(2);
  return `0x${hex.slice(0, index * 2)}${value.toString(16).padStart(2, "0")}${hex.slice(index * 2 + 2)}` as Hex;
}
