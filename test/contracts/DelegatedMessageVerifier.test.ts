import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { hashTypedData, zeroAddress, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  accessGrantTypedData,
  createMessageValidator,
  createPublisher,
  delegationTypedData,
  permissionIndex,
  PUBLISH_BIT,
  randomSalt,
  signAccessGrant,
  signDelegation,
  SUBSCRIBE_BIT,
  type AccessGrant,
  type Delegation,
  type MessageDomain,
  type PermissionSource,
  type SignedAccessGrant,
  type SignedDelegation,
  type SignedStreamMessage,
} from "../../sdk";
import type { DelegatedMessageVerifier, StreamMessageVerifier } from "../../typechain-types";
import { domainSeparator } from "../../sdk/message/hash";
import { signCheckedMessage } from "../../sdk/message/sign";
import { toMessageSigner } from "../../sdk/message/signers";
import type { StreamMessage } from "../../sdk/message";
import { signingAs } from "../sdk/delegation/fixtures";
import { deployRegistryFixture, FOREVER, Permission, splitSigned as split, streamIdOf } from "./fixtures";

// Hardhat's accounts 0-3: creator (the holder), alice, bob, carol.
const [CREATOR_KEY, ALICE_KEY, BOB_KEY, CAROL_KEY]: Hex[] = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
];
const SESSION_KEY: Hex = "0x1111111111111111111111111111111111111111111111111111111111111111";
const lower = (key: Hex) => privateKeyToAccount(key).address.toLowerCase() as Address;
const [CREATOR, ALICE, BOB, CAROL, SESSION] = [CREATOR_KEY, ALICE_KEY, BOB_KEY, CAROL_KEY, SESSION_KEY].map(lower);

