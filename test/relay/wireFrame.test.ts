import { expect } from "chai";
import WebSocket from "ws";
import { wireFrame } from "../../relay/transmitter";

// ws's own frame parser, as a client runs it on what the relay writes (@types/ws does not declare it).
interface FrameReceiver {
  on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  write(chunk: Buffer): void;
}
const { Receiver } = WebSocket as unknown as { Receiver: new (options: { isServer: boolean; maxPayload: number }) => FrameReceiver };

/** Every message ws's client-side parser reads from `bytes`, or the error it stops at. */
function parse(bytes: Buffer): { messages: { text: string; isBinary: boolean }[]; error?: Error } {
  const receiver = new Receiver({ isServer: false, maxPayload: 0 });
  const result: { messages: { text: string; isBinary: boolean }[]; error?: Error } = { messages: [] };
  receiver.on("message", (data, isBinary) => result.messages.push({ text: data.toString(), isBinary }));
  receiver.on("error", (error) => (result.error = error));
  receiver.write(bytes);
  return result;
}

describe("relay: wireFrame (a message framed once for every subscriber)", function () {
  // Each payload-length encoding of RFC 6455 §5.2 on both sides of its bound: 7-bit, 16-bit, 64-bit.
  for (const length of [0, 1, 125, 126, 65_535, 65_536, 200_000]) {
    it(`is one final text frame that ws reads back unchanged: ${length} bytes`, function () {
      const text = "m".repeat(length);
      for (const payload of [text, Buffer.from(text)]) {
        expect(parse(wireFrame(payload))).to.deep.equal({ messages: [{ text, isBinary: false }] });
      }
    });
  }

  it("with `binary`, is one final binary frame (keyway-binary) that ws reads back unchanged, at each length encoding", function () {
    for (const length of [0, 125, 126, 65_535, 65_536]) {
      const bytes = Buffer.alloc(length, 0x62); // ASCII: the parser's text reads back byte for byte
      const { messages } = parse(wireFrame(bytes, true));
      expect(messages.map(({ isBinary }) => isBinary)).to.deep.equal([true]);
      expect(messages[0].text).to.equal(bytes.toString());
    }
  });

  it("measures a string in UTF-8 bytes, not characters", function () {
    const text = `{"content":"${"é€😀".repeat(40)}"}`; // 120 characters of 2, 3 and 4 bytes
    expect(Buffer.byteLength(text)).to.be.above(126).and.not.equal(text.length);
    expect(parse(wireFrame(text))).to.deep.equal({ messages: [{ text, isBinary: false }] });
  });

  it("frames can be concatenated (one corked write): each is read on its own, in order", function () {
    const texts = ["a", "b".repeat(300), "c".repeat(70_000), '{"type":"published","id":4}'];
    expect(parse(Buffer.concat(texts.map((text) => wireFrame(text))))).to.deep.equal({ messages: texts.map((text) => ({ text, isBinary: false })) });
  });

  it("is not read one byte short: the length in its header is exactly what follows", function () {
    const frame = wireFrame("x".repeat(300));
    const { messages } = parse(frame.subarray(0, frame.length - 1));
    expect(messages).to.deep.equal([]);
  });
});
