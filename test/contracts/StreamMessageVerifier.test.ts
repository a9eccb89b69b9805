import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { secp256k1 } from "@noble/curves/secp256k1";
import type { Address, Hex } from "viem";
import { InvalidMessageError, signStreamMessage, hashStreamMessage, verifyStreamMessage, type MessageDomain, type StreamMessage } from "../../sdk/message";
import { domainSeparator } from "../../sdk/message/hash";
import { signCheckedMessage } from "../../sdk/message/sign";
import { toMessageSigner } from "../../sdk/message/signers";
import type { StreamMessageVerifier } from "../../typechain-types";
import { deployRegistryFixture, FOREVER, messageStruct, Permission, splitSigned as split, streamIdOf } from "./fixtures";

// Hardhat's accounts 0 (creator) and 1 (alice): the SDK signs with their keys.
const CREATOR_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const ALICE_KEY: Hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const PATH = "/sensors/temperature";

async function verifierFixture() {
  const base = await deployRegistryFixture();
  const verifier = (await (await ethers.getContractFactory("StreamMessageVerifier")).deploy(
    await base.registry.getAddress(),
  )) as unknown as StreamMessageVerifier;
  await base.registry.createStream(PATH, "{}");
  const { chainId } = await ethers.provider.getNetwork();
  const domain: MessageDomain = { chainId: Number(chainId), verifyingContract: (await base.registry.getAddress()) as Address };
  const streamId = streamIdOf(base.creator.address, PATH);
  const nowMs = (await time.latest()) * 1000;
  return { ...base, verifier, domain, streamId, nowMs };
}

type Fixture = Awaited<ReturnType<typeof verifierFixture>>;

function message(fixture: Fixture, publisher: string, overrides: Partial<StreamMessage> = {}): StreamMessage {
  return {
    streamId: fixture.streamId,
    partition: 0,
    timestamp: fixture.nowMs,
    sequenceNumber: 0,
    publisher: publisher.toLowerCase() as Address,
    msgChainId: "chain-a",
    prevTimestamp: 0,
    prevSequenceNumber: 0,
    contentType: "application/json",
    content: "0x7b2274223a32317d",
    ...overrides,
  };
}

function sign(fixture: Fixture, key: Hex, publisher: string, overrides: Partial<StreamMessage> = {}, domain = fixture.domain) {
  return signStreamMessage(message(fixture, publisher, overrides), { signer: key, domain });
}