async function fixture() {
  const base = await deployRegistryFixture();
  const { registry } = base;
  const messages = (await (await ethers.getContractFactory("StreamMessageVerifier")).deploy(await registry.getAddress())) as unknown as StreamMessageVerifier;
  const verifier = (await (await ethers.getContractFactory("DelegatedMessageVerifier")).deploy(await messages.getAddress())) as unknown as DelegatedMessageVerifier;
  await registry.createStream("/main", "{}");
  await registry.createStream("/other", "{}");
  const streamId = streamIdOf(CREATOR, "/main");
  // bob issues grants; alice holds Publish until an hour from now.
  const hour = (await time.latest()) + 3600;
  await registry.grantPermissions(streamId, [BOB, ALICE], [[0, 0, 0, 0, FOREVER], [0, 0, hour, 0, 0]]);
  const { chainId } = await ethers.provider.getNetwork();
  const domain: MessageDomain = { chainId: Number(chainId), verifyingContract: (await registry.getAddress()) as Address };
  // The registry read directly, uncached: what the validator and the contract see are the same.
  const permissions: PermissionSource = {
    async getPermissionExpiry({ streamId: id, userId, permission, allowPublic }) {
      const now = await time.latest();
      const index = permissionIndex(permission);
      const read = async (holder: string) => Number((await registry.getPermissionsForUser(id, holder))[index]);
      const held = [await read(userId), allowPublic ? await read(zeroAddress) : 0].filter((expiry) => expiry > now);
      return Math.max(0, ...held);
    },
  };
  return { ...base, messages, verifier, streamId, otherStreamId: streamIdOf(CREATOR, "/other"), domain, permissions, nowMs: (await time.latest()) * 1000, hour };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;
let chainCount = 0;

async function messageOf(f: Fixture, { key, publisher, streamId = f.streamId, timestamp = f.nowMs }: { key: Hex; publisher: Address; streamId?: string; timestamp?: number }) {
  const publisherOf = createPublisher({ streamId, signer: signingAs(publisher, key), domain: f.domain, msgChainId: `chain-${chainCount++}`, now: () => timestamp });
  return publisherOf.publish(new Uint8Array([1, 2, 3]));
}

const delegationOf = (f: Fixture, overrides: Partial<Delegation> = {}): Delegation => ({
  delegate: SESSION,
  streamIds: [f.otherStreamId, f.streamId],
  permissions: PUBLISH_BIT,
  expiresAt: f.nowMs / 1000 + 600,
  salt: randomSalt(),
  ...overrides,
});

const grantOf = (f: Fixture, overrides: Partial<AccessGrant> = {}): AccessGrant => ({
  grantee: ALICE,
  streamId: f.streamId,
  permissions: PUBLISH_BIT | SUBSCRIBE_BIT,
  expiresAt: f.nowMs / 1000 + 600,
  salt: randomSalt(),
  ...overrides,
});

/** A delegation signed without the SDK's checks, as an attacker could. */
async function signRaw(f: Fixture, delegation: Delegation, key: Hex): Promise<SignedDelegation> {
  return { ...delegation, signature: await privateKeyToAccount(key).signTypedData(delegationTypedData(delegation, f.domain)) };
}

/** `message` changed by `overrides` and signed again by `key` without the SDK's checks, as an attacker could. */
async function unchecked(f: Fixture, { signature: _, ...message }: SignedStreamMessage, key: Hex, overrides: Partial<StreamMessage>): Promise<SignedStreamMessage> {
  return signCheckedMessage({ ...message, ...overrides }, { signer: toMessageSigner(key), domain: f.domain, separator: domainSeparator(f.domain) });
}

const withoutSignature = <T extends { signature: Hex }>({ signature: _, ...rest }: T) => rest;

/** Cases made of `message` (by `key`) encrypted: its groupKeyId signed, then changed, stripped, or over 64 units. */
async function encryptedCases(f: Fixture, message: SignedStreamMessage, key: Hex): Promise<Array<[string, boolean, SignedStreamMessage]>> {
  const encrypted = await unchecked(f, message, key, { groupKeyId: "k-7f3a" });
  const { groupKeyId: _, ...stripped } = encrypted;
  return [
    ["encrypted (groupKeyId signed)", true, encrypted],
    ["encrypted, groupKeyId changed", false, { ...encrypted, groupKeyId: "k-7f3b" }],
    ["encrypted, groupKeyId stripped", false, stripped],
    ["a groupKeyId longer than the SDK allows", false, await unchecked(f, message, key, { groupKeyId: "k".repeat(65) })],
  ];
}

/** The SDK validator's verdict (no clock-skew limit: the contract leaves that to subscribers). */
async function sdkAccepts(f: Fixture, message: SignedStreamMessage & Record<string, unknown>): Promise<boolean> {
  const validator = createMessageValidator({ domain: f.domain, permissions: f.permissions, maxClockSkewMs: 2 ** 40 });
  return validator.validate(message, message).then(
    () => true,
    () => false,
  );
}

async function delegatedVerdicts(f: Fixture, message: SignedStreamMessage, delegation: SignedDelegation): Promise<[boolean, boolean]> {
  const [fields, signature] = split(message);
  const onChain = await f.verifier.mayPublishDelegated(fields, signature, withoutSignature(delegation), delegation.signature);
  return [onChain, await sdkAccepts(f, { ...message, delegation })];
}

async function grantedVerdicts(f: Fixture, message: SignedStreamMessage, grant: SignedAccessGrant): Promise<[boolean, boolean]> {
  const [fields, signature] = split(message);
  const { issuer, signature: grantSignature, ...struct } = grant;
  const onChain = await f.verifier.mayPublishGranted(fields, signature, struct, issuer, grantSignature);
  return [onChain, await sdkAccepts(f, { ...message, grant })];
}

describe("DelegatedMessageVerifier", () => {
  it("computes the SDK's digests of delegations and grants", async () => {
    const f = await loadFixture(fixture);
    for (const delegation of [delegationOf(f), delegationOf(f, { streamIds: [f.streamId], permissions: SUBSCRIBE_BIT, expiresAt: 2 ** 40 })]) {
      expect(await f.verifier.hashDelegation(delegation)).to.equal(hashTypedData(delegationTypedData(delegation, f.domain)));
    }
    const grant = grantOf(f);
    expect(await f.verifier.hashAccessGrant(grant)).to.equal(hashTypedData(accessGrantTypedData(grant, f.domain)));
    expect(await f.verifier.PUBLISH_BIT()).to.equal(BigInt(PUBLISH_BIT));
    expect(await f.verifier.SUBSCRIBE_BIT()).to.equal(BigInt(SUBSCRIBE_BIT));
  });

  it("accepts a delegated message exactly when the SDK's validator does", async () => {
    const f = await loadFixture(fixture);
    const sign = (overrides: Partial<Delegation> = {}, key = CREATOR_KEY, domain = f.domain) => signDelegation(delegationOf(f, overrides), { signer: key, domain });
    const bySession = (overrides: Partial<Parameters<typeof messageOf>[1]> = {}) => messageOf(f, { key: SESSION_KEY, publisher: CREATOR, ...overrides });
    const good = await sign();
    const cases: Array<[string, boolean, SignedStreamMessage, SignedDelegation]> = [
      ["valid", true, await bySession(), good],
      ["valid, the holder's right held through the public is enough", true, await bySession(), good],
      ["a stream it does not list", false, await bySession({ streamId: streamIdOf(CREATOR, "/third") }), good],
      ["without Publish", false, await bySession(), await sign({ permissions: SUBSCRIBE_BIT })],
      ["a bit other than Publish and Subscribe", false, await bySession(), await signRaw(f, delegationOf(f, { permissions: PUBLISH_BIT | 1 }), CREATOR_KEY)],
      ["timestamp at its expiry", false, await bySession({ timestamp: f.nowMs + 600_000 }), good],
      ["timestamp just before its expiry", true, await bySession({ timestamp: f.nowMs + 599_999 }), good],
      ["signed for another chain", false, await bySession(), await sign({}, CREATOR_KEY, { ...f.domain, chainId: 1 })],
      ["signed for another registry", false, await bySession(), await sign({}, CREATOR_KEY, { ...f.domain, verifyingContract: zeroAddress })],
      ["tampered", false, await bySession(), { ...good, expiresAt: good.expiresAt + 1 }],
      ["signed by someone other than the publisher", false, await bySession(), await sign({}, CAROL_KEY)],
      ["message not signed by the delegate", false, await messageOf(f, { key: CAROL_KEY, publisher: CREATOR }), good],
      ["holder without Publish", false, await messageOf(f, { key: SESSION_KEY, publisher: CAROL }), await sign({}, CAROL_KEY)],
      ["holder's Publish expires before the message", false, await messageOf(f, { key: SESSION_KEY, publisher: ALICE, timestamp: f.hour * 1000 }), await sign({ expiresAt: f.hour + 10 }, ALICE_KEY)],
      ["a msgChainId longer than the SDK allows", false, await unchecked(f, await bySession(), SESSION_KEY, { msgChainId: "a".repeat(65) }), good],
      ["holder's Publish lasts beyond the message", true, await messageOf(f, { key: SESSION_KEY, publisher: ALICE, timestamp: f.hour * 1000 - 1 }), await sign({ expiresAt: f.hour + 10 }, ALICE_KEY)],
      ...(await encryptedCases(f, await bySession(), SESSION_KEY)).map(([name, expected, message]): [string, boolean, SignedStreamMessage, SignedDelegation] => [name, expected, message, good]),
    ];
    for (const [name, expected, message, delegation] of cases) {
      expect(await delegatedVerdicts(f, message, delegation), name).to.deep.equal([expected, expected]);
    }
  });

  it("rejects a delegated message once the holder's Publish is revoked", async () => {
    const f = await loadFixture(fixture);
    const delegation = await signDelegation(delegationOf(f), { signer: ALICE_KEY, domain: f.domain });
    const message = await messageOf(f, { key: SESSION_KEY, publisher: ALICE });
    expect(await delegatedVerdicts(f, message, delegation)).to.deep.equal([true, true]);
    await f.registry.revokePermissions(f.streamId, [ALICE], [1 << Permission.Publish]);
    expect(await delegatedVerdicts(f, message, delegation)).to.deep.equal([false, false]);
  });

  it("accepts a granted message exactly when the SDK's validator does", async () => {
    const f = await loadFixture(fixture);
    const sign = (overrides: Partial<AccessGrant> = {}, key = BOB_KEY, domain = f.domain) => signAccessGrant(grantOf(f, overrides), { signer: key, domain });
    const byCarol = (overrides: Partial<Parameters<typeof messageOf>[1]> = {}) => messageOf(f, { key: CAROL_KEY, publisher: CAROL, ...overrides });
    const good = await sign({ grantee: CAROL });
    const cases: Array<[string, boolean, SignedStreamMessage, SignedAccessGrant]> = [
      ["valid", true, await byCarol(), good],
      ["presented by someone other than its grantee", false, await messageOf(f, { key: ALICE_KEY, publisher: ALICE }), good],
      ["another stream", false, await byCarol({ streamId: f.otherStreamId }), good],
      ["without Publish", false, await byCarol(), await sign({ grantee: CAROL, permissions: SUBSCRIBE_BIT })],
      ["timestamp at its expiry", false, await byCarol({ timestamp: f.nowMs + 600_000 }), good],
      ["signed for another chain", false, await byCarol(), await sign({ grantee: CAROL }, BOB_KEY, { ...f.domain, chainId: 1 })],
      ["another issuer named", false, await byCarol(), { ...good, issuer: CREATOR }],
      ["tampered", false, await byCarol(), { ...good, permissions: PUBLISH_BIT }],
      ["issuer without Grant", false, await byCarol(), await sign({ grantee: CAROL }, ALICE_KEY)],
      ["issued by the creator (who holds Grant)", true, await byCarol(), await sign({ grantee: CAROL }, CREATOR_KEY)],
      ["a msgChainId longer than the SDK allows", false, await unchecked(f, await byCarol(), CAROL_KEY, { msgChainId: "a".repeat(65) }), good],
      ["message not signed by its publisher", false, await messageOf(f, { key: ALICE_KEY, publisher: CAROL }), good],
      ...(await encryptedCases(f, await byCarol(), CAROL_KEY)).map(([name, expected, message]): [string, boolean, SignedStreamMessage, SignedAccessGrant] => [name, expected, message, good]),
    ];
    for (const [name, expected, message, grant] of cases) {
      expect(await grantedVerdicts(f, message, grant), name).to.deep.equal([expected, expected]);
    }
    await f.registry.revokePermissions(f.streamId, [BOB], [1 << Permission.Grant]);
    expect(await grantedVerdicts(f, await byCarol(), good), "issuer's Grant revoked").to.deep.equal([false, false]);
  });
});
