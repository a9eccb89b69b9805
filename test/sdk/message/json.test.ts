import { expect } from "chai";
import { fromJSON, InvalidMessageError, toJSON, type SignedStreamMessage } from "../../../sdk/message";
import { PUBLISHER, signSample, STREAM_ID } from "./fixtures";

function expectInvalid(value: unknown, field: string): void {
  try {
    fromJSON(value);
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidMessageError);
    expect((error as InvalidMessageError).field).to.equal(field);
    expect((error as InvalidMessageError).code).to.equal("INVALID_MESSAGE");
    expect((error as InvalidMessageError).message).to.include(field);
    return;
  }
  expect.fail(`accepted a message with a bad ${field}`);
}

describe("sdk/message JSON form", () => {
  let signed: SignedStreamMessage;
  before(async () => {
    signed = await signSample();
  });

  it("round-trips through JSON text with exactly the signed fields plus signature, in type order", () => {
    const text = JSON.stringify(toJSON(signed));
    expect(Object.keys(JSON.parse(text))).to.deep.equal([
      "streamId", "partition", "timestamp", "sequenceNumber", "publisher", "msgChainId",
      "prevTimestamp", "prevSequenceNumber", "contentType", "content", "signature",
    ]);
    expect(fromJSON(text)).to.deep.equal(signed);
    expect(fromJSON(JSON.parse(text))).to.deep.equal(signed);
  });

  it("drops nothing silently: an extra field is an error naming it", () => {
    expectInvalid({ ...signed, encryptionType: "NONE" }, "encryptionType");
  });

  for (const field of ["streamId", "partition", "timestamp", "sequenceNumber", "publisher", "msgChainId",
    "prevTimestamp", "prevSequenceNumber", "contentType", "content", "signature"] as const) {
    it(`names a missing ${field}`, () => {
      const { [field]: _, ...rest } = signed;
      expectInvalid(rest, field);
    });
  }

  const bad: Array<[keyof SignedStreamMessage, unknown, string]> = [
    ["streamId", 42, "a number"],
    ["streamId", `${PUBLISHER.toUpperCase().replace("0X", "0x")}/sensors/temperature`, "not canonical"],
    ["streamId", "not-a-stream", "not a stream id"],
    ["partition", -1, "negative"],
    ["partition", 2 ** 32, "beyond uint32"],
    ["partition", 1.5, "fractional"],
    ["partition", "2", "a string"],
    ["timestamp", 2 ** 53, "beyond safe integers"],
    ["timestamp", "1790000000000", "a string"],
    ["sequenceNumber", 2 ** 32, "beyond uint32"],
    ["publisher", "0x1234", "too short"],
    ["publisher", `${PUBLISHER}00`, "too long"],
    ["msgChainId", "", "empty"],
    ["msgChainId", "x".repeat(65), "too long"],
    ["msgChainId", null, "null"],
    ["prevTimestamp", -5, "negative"],
    ["prevSequenceNumber", 2 ** 32, "beyond uint32"],
    ["contentType", "", "empty"],
    ["contentType", "x".repeat(256), "too long"],
    ["content", "7b22", "without 0x"],
    ["content", "0x7b2", "odd length"],
    ["content", "0xzz", "not hex"],
    ["content", [1, 2], "an array"],
    ["signature", `0x${"ab".repeat(64)}`, "64 bytes"],
    ["signature", `0x${"ab".repeat(66)}`, "66 bytes"],
    ["signature", `0x${"gg".repeat(65)}`, "not hex"],
  ];
  for (const [field, value, what] of bad) {
    it(`rejects ${field} ${what}`, () => expectInvalid({ ...signed, [field]: value }, field));
  }

  it("rejects a chain link that does not point backwards", () => {
    expectInvalid({ ...signed, prevTimestamp: signed.timestamp, prevSequenceNumber: signed.sequenceNumber }, "prevTimestamp");
    expectInvalid({ ...signed, prevTimestamp: signed.timestamp + 1 }, "prevTimestamp");
    expectInvalid({ ...signed, prevTimestamp: 0, prevSequenceNumber: 1 }, "prevSequenceNumber");
  });

  it("rejects what is not a message object, and text that is not JSON", () => {
    for (const value of [null, 42, "[]", [signed], "{"]) expectInvalid(value, "message");
  });

  it("accepts only lowercase hex, so that each message has one JSON form", () => {
    const checksummed = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    expect(checksummed.toLowerCase()).to.equal(PUBLISHER);
    expectInvalid({ ...signed, publisher: checksummed }, "publisher");
    expectInvalid({ ...signed, content: signed.content.toUpperCase().replace("0X", "0x") }, "content");
    expectInvalid({ ...signed, signature: signed.signature.toUpperCase().replace("0X", "0x") }, "signature");
    expect(fromJSON({ ...signed }).streamId).to.equal(STREAM_ID);
  });

  it("rejects strings with lone surrogates, which would sign the same bytes as U+FFFD", () => {
    expectInvalid({ ...signed, msgChainId: "a\ud800" }, "msgChainId");
    expectInvalid({ ...signed, contentType: "\udc00" }, "contentType");
    expect(fromJSON({ ...signed, msgChainId: "emoji \ud83d\ude00" }).msgChainId).to.equal("emoji \u{1f600}");
  });

  describe("one spelling per number in JSON text", () => {
    /** The message's JSON text with the value of `field` written as `spelling`. */
    const spelled = (field: keyof SignedStreamMessage, spelling: string) =>
      JSON.stringify(toJSON(signed)).replace(`"${field}":${signed[field]}`, `"${field}":${spelling}`);

    it("accepts the plain decimal spelling, with whitespace between tokens", () => {
      expect(fromJSON(spelled("partition", String(signed.partition)))).to.deep.equal(signed);
      expect(fromJSON(JSON.stringify(toJSON(signed), null, 2))).to.deep.equal(signed);
      expect(fromJSON(spelled("prevSequenceNumber", ` ${signed.prevSequenceNumber}\n`))).to.deep.equal(signed);
      expect(fromJSON({ ...signed, streamId: `${PUBLISHER}/1e3/0.0` }).streamId).to.equal(`${PUBLISHER}/1e3/0.0`); // digits inside strings are no numbers
    });

    const { partition, sequenceNumber, timestamp } = { partition: 2, sequenceNumber: 4, timestamp: 1_790_000_000_000 };
    const cases: Array<[keyof SignedStreamMessage, string, string]> = [
      ["partition", `${partition}.0`, "a fraction of zero"],
      ["partition", `${partition}e0`, "an exponent"],
      ["partition", `${partition}E0`, "a capital exponent"],
      ["sequenceNumber", `${sequenceNumber * 10}e-1`, "a negative exponent"],
      ["timestamp", `${timestamp / 1000}e3`, "1e3 style"],
      ["timestamp", `${timestamp}.000`, "trailing fraction zeros"],
      ["prevSequenceNumber", "3.0", "0.0 style"],
      ["prevTimestamp", `${timestamp - 5}.0e0`, "fraction and exponent"],
    ];
    for (const [field, spelling, what] of cases) {
      it(`rejects ${field} written with ${what} (${spelling}), naming the field`, () => {
        expect(signed[field]).to.equal(Number(spelling)); // the same value, only spelled differently
        expectInvalid(spelled(field, spelling), field);
      });
    }

    it("rejects a zero written as -0 or 0.0", async () => {
      const first = await signSample({ prevTimestamp: 0, prevSequenceNumber: 0 });
      const text = JSON.stringify(toJSON(first));
      expect(fromJSON(text)).to.deep.equal(first);
      expectInvalid(text.replace('"prevSequenceNumber":0', '"prevSequenceNumber":-0'), "prevSequenceNumber");
      expectInvalid(text.replace('"prevTimestamp":0', '"prevTimestamp":0.0'), "prevTimestamp");
      expectInvalid(text.replace('"prevTimestamp":0', '"prevTimestamp":0e5'), "prevTimestamp");
    });

    it("rejects leading zeros and a plus sign (not JSON at all)", () => {
      for (const spelling of [`0${partition}`, `00${partition}`, `+${partition}`]) {
        expect(() => JSON.parse(spelled("partition", spelling))).to.throw(SyntaxError);
        expectInvalid(spelled("partition", spelling), "message");
      }
    });

    it("rejects a field written twice, whose first value JSON.parse would silently drop", () => {
      const text = JSON.stringify(toJSON(signed));
      expectInvalid(text.replace('{"streamId"', '{"partition":7,"streamId"'), "partition");
      expectInvalid(text.replace('{"streamId"', '{"part\\u0069tion":7,"streamId"'), "partition");
    });
  });
});