describe("StreamMessageVerifier", () => {
  it("computes the SDK's domain separator and digest", async () => {
    const fixture = await loadFixture(verifierFixture);
    const { verifier, domain, creator } = fixture;
    expect(await verifier.domainSeparator()).to.equal(`0x${Buffer.from(domainSeparator(domain)).toString("hex")}`);
    const cases = [
      message(fixture, creator.address),
      message(fixture, creator.address, { content: "0x", partition: 2 ** 32 - 1, sequenceNumber: 2 ** 32 - 1, prevTimestamp: fixture.nowMs - 1, prevSequenceNumber: 7 }),
      message(fixture, creator.address, { timestamp: Number.MAX_SAFE_INTEGER, msgChainId: "ünïcode ✓", content: `0x${"ab".repeat(300)}` }),
      message(fixture, creator.address, { groupKeyId: "k-7f3a" }),
      message(fixture, creator.address, { groupKeyId: "😀".repeat(32), content: `0x${"cd".repeat(300)}` }),
    ];
    for (const fields of cases) {
      expect(await verifier.hashStreamMessage(messageStruct(fields))).to.equal(`0x${Buffer.from(hashStreamMessage(fields, domain)).toString("hex")}`);
    }
  });

  it("recovers the publisher of an SDK-signed message", async () => {
    const fixture = await loadFixture(verifierFixture);
    const [fields, signature] = split(await sign(fixture, CREATOR_KEY, fixture.creator.address));
    expect(await fixture.verifier.recoverPublisher(fields, signature)).to.equal(fixture.creator.address);
    expect(await fixture.verifier.isSignedByPublisher(fields, signature)).to.equal(true);
  });

  it("fails for any tampered field, another registry or chain, and non-canonical signatures", async () => {
    const fixture = await loadFixture(verifierFixture);
    const { verifier, creator, alice } = fixture;
    const [fields, signature] = split(await sign(fixture, CREATOR_KEY, creator.address));
    const tampered: Array<Partial<StreamMessage>> = [
      { streamId: `${fields.streamId}2` }, { partition: 1 }, { timestamp: fields.timestamp + 1 }, { sequenceNumber: 1 },
      { publisher: alice.address.toLowerCase() as Address }, { msgChainId: "chain-b" }, { prevTimestamp: 1 },
      { prevSequenceNumber: 1 }, { contentType: "text/plain" }, { content: "0x00" }, { groupKeyId: "k-7f3a" },
    ];
    for (const change of tampered) {
      expect(await verifier.isSignedByPublisher({ ...fields, ...change }, signature), JSON.stringify(change)).to.equal(false);
    }
    for (const domain of [{ ...fixture.domain, chainId: 1 }, { ...fixture.domain, verifyingContract: await verifier.getAddress() as Address }]) {
      const [otherFields, otherSignature] = split(await sign(fixture, CREATOR_KEY, creator.address, {}, domain));
      expect(await verifier.isSignedByPublisher(otherFields, otherSignature)).to.equal(false);
    }
    const bytes = Buffer.from(signature.slice(2), "hex");
    const compact = secp256k1.Signature.fromCompact(bytes.subarray(0, 64));
    const highS = `0x${new secp256k1.Signature(compact.r, secp256k1.CURVE.n - compact.s).toCompactHex()}${(bytes[64] ^ 7).toString(16)}`;
    const flippedV = `0x${bytes.subarray(0, 64).toString("hex")}${(bytes[64] ^ 7).toString(16)}`; // 27 <-> 28
    const zeroOneV = `0x${bytes.subarray(0, 64).toString("hex")}0${bytes[64] - 27}`;
    for (const bad of [highS, flippedV, zeroOneV, signature.slice(0, 130)]) {
      expect(await verifier.recoverPublisher(fields, bad)).to.not.equal(creator.address);
      expect(await verifier.isSignedByPublisher(fields, bad)).to.equal(false);
    }
  });

  describe("encrypted messages (groupKeyId set)", () => {
    const GROUP_KEY_ID = "k-7f3a";

    it("verifies one signed by the SDK as the SDK does: same digest, signer and verdict", async () => {
      const fixture = await loadFixture(verifierFixture);
      const { verifier, domain, creator } = fixture;
      const signed = await sign(fixture, CREATOR_KEY, creator.address, { groupKeyId: GROUP_KEY_ID });
      expect(verifyStreamMessage(signed, domain)).to.equal(true);
      const [fields, signature] = split(signed);
      expect(fields.groupKeyId).to.equal(GROUP_KEY_ID);
      const { signature: _, ...message } = signed;
      expect(await verifier.hashStreamMessage(fields)).to.equal(`0x${Buffer.from(hashStreamMessage(message, domain)).toString("hex")}`);
      expect(await verifier.recoverPublisher(fields, signature)).to.equal(creator.address);
      expect(await verifier.isWellFormed(fields)).to.equal(true);
      expect(await verifier.mayPublish(fields, signature)).to.equal(true);
    });

    it("fails when groupKeyId is changed or stripped (\"\" reads as a plain message), as in the SDK", async () => {
      const fixture = await loadFixture(verifierFixture);
      const { verifier, domain, creator } = fixture;
      const signed = await sign(fixture, CREATOR_KEY, creator.address, { groupKeyId: GROUP_KEY_ID });
      const [fields, signature] = split(signed);
      const { groupKeyId: _, ...stripped } = signed;
      expect(verifyStreamMessage({ ...signed, groupKeyId: "k-7f3b" }, domain)).to.equal(false);
      expect(verifyStreamMessage(stripped, domain)).to.equal(false);
      for (const groupKeyId of ["k-7f3b", "k-7f3", ""]) {
        expect(await verifier.isSignedByPublisher({ ...fields, groupKeyId }, signature), groupKeyId).to.equal(false);
        expect(await verifier.mayPublish({ ...fields, groupKeyId }, signature), groupKeyId).to.equal(false);
      }
    });

    it("never takes an empty groupKeyId for a key: the SDK refuses it, and its unchecked signature does not verify on chain", async () => {
      const fixture = await loadFixture(verifierFixture);
      const { verifier, domain, creator } = fixture;
      const overrides = { groupKeyId: "" };
      const refused = await sign(fixture, CREATOR_KEY, creator.address, overrides).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(InvalidMessageError).and.to.include({ field: "groupKeyId" });
      const signed = await signCheckedMessage(message(fixture, creator.address, overrides), {
        signer: toMessageSigner(CREATOR_KEY),
        domain,
        separator: domainSeparator(domain),
      });
      const [fields, signature] = split(signed);
      expect(await verifier.isSignedByPublisher(fields, signature)).to.equal(false);
      expect(await verifier.mayPublish(fields, signature)).to.equal(false);
    });
  });

  it("tells whether the publisher may publish: creator yes, stranger no, public Publish yes", async () => {
    const fixture = await loadFixture(verifierFixture);
    const { verifier, registry, creator, alice, streamId } = fixture;
    const [byCreator, creatorSignature] = split(await sign(fixture, CREATOR_KEY, creator.address));
    const [byAlice, aliceSignature] = split(await sign(fixture, ALICE_KEY, alice.address));
    expect(await verifier.mayPublish(byCreator, creatorSignature)).to.equal(true);
    expect(await verifier.mayPublish(byAlice, aliceSignature)).to.equal(false);
    expect(await verifier.mayPublish({ ...byAlice, publisher: creator.address }, aliceSignature)).to.equal(false); // forged
    await registry.grantPermission(streamId, ethers.ZeroAddress, Permission.Publish);
    expect(await verifier.publishExpiry(streamId, alice.address)).to.equal(FOREVER);
    expect(await verifier.mayPublish(byAlice, aliceSignature)).to.equal(true);
  });

  it("compares the message time (ms) with the Publish expiry (s), and forgets expired and revoked grants", async () => {
    const fixture = await loadFixture(verifierFixture);
    const { verifier, registry, alice, streamId } = fixture;
    const expiry = Math.floor(fixture.nowMs / 1000) + 3600;
    await registry.grantPermissions(streamId, [alice.address], [[0, 0, expiry, 0, 0]]);
    const [before, beforeSignature] = split(await sign(fixture, ALICE_KEY, alice.address, { timestamp: expiry * 1000 - 1 }));
    const [at, atSignature] = split(await sign(fixture, ALICE_KEY, alice.address, { timestamp: expiry * 1000 }));
    expect(await verifier.publishExpiry(streamId, alice.address)).to.equal(expiry);
    expect(await verifier.mayPublish(before, beforeSignature)).to.equal(true);
    expect(await verifier.mayPublish(at, atSignature)).to.equal(false);

    await time.increaseTo(expiry);
    expect(await verifier.publishExpiry(streamId, alice.address)).to.equal(0);
    expect(await verifier.mayPublish(before, beforeSignature)).to.equal(false);

    await registry.grantPermission(streamId, alice.address, Permission.Publish);
    expect(await verifier.mayPublish(before, beforeSignature)).to.equal(true);
    await registry.revokePermission(streamId, alice.address, Permission.Publish);
    expect(await verifier.mayPublish(before, beforeSignature)).to.equal(false);
  });

  describe("agrees with the SDK's parser on what is well formed", () => {
    /** Signed with the publisher's key but without the SDK's checks: what a careless or hostile publisher can produce. */
    function signUnchecked(fixture: Fixture, overrides: Partial<StreamMessage>) {
      return signCheckedMessage(message(fixture, fixture.creator.address, overrides), {
        signer: toMessageSigner(CREATOR_KEY),
        domain: fixture.domain,
        separator: domainSeparator(fixture.domain),
      });
    }

    it("rejects, as the SDK does, an empty msgChainId or contentType, a link that does not point back, prevSequenceNumber without prevTimestamp, a groupKeyId over 64 units", async () => {
      const fixture = await loadFixture(verifierFixture);
      const t = fixture.nowMs;
      const malformed: Array<Partial<StreamMessage>> = [
        { msgChainId: "" },
        { contentType: "" },
        { timestamp: t, sequenceNumber: 5, prevTimestamp: t, prevSequenceNumber: 5 }, // points at itself
        { timestamp: t, sequenceNumber: 5, prevTimestamp: t, prevSequenceNumber: 6 }, // forward, same ms
        { timestamp: t, sequenceNumber: 0, prevTimestamp: t + 1, prevSequenceNumber: 0 }, // forward in time
        { prevTimestamp: 0, prevSequenceNumber: 1 },
        // Lengths in UTF-16 code units, as the SDK counts them (the contract sees UTF-8 bytes).
        { msgChainId: "a".repeat(65) },
        { msgChainId: "é".repeat(65) }, // 130 bytes
        { msgChainId: "😀".repeat(33) }, // 66 code units in 132 bytes
        { contentType: "t".repeat(256) },
        { groupKeyId: "k".repeat(65) },
        { groupKeyId: "😀".repeat(33) }, // 66 code units in 132 bytes
      ];
      for (const overrides of malformed) {
        const signed = await signUnchecked(fixture, overrides);
        expect(() => verifyStreamMessage(signed, fixture.domain), JSON.stringify(overrides)).to.throw(InvalidMessageError);
        const [fields, signature] = split(signed);
        expect(await fixture.verifier.isSignedByPublisher(fields, signature), JSON.stringify(overrides)).to.equal(true);
        expect(await fixture.verifier.mayPublish(fields, signature), JSON.stringify(overrides)).to.equal(false);
        expect(await fixture.verifier.isWellFormed(fields), JSON.stringify(overrides)).to.equal(false);
      }
    });

    it("accepts, as the SDK does, the closest well-formed cases", async () => {
      const fixture = await loadFixture(verifierFixture);
      const t = fixture.nowMs;
      const wellFormed: Array<Partial<StreamMessage>> = [
        { msgChainId: "c", contentType: "t" },
        { prevTimestamp: 0, prevSequenceNumber: 0 },
        { timestamp: t, sequenceNumber: 5, prevTimestamp: t, prevSequenceNumber: 4 },
        { timestamp: t, sequenceNumber: 0, prevTimestamp: t - 1, prevSequenceNumber: 2 ** 32 - 1 },
        { msgChainId: "a".repeat(64), contentType: "t".repeat(255) },
        { msgChainId: "😀".repeat(32) }, // 64 code units in 128 bytes
        { msgChainId: "€".repeat(64) }, // 64 code units in 192 bytes
        { groupKeyId: "k" },
        { groupKeyId: "k".repeat(64) },
        { groupKeyId: "😀".repeat(32) }, // 64 code units in 128 bytes
      ];
      for (const overrides of wellFormed) {
        const signed = await sign(fixture, CREATOR_KEY, fixture.creator.address, overrides);
        expect(verifyStreamMessage(signed, fixture.domain), JSON.stringify(overrides)).to.equal(true);
        const [fields, signature] = split(signed);
        expect(await fixture.verifier.isWellFormed(fields), JSON.stringify(overrides)).to.equal(true);
        expect(await fixture.verifier.mayPublish(fields, signature), JSON.stringify(overrides)).to.equal(true);
        await fixture.verifier.requireWellFormed(fields);
      }
    });

    it("requireWellFormed names the field the SDK would refuse in a custom error", async () => {
      const fixture = await loadFixture(verifierFixture);
      const t = fixture.nowMs;
      const cases: Array<[Partial<StreamMessage>, string]> = [
        [{ msgChainId: "a".repeat(65) }, "msgChainId"],
        [{ msgChainId: "" }, "msgChainId"],
        [{ contentType: "t".repeat(256) }, "contentType"],
        [{ groupKeyId: "k".repeat(65) }, "groupKeyId"],
        [{ timestamp: t, sequenceNumber: 5, prevTimestamp: t, prevSequenceNumber: 5 }, "prevTimestamp"],
      ];
      for (const [overrides, field] of cases) {
        const [fields] = split(await signUnchecked(fixture, overrides));
        await expect(fixture.verifier.requireWellFormed(fields), field).to.be.revertedWithCustomError(fixture.verifier, "StreamMessageVerifierMalformedMessage").withArgs(field);
      }
    });
  });

  it("answers no for a stream that does not exist", async () => {
    const fixture = await loadFixture(verifierFixture);
    const [fields, signature] = split(await sign(fixture, CREATOR_KEY, fixture.creator.address, { streamId: streamIdOf(fixture.creator.address, "/nothing") }));
    expect(await fixture.verifier.isSignedByPublisher(fields, signature)).to.equal(true);
    expect(await fixture.verifier.mayPublish(fields, signature)).to.equal(false);
  });
});
