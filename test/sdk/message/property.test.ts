import { expect } from "chai";
import fc from "fast-check";
import {
  fromJSON,
  InvalidMessageError,
  signStreamMessage,
  toJSON,
  verifyStreamMessage,
  type StreamMessage,
} from "../../../sdk/message";
import { DOMAIN, forEachBackend, PUBLISHER, PUBLISHER_KEY } from "./fixtures";

const UINT32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);
// Whole code points (no lone surrogates), at most two UTF-16 units each.
const text = (maxLength: number) => fc.string({ unit: "binary", minLength: 1, maxLength: Math.floor(maxLength / 2) });

/** Any well-formed message of the publisher, its chain link pointing backwards (or first). */
const messages: fc.Arbitrary<StreamMessage> = fc
  .record({
    path: fc.array(segment, { minLength: 1, maxLength: 4 }),
    partition: UINT32,
    timestamp: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    sequenceNumber: UINT32,
    first: fc.boolean(),
    back: fc.integer({ min: 1, max: 10_000 }),
    prevSequenceNumber: UINT32,
    msgChainId: text(64),
    contentType: text(255),
    content: fc.uint8Array({ maxLength: 300 }),
  })
  .map(({ path, first, back, content, ...fields }) => ({
    ...fields,
    streamId: `${PUBLISHER}/${path.join("/")}`,
    publisher: PUBLISHER,
    prevTimestamp: first ? 0 : Math.max(0, fields.timestamp - back),
    prevSequenceNumber: first || fields.timestamp - back <= 0 ? 0 : fields.prevSequenceNumber,
    content: `0x${Buffer.from(content).toString("hex")}` as const,
  }));

describe("sdk/message properties", () => {
  forEachBackend((backend) => {
    const numRuns = backend === "auto" ? 300 : 60;

    it("random messages round-trip through JSON text and verify", async () => {
      await fc.assert(
        fc.asyncProperty(messages, async (message) => {
          const signed = await signStreamMessage(message, { signer: PUBLISHER_KEY, domain: DOMAIN });
          const parsed = fromJSON(JSON.stringify(toJSON(signed)));
          expect(parsed).to.deep.equal(signed);
          expect(verifyStreamMessage(parsed, DOMAIN)).to.equal(true);
        }),
        { numRuns },
      );
    });

    it("a random single-byte corruption of the 65 signature bytes never verifies", async () => {
      await fc.assert(
        fc.asyncProperty(messages, fc.integer({ min: 0, max: 64 }), fc.integer({ min: 1, max: 255 }), async (message, index, mask) => {
          const signed = await signStreamMessage(message, { signer: PUBLISHER_KEY, domain: DOMAIN });
          const bytes = Buffer.from(signed.signature.slice(2), "hex");
          bytes[index] ^= mask; // always a different byte
          expect(verifyStreamMessage({ ...signed, signature: `0x${bytes.toString("hex")}` }, DOMAIN)).to.equal(false);
        }),
        { numRuns },
      );
    });

    it("a random single-byte corruption of the JSON text never verifies", async () => {
      await fc.assert(
        fc.asyncProperty(messages, fc.nat(), fc.integer({ min: 1, max: 255 }), async (message, position, delta) => {
          const signed = await signStreamMessage(message, { signer: PUBLISHER_KEY, domain: DOMAIN });
          const bytes = Buffer.from(JSON.stringify(toJSON(signed)));
          const index = position % bytes.length;
          bytes[index] = (bytes[index] + delta) % 256; // always a different byte
          let corrupted;
          try {
            corrupted = fromJSON(new TextDecoder().decode(bytes));
          } catch (error) {
            expect(error).to.be.instanceOf(InvalidMessageError);
            return;
          }
          expect(verifyStreamMessage(corrupted, DOMAIN)).to.equal(false);
        }),
        { numRuns: numRuns * 3 },
      );
    });
  });
});
