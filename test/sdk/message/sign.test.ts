import { expect } from "chai";
import { Wallet, verifyTypedData as ethersVerifyTypedData } from "ethers";
import { hashTypedData, recoverTypedDataAddress, verifyTypedData, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { secp256k1 } from "@noble/curves/secp256k1";
import {
  getCryptoBackend,
  hashStreamMessage,
  InvalidMessageError,
  signStreamMessage,
  ENCRYPTED_STREAM_MESSAGE_TYPE,
  STREAM_MESSAGE_TYPE,
  verifyStreamMessage,
  type SignedStreamMessage,
  type StreamMessage,
} from "../../../sdk/message";
import { InvalidArgumentError } from "../../../sdk/errors";
import {
  DOMAIN,
  forEachBackend,
  OTHER,
  OTHER_KEY,
  PUBLISHER,
  PUBLISHER_KEY,
  sampleMessage,
  signSample,
  withSignatureByte,
} from "./fixtures";

// Only what docs/messages.md documents: a verifier in another stack needs nothing else.
const DOCUMENTED_DOMAIN = { name: "Keyway", version: "1", chainId: DOMAIN.chainId, verifyingContract: DOMAIN.verifyingContract };
/** The fields of a documented EIP-712 type string, `Name(type name,...)`, as viem and ethers take them. */
function fieldsOf(typeString: string) {
  return typeString
    .slice(typeString.indexOf("(") + 1, -1)
    .split(",")
    .map((field) => {
      const [type, name] = field.split(" ");
      return { name, type };
    });
}
const DOCUMENTED_TYPES = { StreamMessage: fieldsOf(STREAM_MESSAGE_TYPE) };
const DOCUMENTED_ENCRYPTED_TYPES = { EncryptedStreamMessage: fieldsOf(ENCRYPTED_STREAM_MESSAGE_TYPE) };


function documentedValue(message: StreamMessage) {
  return { ...message, timestamp: BigInt(message.timestamp), prevTimestamp: BigInt(message.prevTimestamp) };
}

/** The signer viem recovers for `message` under `signature`, lowercase. */
async function viemRecover(message: SignedStreamMessage, signature: Hex): Promise<string> {
  const { signature: _, ...unsigned } = message;
  const signer = await recoverTypedDataAddress({
    domain: DOCUMENTED_DOMAIN,
    types: DOCUMENTED_TYPES,
    primaryType: "StreamMessage",
    message: documentedValue(unsigned),
    signature,
  });
  return signer.toLowerCase();
}

function toBytes(hex: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

describe("sdk/message signing and verification", () => {
  it("uses the native curve addon and the WebAssembly Keccak on Node", () => {
    expect(getCryptoBackend()).to.deep.equal({ curve: "native", keccak: "wasm" });
  });

  it("signs the type string of the design brief, verbatim", () => {
    expect(STREAM_MESSAGE_TYPE).to.equal(
      "StreamMessage(string streamId,uint32 partition,uint64 timestamp,uint32 sequenceNumber," +
        "address publisher,string msgChainId,uint64 prevTimestamp,uint32 prevSequenceNumber," +
        "string contentType,bytes content)",
    );
  });

  it("signs an encrypted message as the StreamMessage type with groupKeyId last", () => {
    expect(ENCRYPTED_STREAM_MESSAGE_TYPE).to.equal(`Encrypted${STREAM_MESSAGE_TYPE.slice(0, -1)},string groupKeyId)`);
  });

  describe("encrypted messages (with groupKeyId)", () => {
    const encrypted = () => sampleMessage({ groupKeyId: "k-7f3a" });

    it("hash and signature as viem and ethers make them from the documented EncryptedStreamMessage type", async () => {
      const expected = hashTypedData({
        domain: DOCUMENTED_DOMAIN,
        types: DOCUMENTED_ENCRYPTED_TYPES,
        primaryType: "EncryptedStreamMessage",
        message: documentedValue(encrypted()),
      });
      expect(Buffer.from(hashStreamMessage(encrypted(), DOMAIN)).toString("hex")).to.equal(expected.slice(2));
      const signed = await signStreamMessage(encrypted(), { signer: PUBLISHER_KEY, domain: DOMAIN });
      const { signature, ...message } = signed;
      expect(ethersVerifyTypedData(DOCUMENTED_DOMAIN, DOCUMENTED_ENCRYPTED_TYPES, documentedValue(message), signature).toLowerCase()).to.equal(PUBLISHER);
      const fromViem = await signStreamMessage(encrypted(), { signer: privateKeyToAccount(PUBLISHER_KEY), domain: DOMAIN });
      expect(fromViem.signature).to.equal(signed.signature);
      expect(verifyStreamMessage(signed, DOMAIN)).to.equal(true);
    });

    it("fails when groupKeyId is changed, removed or added: the key id is signed", async () => {
      const signed = await signStreamMessage(encrypted(), { signer: PUBLISHER_KEY, domain: DOMAIN });
      expect(verifyStreamMessage({ ...signed, groupKeyId: "k-7f3b" }, DOMAIN)).to.equal(false);
      const { groupKeyId: _, ...stripped } = signed;
      expect(verifyStreamMessage(stripped, DOMAIN)).to.equal(false);
      const plain = await signSample();
      expect(verifyStreamMessage({ ...plain, groupKeyId: "k-7f3a" }, DOMAIN)).to.equal(false);
    });

    it("refuses an empty, too long or ill-formed groupKeyId, naming the field", () => {
      for (const groupKeyId of ["", "k".repeat(65), "\ud800", 7, null]) {
        expect(() => verifyStreamMessage({ ...sampleMessage(), groupKeyId, signature: `0x${"11".repeat(65)}` } as never, DOMAIN))
          .to.throw(InvalidMessageError)
          .with.property("field", "groupKeyId");
      }
    });
  });

  forEachBackend(() => {
    it("hashes exactly as viem's hashTypedData", async () => {
      for (const message of [sampleMessage(), sampleMessage({ content: "0x", prevTimestamp: 0, prevSequenceNumber: 0, partition: 2 ** 32 - 1 })]) {
        const expected = hashTypedData({
          domain: DOCUMENTED_DOMAIN,
          types: DOCUMENTED_TYPES,
          primaryType: "StreamMessage",
          message: documentedValue(message),
        });
        expect(Buffer.from(hashStreamMessage(message, DOMAIN)).toString("hex")).to.equal(expected.slice(2));
      }
    });

    it("produces signatures that viem and ethers verify from the documented domain and types alone", async () => {
      const signed = await signSample();
      const { signature, ...message } = signed;
      expect(
        await verifyTypedData({
          address: PUBLISHER,
          domain: DOCUMENTED_DOMAIN,
          types: DOCUMENTED_TYPES,
          primaryType: "StreamMessage",
          message: documentedValue(message),
          signature,
        }),
      ).to.equal(true);
      const recovered = ethersVerifyTypedData(DOCUMENTED_DOMAIN, DOCUMENTED_TYPES, documentedValue(message), signature);
      expect(recovered.toLowerCase()).to.equal(PUBLISHER);
      expect(verifyStreamMessage(signed, DOMAIN)).to.equal(true);
    });

    it("signs the same bytes as viem and ethers (RFC 6979), through each kind of signer", async () => {
      const fromKey = await signSample();
      const fromViem = await signStreamMessage(sampleMessage(), { signer: privateKeyToAccount(PUBLISHER_KEY), domain: DOMAIN });
      const fromEthers = await signStreamMessage(sampleMessage(), { signer: new Wallet(PUBLISHER_KEY), domain: DOMAIN });
      expect(fromViem.signature).to.equal(fromKey.signature);
      expect(fromEthers.signature).to.equal(fromKey.signature);
    });

    it("rejects a signer that is not the message's publisher, and a malformed message", async () => {
      await signStreamMessage(sampleMessage(), { signer: OTHER_KEY, domain: DOMAIN }).then(
        () => expect.fail("signed for another publisher"),
        (error) => expect(error).to.be.instanceOf(InvalidArgumentError),
      );
      await signStreamMessage(sampleMessage({ partition: -1 }), { signer: PUBLISHER_KEY, domain: DOMAIN }).then(
        () => expect.fail("signed a malformed message"),
        (error) => expect(error).to.be.instanceOf(InvalidMessageError).and.to.include({ field: "partition" }),
      );
    });

    describe("tampering", () => {
      let signed: SignedStreamMessage;
      before(async () => {
        signed = await signSample();
      });

      const tamperings: Record<keyof StreamMessage, Partial<StreamMessage>> = {
        groupKeyId: { groupKeyId: "k-1" },
        streamId: { streamId: `${PUBLISHER}/sensors/humidity` },
        partition: { partition: 3 },
        timestamp: { timestamp: sampleMessage().timestamp + 1 },
        sequenceNumber: { sequenceNumber: 5 },
        publisher: { publisher: OTHER },
        msgChainId: { msgChainId: "chain-b" },
        prevTimestamp: { prevTimestamp: sampleMessage().prevTimestamp + 1 },
        prevSequenceNumber: { prevSequenceNumber: 2 },
        contentType: { contentType: "text/plain" },
        content: { content: "0x7b2274223a32312e367d" },
      };
      for (const [field, change] of Object.entries(tamperings)) {
        it(`fails when ${field} changes`, () => {
          expect(verifyStreamMessage({ ...signed, ...change }, DOMAIN)).to.equal(false);
        });
      }

      it("fails for another chain id or another registry", () => {
        expect(verifyStreamMessage(signed, { ...DOMAIN, chainId: 1 })).to.equal(false);
        expect(verifyStreamMessage(signed, { ...DOMAIN, verifyingContract: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" })).to.equal(false);
      });

      it("fails when r, s or v changes, v flipped 27 <-> 28 included", async () => {
        const bytes = toBytes(signed.signature);
        expect(verifyStreamMessage({ ...signed, signature: withSignatureByte(signed.signature, 5, bytes[5] ^ 1) }, DOMAIN)).to.equal(false);
        expect(verifyStreamMessage({ ...signed, signature: withSignatureByte(signed.signature, 40, bytes[40] ^ 1) }, DOMAIN)).to.equal(false);
        const flipped = withSignatureByte(signed.signature, 64, bytes[64] === 27 ? 28 : 27);
        expect(verifyStreamMessage({ ...signed, signature: flipped }, DOMAIN)).to.equal(false);
        // After a verification that cached the publisher's key, the flipped one must still fail.
        expect(verifyStreamMessage(signed, DOMAIN)).to.equal(true);
        expect(verifyStreamMessage({ ...signed, signature: flipped }, DOMAIN)).to.equal(false);
        // ...exactly as viem's recovery makes it fail.
        expect(await viemRecover(signed, flipped)).to.not.equal(PUBLISHER);
      });

      it("fails for v written as 0/1 instead of 27/28 (one encoding per signature)", () => {
        const bytes = toBytes(signed.signature);
        expect(verifyStreamMessage({ ...signed, signature: withSignatureByte(signed.signature, 64, bytes[64] - 27) }, DOMAIN)).to.equal(false);
      });

      it("rejects the high-s twin of a valid signature, which viem would accept (malleability)", async () => {
        const bytes = toBytes(signed.signature);
        const signature = secp256k1.Signature.fromCompact(bytes.subarray(0, 64));
        const twin = new secp256k1.Signature(signature.r, secp256k1.CURVE.n - signature.s);
        const highS = `0x${twin.toCompactHex()}${(bytes[64] === 27 ? 28 : 27).toString(16)}` as Hex;
        expect(await viemRecover(signed, highS)).to.equal(PUBLISHER);
        expect(verifyStreamMessage({ ...signed, signature: highS }, DOMAIN)).to.equal(false);
      });

      it("fails for signatures with r or s out of range", () => {
        const zero = `0x${"00".repeat(64)}1b` as Hex;
        const overflow = `0x${"ff".repeat(32)}${"00".repeat(31)}011b` as Hex;
        expect(verifyStreamMessage({ ...signed, signature: zero }, DOMAIN)).to.equal(false);
        expect(verifyStreamMessage({ ...signed, signature: overflow }, DOMAIN)).to.equal(false);
      });

      it("throws a typed error, not false, for a malformed message", () => {
        expect(() => verifyStreamMessage({ ...signed, timestamp: 1.5 }, DOMAIN)).to.throw(InvalidMessageError);
        expect(() => verifyStreamMessage({ ...signed, signature: "0x1234" }, DOMAIN)).to.throw(InvalidMessageError);
      });
    });
  });
});
