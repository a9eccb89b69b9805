import type { Address, Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import {
  createPublisher,
  PUBLISH_BIT,
  randomSalt,
  signAccessGrant,
  signDelegation,
  SUBSCRIBE_BIT,
  type AccessGrant,
  type Delegation,
  type MessageDomain,
  type MessageSigner,
  type PermissionExpiryQuery,
  type PermissionSource,
  type SignedAccessGrant,
  type SignedDelegation,
  type SignedStreamMessage,
} from "../../../sdk";
import { privateKeySigner } from "../../../sdk/message";
import { DOMAIN, STREAM_ID, T0 } from "../message/fixtures";

export { DOMAIN, STREAM_ID, T0 };

const addressOf = (key: Hex) => privateKeyToAddress(key).toLowerCase() as Address;

// Hardhat's test accounts 0-3: the holder created STREAM_ID.
export const HOLDER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
export const GRANTEE_KEY: Hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
export const ISSUER_KEY: Hex = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
export const STRANGER_KEY: Hex = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
export const HOLDER = addressOf(HOLDER_KEY);
export const GRANTEE = addressOf(GRANTEE_KEY);
export const ISSUER = addressOf(ISSUER_KEY);
export const STRANGER = addressOf(STRANGER_KEY);
export const SESSION_KEY = generatePrivateKey();
export const SESSION = addressOf(SESSION_KEY);
export const OTHER_STREAM = `${HOLDER}/other`;

/** Unix seconds an hour after T0. */
export const EXPIRES = T0 / 1000 + 3600;

export function delegationOf(overrides: Partial<Delegation> = {}): Delegation {
  return { delegate: SESSION, streamIds: [STREAM_ID], permissions: PUBLISH_BIT | SUBSCRIBE_BIT, expiresAt: EXPIRES, salt: randomSalt(), ...overrides };
}

export function grantOf(overrides: Partial<AccessGrant> = {}): AccessGrant {
  return { grantee: GRANTEE, streamId: STREAM_ID, permissions: PUBLISH_BIT | SUBSCRIBE_BIT, expiresAt: EXPIRES, salt: randomSalt(), ...overrides };
}

export const signedDelegation = (overrides: Partial<Delegation> = {}, key: Hex = HOLDER_KEY, domain: MessageDomain = DOMAIN) =>
  signDelegation(delegationOf(overrides), { signer: key, domain });

export const signedGrant = (overrides: Partial<AccessGrant> = {}, key: Hex = ISSUER_KEY, domain: MessageDomain = DOMAIN) =>
  signAccessGrant(grantOf(overrides), { signer: key, domain });

/** A signer that signs with `key` but names `publisher`: how a session key publishes as its holder. */
export function signingAs(publisher: Address, key: Hex): MessageSigner {
  return { getAddress: () => publisher, sign: privateKeySigner(key).sign };
}

/** `count` messages of one chain from T0, one ms apart, signed by `key` as `publisher`, carrying `extra`. */
export async function messagesOf(
  count: number,
  { key, publisher, extra = {}, streamId = STREAM_ID, start = T0, domain = DOMAIN }: {
    key: Hex;
    publisher: Address;
    extra?: { delegation?: SignedDelegation; grant?: SignedAccessGrant };
    streamId?: string;
    start?: number;
    domain?: MessageDomain;
  },
): Promise<Array<SignedStreamMessage & typeof extra>> {
  let time = start;
  const publisherOf = createPublisher({ streamId, signer: signingAs(publisher, key), domain, now: () => time++ });
  const messages = [];
  for (let i = 0; i < count; i++) messages.push({ ...(await publisherOf.publish(new Uint8Array([i]))), ...extra });
  return messages;
}

/**
 * An in-memory registry reading, as `KeywayClient.getPermissionExpiry` answers: `expiries` maps
 * `holder:permission` (holder "public" for everyone) to unix seconds; records every query.
 */
export function permissionTable(expiries: Record<string, number>): PermissionSource & { expiries: Record<string, number>; queries: PermissionExpiryQuery[] } {
  const queries: PermissionExpiryQuery[] = [];
  return {
    expiries,
    queries,
    async getPermissionExpiry(query) {
      queries.push(query);
      const direct = expiries[`${query.userId}:${query.permission}`] ?? 0;
      const open = query.allowPublic ? expiries[`public:${query.permission}`] ?? 0 : 0;
      return Math.max(direct, open);
    },
  };
}
