import { expect } from "chai";
import { Wallet } from "ethers";
import type { Hex, LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { secp256k1 } from "@noble/curves/secp256k1";
import { createPublisher, InvalidMessageError, verifyStreamMessage } from "../../../sdk/message";
import { InvalidArgumentError, InvalidStreamIdError } from "../../../sdk/errors";
import { DOMAIN, PUBLISHER, PUBLISHER_KEY, STREAM_ID, T0 } from "./fixtures";

/** A clock the test moves by hand. */
function manualClock(start: number) {
  const clock = { time: start, now: () => clock.time };
  return clock;
}

describe("sdk/message Publisher", () => {
  it("chains messages: same millisecond -> next sequence number, new millisecond -> 0, each linked to the previous", async () => {
    const clock = manualClock(T0);
    const publisher = createPublisher({ streamId: STREAM_ID, partition: 1, signer: PUBLISHER_KEY, domain: DOMAIN, now: clock.now });
    const first = await publisher.publish(new Uint8Array([1]));
    const second = await publisher.publish(new Uint8Array([2]));
    clock.time += 7;
    const third = await publisher.publish("0x03");
    expect([first, second, third].map((m) => [m.timestamp, m.sequenceNumber, m.prevTimestamp, m.prevSequenceNumber])).to.deep.equal([
      [T0, 0, 0, 0],
      [T0, 1, T0, 0],
      [T0 + 7, 0, T0, 1],
    ]);
    for (const message of [first, second, third]) {
      expect(message).to.include({ streamId: STREAM_ID, partition: 1, publisher: PUBLISHER, msgChainId: publisher.msgChainId });
      expect(verifyStreamMessage(message, DOMAIN)).to.equal(true);
    }
    expect(third.content).to.equal("0x03");
  });

  it("stays monotonic when the clock steps back", async () => {
    const clock = manualClock(T0);
    const publisher = createPublisher({ streamId: STREAM_ID, signer: PUBLISHER_KEY, domain: DOMAIN, now: clock.now });
    await publisher.publish("0x01");
    clock.time -= 60_000;
    const afterStep = await publisher.publish("0x02");
    expect([afterStep.timestamp, afterStep.sequenceNumber, afterStep.prevTimestamp, afterStep.prevSequenceNumber]).to.deep.equal([T0, 1, T0, 0]);
    clock.time = T0 + 1;
    expect((await publisher.publish("0x03")).sequenceNumber).to.equal(0);
  });

  it("gives concurrent publishes distinct, increasing, linked positions", async () => {
    const publisher = createPublisher({ streamId: STREAM_ID, signer: PUBLISHER_KEY, domain: DOMAIN, now: () => T0 });
    const messages = await Promise.all([1, 2, 3, 4].map((i) => publisher.publish(new Uint8Array([i]))));
    expect(messages.map((m) => m.sequenceNumber)).to.deep.equal([0, 1, 2, 3]);
    expect(messages.slice(1).map((m) => m.prevSequenceNumber)).to.deep.equal([0, 1, 2]);
  });

  it("starts a fresh random chain per instance unless given a msgChainId", () => {
    const options = { streamId: STREAM_ID, signer: PUBLISHER_KEY, domain: DOMAIN };
    const a = createPublisher(options);
    const b = createPublisher(options);
    expect(a.msgChainId).to.match(/^[0-9a-f]{20}$/);
    expect(a.msgChainId).to.not.equal(b.msgChainId);
    expect(createPublisher({ ...options, msgChainId: "mine" }).msgChainId).to.equal("mine");
  });

  it("normalises a checksummed stream id and uses the content type given", async () => {
    const publisher = createPublisher({
      streamId: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266/sensors/temperature",
      signer: PUBLISHER_KEY,
      domain: DOMAIN,
      contentType: "application/json",
    });
    expect(publisher.streamId).to.equal(STREAM_ID);
    expect((await publisher.publish("0x7b7d")).contentType).to.equal("application/json");
    expect((await publisher.publish("0x00", { contentType: "application/octet-stream" })).contentType).to.equal("application/octet-stream");
  });

  it("signs through a viem account and an ethers signer", async () => {
    for (const signer of [privateKeyToAccount(PUBLISHER_KEY), new Wallet(PUBLISHER_KEY)]) {
      const message = await createPublisher({ streamId: STREAM_ID, signer, domain: DOMAIN }).publish("0x01");
      expect(message.publisher).to.equal(PUBLISHER);
      expect(verifyStreamMessage(message, DOMAIN)).to.equal(true);
    }
  });

  it("brings a wallet's non-canonical signature (v 0/1, high s) into canonical form", async () => {
    const account = privateKeyToAccount(PUBLISHER_KEY);
    const quirkyWallet: Pick<LocalAccount, "address" | "signTypedData"> = {
      address: account.address,
      signTypedData: async (typedData) => {
        const canonical = await account.signTypedData(typedData);
        const bytes = Buffer.from(canonical.slice(2), "hex");
        const signature = secp256k1.Signature.fromCompact(bytes.subarray(0, 64));
        const twin = new secp256k1.Signature(signature.r, secp256k1.CURVE.n - signature.s);
        return `0x${twin.toCompactHex()}0${bytes[64] === 27 ? 1 : 0}` as Hex; // high s, other v, written 0/1
      },
    };
    const message = await createPublisher({ streamId: STREAM_ID, signer: quirkyWallet, domain: DOMAIN }).publish("0x01");
    expect(verifyStreamMessage(message, DOMAIN)).to.equal(true);
  });

  it("rejects bad options and content with typed errors, without consuming a position", async () => {
    expect(() => createPublisher({ streamId: "nope", signer: PUBLISHER_KEY, domain: DOMAIN })).to.throw(InvalidStreamIdError);
    expect(() => createPublisher({ streamId: STREAM_ID, partition: -1, signer: PUBLISHER_KEY, domain: DOMAIN }))
      .to.throw(InvalidMessageError).with.property("field", "partition");
    expect(() => createPublisher({ streamId: STREAM_ID, msgChainId: "", signer: PUBLISHER_KEY, domain: DOMAIN }))
      .to.throw(InvalidMessageError).with.property("field", "msgChainId");
    expect(() => createPublisher({ streamId: STREAM_ID, contentType: "", signer: PUBLISHER_KEY, domain: DOMAIN }))
      .to.throw(InvalidMessageError).with.property("field", "contentType");
    expect(() => createPublisher({ streamId: STREAM_ID, signer: "0x1234", domain: DOMAIN })).to.throw(InvalidArgumentError);
    expect(() => createPublisher({ streamId: STREAM_ID, signer: {} as never, domain: DOMAIN })).to.throw(InvalidArgumentError);
    expect(() => createPublisher({ streamId: STREAM_ID, signer: PUBLISHER_KEY, domain: { ...DOMAIN, chainId: -1 } })).to.throw(InvalidArgumentError);

    const publisher = createPublisher({ streamId: STREAM_ID, signer: PUBLISHER_KEY, domain: DOMAIN, now: () => T0 });
    await publisher.publish("0xzz" as Hex).then(
      () => expect.fail("published non-hex content"),
      (error) => expect(error).to.be.instanceOf(InvalidMessageError).and.to.include({ field: "content" }),
    );
    await publisher.publish("0x01", { contentType: "" }).then(
      () => expect.fail("published an empty content type"),
      (error) => expect(error).to.be.instanceOf(InvalidMessageError).and.to.include({ field: "contentType" }),
    );
    const first = await publisher.publish("0x01");
    expect([first.sequenceNumber, first.prevTimestamp]).to.deep.equal([0, 0]);
  });
});
