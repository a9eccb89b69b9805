import { expect } from "chai";
import fc from "fast-check";
import { FOREVER } from "../../../sdk/permissions";
import {
  createMessageValidator,
  createPublisher,
  fromJSON,
  InvalidMessageError,
  MAX_CONTENT_BYTES,
  MAX_MESSAGE_JSON_LENGTH,
  MessageRejectedError,
  toJSON,
  type SignedStreamMessage,
} from "../../../sdk/message";
import { DOMAIN, fakePermissions, PUBLISHER, PUBLISHER_KEY, STREAM_ID, T0 } from "./fixtures";

// What a relay receives from anyone: arbitrary JSON, and genuine messages with fields replaced.
const ON_STREAM = { streamId: STREAM_ID, partition: 0 };
const FIELDS = ["streamId", "partition", "timestamp", "sequenceNumber", "publisher", "msgChainId",
  "prevTimestamp", "prevSequenceNumber", "contentType", "content", "signature"] as const;

describe("sdk/message on untrusted input", () => {
  let genuine: SignedStreamMessage;
  let time = T0;
  const publisher = createPublisher({ streamId: STREAM_ID, signer: PUBLISHER_KEY, domain: DOMAIN, now: () => time++ });
  const validator = () =>
    createMessageValidator({ domain: DOMAIN, permissions: fakePermissions({ [PUBLISHER]: FOREVER }, () => T0), now: () => T0 });

  before(async () => {
    genuine = await publisher.publish("0x01");
  });

  /** Runs `promise`; anything but a MessageRejectedError (or an acceptance of `allowed`) fails the test. */
  async function expectRejectedOrGenuine(promise: Promise<unknown>, input: unknown): Promise<void> {
    try {
      const accepted = await promise;
      expect(accepted, `accepted ${JSON.stringify(input)}`).to.deep.equal(genuine);
    } catch (error) {
      expect(error, String(error)).to.be.instanceOf(MessageRejectedError);
    }
  }

  it("validate rejects any JSON value with a MessageRejectedError, never another exception", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => expectRejectedOrGenuine(validator().validate(value, ON_STREAM), value)),
      { numRuns: 300 },
    );
  });

  it("validate rejects a genuine message with any field replaced by any JSON value, or removed, or one added", async () => {
    const mutation = fc.oneof(
      fc.record({ field: fc.constantFrom(...FIELDS), value: fc.jsonValue() }).map(({ field, value }) => ({ ...genuine, [field]: value })),
      fc.constantFrom(...FIELDS).map((field) => Object.fromEntries(Object.entries(genuine).filter(([name]) => name !== field))),
      fc.record({ name: fc.string(), value: fc.jsonValue() }).map(({ name, value }) => ({ ...genuine, [name]: value })),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (input) => expectRejectedOrGenuine(validator().validate(input, ON_STREAM), input)),
      { numRuns: 500 },
    );
  });

  it("fromJSON throws only InvalidMessageError for any text, also a genuine message's text edited anywhere", () => {
    const text = JSON.stringify(toJSON(genuine));
    const edited = fc
      .record({ at: fc.nat({ max: text.length }), cut: fc.nat({ max: 8 }), insert: fc.string({ maxLength: 4 }) })
      .map(({ at, cut, insert }) => text.slice(0, at) + insert + text.slice(at + cut));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), edited), (input) => {
        let message: SignedStreamMessage;
        try {
          message = fromJSON(input); // an edit may leave a well-formed (if forged) message
        } catch (error) {
          expect(error, `${String(error)} for ${input}`).to.be.instanceOf(InvalidMessageError);
          return;
        }
        expect(fromJSON(JSON.stringify(message))).to.deep.equal(message);
      }),
      { numRuns: 1000 },
    );
  });

  it(`bounds the content at ${MAX_CONTENT_BYTES} bytes, for publishers and readers alike`, async () => {
    const largest = await publisher.publish(new Uint8Array(MAX_CONTENT_BYTES));
    expect(fromJSON(JSON.stringify(largest))).to.deep.equal(largest);
    expect(await validator().validate(largest, ON_STREAM)).to.deep.equal(largest);
    try {
      await publisher.publish(new Uint8Array(MAX_CONTENT_BYTES + 1));
      expect.fail("published content beyond the bound");
    } catch (error) {
      expect(error).to.be.instanceOf(InvalidMessageError).and.to.include({ field: "content" });
    }
    const tooLarge = { ...largest, content: `${largest.content}00` };
    expect(() => fromJSON(tooLarge)).to.throw(InvalidMessageError, "at most");
    const rejection = await validator().validate(tooLarge, ON_STREAM).catch((error: unknown) => error);
    expect(rejection).to.be.instanceOf(MessageRejectedError).and.to.include({ reason: "malformed" });
  });

  it("refuses JSON text beyond MAX_MESSAGE_JSON_LENGTH before parsing it, and deeply nested text", () => {
    const padded = `${" ".repeat(MAX_MESSAGE_JSON_LENGTH)}${JSON.stringify(genuine)}`;
    expect(() => fromJSON(padded)).to.throw(InvalidMessageError, "longer than");
    expect(() => fromJSON(`${"[".repeat(1e6)}${"]".repeat(1e6)}`)).to.throw(InvalidMessageError);
    expect(() => fromJSON(`${'{"a":'.repeat(2e5)}1${"}".repeat(2e5)}`)).to.throw(InvalidMessageError);
  });
});
