import { expect } from "chai";
import { pack } from "msgpackr";
import WebSocket, { WebSocketServer } from "ws";
import { BinaryFrameError, decodeBinaryFrame, encodeBinaryFrame, type FrameDirection, KeywayClient, type MessageMetadata, Subprotocol, verifyStreamMessage } from "../../sdk";
import { connect, type Frame, type RawClient, type RelayOnChain } from "./fixtures";
import { contentsOf, domainOf, messagesOf, publicStreamTestHooks, publisherOf, until, waitForContent } from "./helpers";

const ADDRESS = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const HASH = `0x${"ab".repeat(32)}`;
const SIGNATURE = `0x${"cd".repeat(64)}1b`;
const STREAM = `${ADDRESS}/binary`;

/** A signed message's shape (the values need not verify for a round trip), with and without its optional fields. */
const message = {
  streamId: STREAM,
  partition: 0,
  timestamp: 1_765_160_000_000,
  sequenceNumber: 3,
  publisher: ADDRESS,
  msgChainId: "chain-1",
  prevTimestamp: 1_765_159_999_999,
  prevSequenceNumber: 0,
  contentType: "application/json",
  content: `0x${"61".repeat(200)}`,
  signature: SIGNATURE,
};
const carrying = { ...message, groupKeyId: "key-1", delegation: { delegate: ADDRESS, streamIds: [STREAM], permissions: 3, expiresAt: 1_900_000_000, salt: HASH, signature: SIGNATURE } };
const grant = { grantee: ADDRESS, streamId: STREAM, permissions: 2, expiresAt: 1_900_000_000, salt: HASH, issuer: ADDRESS, signature: SIGNATURE };
const from = { timestamp: 1, sequenceNumber: 0 };

/** Every frame type of protocol v1, each way, with every field its type has (hex ones among them). */
const FRAMES: Record<FrameDirection, Frame[]> = {
  request: [
    { type: "auth", id: 1, message: "127.0.0.1 wants you to sign in...", signature: SIGNATURE, delegation: carrying.delegation },
    { type: "subscribe", id: "two", streamId: STREAM, partition: 1, from, grant, joinLeave: true },
    { type: "subscribe", id: 3, streamId: STREAM },
    { type: "unsubscribe", id: 4, streamId: STREAM, partition: 0 },
    { type: "publish", id: 5, message },
    { type: "publish", id: 6, message: carrying },
    { type: "openInbox", id: 7 },
    { type: "keyRequest", id: 8, to: [ADDRESS], request: { requester: ADDRESS, keyIds: ["key-1"], publicKey: HASH, signature: SIGNATURE } },
    { type: "keyResponse", id: 9, to: ADDRESS, response: { keys: [{ id: "key-1", wrapped: HASH }] } },
    { type: "sponsor", id: 10, change: { kind: "grant", nonce: "0x01", deadline: 1, signature: SIGNATURE } },
    { type: "history", id: 11, streamId: STREAM, partition: 0, limit: 5, from, reverse: true, grant },
    { type: "presence", id: 12, streamId: STREAM, partition: 0, grant },
  ],
  server: [
    { type: "hello", protocol: 1, chainId: 31337, registry: ADDRESS, nonce: "aB3dE6gH9jK2mN5p" },
    { type: "authenticated", id: 1, address: ADDRESS, expiresAt: null, nonce: "Qw3eR5tY7uI9oP1a" },
    { type: "subscribed", id: "two", streamId: STREAM, partition: 1 },
    { type: "published", id: 5 },
    { type: "unsubscribed", id: 4, streamId: STREAM, partition: 0, reason: "REQUESTED" },
    { type: "unsubscribed", streamId: STREAM, partition: 0, reason: "PERMISSION_REVOKED" },
    { type: "message", streamId: STREAM, partition: 0, message },
    { type: "message", streamId: STREAM, partition: 0, message: carrying },
    { type: "error", id: null, code: "INVALID_REQUEST", message: "the frame is not JSON" },
    { type: "error", id: 6, code: "MESSAGE_REJECTED", message: "seen", reason: "duplicate" },
    { type: "sponsored", id: 10, transactionHash: HASH },
    { type: "inboxOpen", id: 7 },
    { type: "forwarded", id: 8 },
    { type: "keyRequest", from: ADDRESS, request: { requester: ADDRESS, keyIds: ["key-1"], publicKey: HASH, signature: SIGNATURE } },
    { type: "keyResponse", from: ADDRESS, response: { keys: [{ id: "key-1", wrapped: HASH }] } },
    { type: "history", id: 11, messages: [message, carrying] },
    { type: "history", id: 13, messages: [] },
    { type: "presence", id: 12, streamId: STREAM, partition: 0, count: 3, clients: [{ address: ADDRESS, connections: 2 }] },
    { type: "join", streamId: STREAM, partition: 0, address: ADDRESS },
    { type: "leave", streamId: STREAM, partition: 0, address: ADDRESS },
  ],
};

/** Opens a raw `ws` socket offering `protocols` and resolves with the subprotocol the relay chose and whether its hello came binary. */
async function handshake(url: string, protocols: string[]): Promise<{ protocol: string; binaryHello: boolean }> {
  const socket = new WebSocket(url, protocols);
  const binaryHello = await new Promise<boolean>((resolve, reject) => {
    socket.once("message", (_data, isBinary) => resolve(isBinary));
    socket.once("error", reject);
  });
  const { protocol } = socket;
  socket.close();
  return { protocol, binaryHello };
}

describe("relay: binary frames (keyway-binary)", function () {
  describe("the encoding", function () {
    for (const direction of ["request", "server"] as const) {
      it(`round-trips every ${direction === "request" ? "client -> relay" : "relay -> client"} frame type to the same object as its JSON, hex as bytes`, function () {
        for (const frame of FRAMES[direction]) {
          const binary = encodeBinaryFrame(frame as { type: string }, direction);
          expect(decodeBinaryFrame(binary, direction), frame.type).to.deep.equal(JSON.parse(JSON.stringify(frame)));
          expect(binary.length, frame.type).to.be.below(Buffer.byteLength(JSON.stringify(frame)));
        }
      });
    }

    it("carries a message frame of a 200-byte payload in at most 0.6x its JSON bytes (the issue's goal), its signature as 65 raw bytes", function () {
      const frame = FRAMES.server.find((candidate) => candidate.type === "message")!;
      const binary = Buffer.from(encodeBinaryFrame(frame as { type: string }, "server"));
      expect(binary.length / Buffer.byteLength(JSON.stringify(frame))).to.be.at.most(0.6);
      expect(binary.includes(Buffer.from(SIGNATURE.slice(2), "hex"))).to.equal(true);
      expect(binary.includes(Buffer.from(SIGNATURE))).to.equal(false);
    });

    it("keeps strings that are not lowercase hex of whole bytes as strings (checksummed, odd length, 0X): each reads back exactly", function () {
      const strings = ["0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0xabc", "0Xab", "0x", "ab", "0x00"];
      const frame = { type: "error", id: null, code: "INVALID_REQUEST", message: strings.join(" "), reason: "0xabc" };
      for (const value of strings) {
        const decoded = decodeBinaryFrame(encodeBinaryFrame({ ...frame, message: value }, "server"), "server");
        expect(decoded.message).to.equal(value);
      }
    });

    it("refuses what is not a frame: not MessagePack, truncated, lengths past the data, no type, values JSON cannot hold, nesting past the bound", function () {
      const full = encodeBinaryFrame(FRAMES.request[4] as { type: string }, "request");
      const deep = pack(["subscribe", 1, STREAM, 0, JSON.parse(`${"[".repeat(40)}1${"]".repeat(40)}`)]);
      const refused: [string, Uint8Array][] = [
        ["empty", new Uint8Array()],
        ["truncated", full.subarray(0, full.length - 10)],
        ["array of 2^32-1 items", Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x61])],
        ["map of 2^28 entries", Uint8Array.from([0x92, 0xa9, ...Buffer.from("subscribe"), 0xdf, 0x0f, 0xff, 0xff, 0xff])],
        ["bytes of 2 GiB", Uint8Array.from([0x92, 0xa7, ...Buffer.from("publish"), 0xc6, 0x7f, 0xff, 0xff, 0xff, 0x00])],
        ["a map, not an array", pack({ type: "subscribe" })],
        ["no type", pack([1, 2])],
        ["a timestamp extension", pack(["subscribe", new Date(0)])],
        ["NaN", pack(["subscribe", Number.NaN])],
        ["undefined inside a value", Uint8Array.from([0x93, 0xa9, ...Buffer.from("subscribe"), 0x01, 0x91, 0xd4, 0x00, 0x00])],
        ["40 levels deep", deep],
        ["deeper than the stack", Buffer.concat([Buffer.from([0x92, 0xa9, ...Buffer.from("subscribe")]), Buffer.alloc(60_000, 0x91)])],
      ];
      for (const [what, bytes] of refused) expect(() => decodeBinaryFrame(bytes, "request"), what).to.throw(BinaryFrameError);
    });
  });

  describe("on a relay", function () {
    let chain: RelayOnChain;
    let streamId: string;
    const relayWith = publicStreamTestHooks((started, stream) => ((chain = started), (streamId = stream)));

    it("picks keyway-binary when offered (first or not), JSON otherwise: no subprotocol, keyway-json, or one it does not know (accepted, as ws does)", async function () {
      expect(await handshake(chain.url, [Subprotocol.BINARY, Subprotocol.JSON])).to.deep.equal({ protocol: Subprotocol.BINARY, binaryHello: true });
      expect(await handshake(chain.url, [Subprotocol.JSON, Subprotocol.BINARY])).to.deep.equal({ protocol: Subprotocol.BINARY, binaryHello: true });
      expect(await handshake(chain.url, [])).to.deep.equal({ protocol: "", binaryHello: false });
      expect(await handshake(chain.url, [Subprotocol.JSON])).to.deep.equal({ protocol: Subprotocol.JSON, binaryHello: false });
      expect(await handshake(chain.url, ["mqtt"])).to.deep.equal({ protocol: "mqtt", binaryHello: false });
    });

    it("a raw ws client speaking keyway-binary subscribes and publishes; JSON and binary subscribers get the same messages, both verifying", async function () {
      const binarySubscriber = await connect(chain.url, {}, { binary: true });
      const jsonSubscriber = await connect(chain.url);
      expect(binarySubscriber.hello).to.deep.equal({ ...jsonSubscriber.hello, nonce: binarySubscriber.hello.nonce });
      for (const subscriber of [binarySubscriber, jsonSubscriber]) expect(await subscriber.request({ type: "subscribe", streamId })).to.include({ type: "subscribed", streamId });
      const binaryPublisher = await connect(chain.url, {}, { binary: true });
      const jsonPublisher = await connect(chain.url);
      const publish = publisherOf(chain, streamId, chain.accounts[0]);
      for (let n = 0; n < 4; n += 1) {
        const signed = await publish({ n });
        expect(await (n % 2 === 0 ? binaryPublisher : jsonPublisher).request({ type: "publish", message: signed })).to.deep.include({ type: "published" });
      }
      for (const subscriber of [binarySubscriber, jsonSubscriber]) await waitForContent(subscriber, streamId, { n: 3 });
      expect(contentsOf(binarySubscriber, streamId)).to.deep.equal([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }]);
      const received = messagesOf(binarySubscriber, streamId).map((frame) => frame.message);
      expect(received).to.deep.equal(messagesOf(jsonSubscriber, streamId).map((frame) => frame.message));
      for (const signed of received) expect(verifyStreamMessage(signed, domainOf(chain))).to.equal(true);
      // Every frame the binary clients received (hello, replies, messages) came binary; none the JSON ones did.
      expect(binarySubscriber.binaryFrames).to.equal(binarySubscriber.frames.length);
      expect(binaryPublisher.binaryFrames).to.equal(binaryPublisher.frames.length);
      expect(jsonSubscriber.binaryFrames).to.equal(0);
    });

    it("pushes the same join and leave to binary and JSON joinLeave subscribers (each encoding serialised once)", async function () {
      const watchers = [await connect(chain.url, {}, { binary: true }), await connect(chain.url)];
      for (const watcher of watchers) await watcher.request({ type: "subscribe", streamId, joinLeave: true });
      const member = await connect(chain.url);
      await member.signIn(chain.accounts[1]);
      await member.request({ type: "subscribe", streamId });
      await member.close();
      const address = chain.accounts[1].account.address.toLowerCase();
      for (const watcher of watchers) await watcher.waitFor((frame) => frame.type === "leave", "the leave");
      const pushes = watchers.map((watcher) => watcher.frames.filter((frame) => frame.type === "join" || frame.type === "leave"));
      expect(pushes[0]).to.deep.equal([{ type: "join", streamId, partition: 0, address }, { type: "leave", streamId, partition: 0, address }]);
      expect(pushes[1]).to.deep.equal(pushes[0]);
      expect(watchers[0].binaryFrames).to.equal(watchers[0].frames.length);
    });

    it("answers the history query and replays `from` binary too, each message verifying", async function () {
      const publish = publisherOf(chain, streamId, chain.accounts[0]);
      const publisher = await connect(chain.url);
      const first = await publish({ kept: 1 });
      for (const signed of [first, await publish({ kept: 2 })]) await publisher.request({ type: "publish", message: signed });
      const reader = await connect(chain.url, {}, { binary: true });
      const history = await reader.request({ type: "history", streamId, limit: 10, from: { timestamp: first.timestamp - 1, sequenceNumber: 0 } });
      expect(history.messages.map((kept: Frame) => kept.content)).to.include.members([first.content]);
      for (const kept of history.messages) expect(verifyStreamMessage(kept, domainOf(chain))).to.equal(true);
      expect(await reader.request({ type: "subscribe", streamId, from: { timestamp: first.timestamp, sequenceNumber: first.sequenceNumber } })).to.include({ type: "subscribed" });
      await waitForContent(reader, streamId, { kept: 2 });
      expect(reader.binaryFrames).to.equal(reader.frames.length);
    });

    it("answers malformed binary frames as malformed JSON ones: a typed error frame, nothing delivered, the connection serving on", async function () {
      const subscriber = await connect(chain.url);
      await subscriber.request({ type: "subscribe", streamId });
      const client = await connect(chain.url, {}, { binary: true });
      const signed = await publisherOf(chain, streamId, chain.accounts[0])({ malformed: false });
      const valid = encodeBinaryFrame({ type: "publish", id: 1, message: signed }, "request");
      const cases: [string, Uint8Array, Partial<Frame>][] = [
        ["truncated", valid.subarray(0, valid.length - 20), { id: null, code: "INVALID_REQUEST" }],
        ["a huge array length", Uint8Array.from([0xdd, 0x7f, 0xff, 0xff, 0xff, 0xa7, ...Buffer.from("publish")]), { id: null, code: "INVALID_REQUEST" }],
        ["deep nesting", Buffer.concat([Buffer.from([0x93, 0xa7, ...Buffer.from("publish"), 0x02]), Buffer.alloc(30_000, 0x91)]), { id: null, code: "INVALID_REQUEST" }],
        ["an unknown type", pack(["shout", 3]), { id: null, code: "INVALID_REQUEST" }],
        ["a partition as a string", pack(["subscribe", 4, streamId, "0"]), { id: 4, code: "INVALID_REQUEST" }],
        ["the signature as a number, not bytes", pack(["publish", 5, [signed.streamId, 0, signed.timestamp, 0, Buffer.from(signed.publisher.slice(2), "hex"), signed.msgChainId, 0, 0, signed.contentType, Buffer.from(signed.content.slice(2), "hex"), 7]]), { id: 5, code: "INVALID_MESSAGE" }],
        ["a message as a string", pack(["publish", 6, "hello"]), { id: 6, code: "INVALID_MESSAGE" }],
        ["the content changed", encodeBinaryFrame({ type: "publish", id: 7, message: { ...signed, content: `${signed.content.slice(0, -2)}20` } }, "request"), { id: 7, code: "MESSAGE_REJECTED", reason: "invalid-signature" }],
      ];
      for (const [what, bytes, expected] of cases) {
        const before = client.frames.length;
        client.sendRaw(Buffer.from(bytes), { binary: true });
        await until(() => client.frames.length > before, `the answer to ${what}`);
        expect(client.frames[before], what).to.include({ type: "error", ...expected });
      }
      // A JSON connection refuses binary frames as before.
      subscriber.sendRaw(Buffer.from(valid), { binary: true });
      expect(await subscriber.waitFor((frame) => frame.type === "error", "the refusal")).to.include({ id: null, code: "INVALID_REQUEST" });
      // Nothing was delivered; both connections still serve.
      expect(messagesOf(subscriber, streamId)).to.deep.equal([]);
      expect(await client.request({ type: "publish", message: signed })).to.include({ type: "published" });
      await waitForContent(subscriber, streamId, { malformed: false });
      expect(messagesOf(subscriber, streamId)).to.have.length(1);
    });

    it("frames past maxFrameBytes close the connection with 1009, as JSON ones do", async function () {
      const relay = await relayWith({ maxFrameBytes: 1_024 });
      const client: RawClient = await connect(relay.url, {}, { binary: true });
      client.sendRaw(Buffer.from(pack(["publish", 1, Buffer.alloc(2_000)])), { binary: true });
      expect((await client.closed).code).to.equal(1009);
    });

    describe("the SDK", function () {
      it('relayEncoding "auto" against a relay older than the encoding (ws takes the first subprotocol offered, the hello comes as JSON text) speaks JSON', async function () {
        // Stands in for such a relay: no protocol choice of its own, JSON text only.
        const old = new WebSocketServer({ host: "127.0.0.1", port: 0 });
        await new Promise((resolve) => old.once("listening", resolve));
        const received: { protocol: string; binary: boolean; frame: Frame }[] = [];
        old.on("connection", (socket) => {
          socket.send(JSON.stringify({ type: "hello", protocol: 1, chainId: chain.chainId, registry: chain.registryAddress, nonce: "0123456789abcdef" }));
          socket.on("message", (data: Buffer, isBinary) => {
            const frame = isBinary ? decodeBinaryFrame(data, "request") : JSON.parse(data.toString());
            received.push({ protocol: socket.protocol, binary: isBinary, frame });
            if (frame.type === "subscribe") socket.send(JSON.stringify({ type: "subscribed", id: frame.id, streamId: frame.streamId, partition: 0 }));
          });
        });
        const client = new KeywayClient({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, relayUrl: `ws://127.0.0.1:${(old.address() as { port: number }).port}` });
        try {
          await client.subscribe(streamId, () => undefined);
          expect(received).to.have.length(1);
          expect(received[0]).to.deep.include({ protocol: Subprotocol.BINARY, binary: false });
          expect(received[0].frame).to.include({ type: "subscribe", streamId });
        } finally {
          client.destroy();
          await new Promise((resolve) => old.close(resolve));
        }
      });

      for (const relayEncoding of ["auto", "binary", "json"] as const) {
        it(`relayEncoding "${relayEncoding}": publishes and receives verified messages, beside a subscriber of the other encoding`, async function () {
          const clients = [relayEncoding, relayEncoding === "json" ? "binary" : "json"].map(
            (encoding) => new KeywayClient({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, privateKey: chain.accounts[0].privateKey, cache: false, relayUrl: chain.url, relayEncoding: encoding as "json" }),
          );
          try {
            const received: [unknown, MessageMetadata][][] = [[], []];
            await Promise.all(clients.map((client, index) => client.subscribe(streamId, (content, metadata) => void received[index].push([content, metadata]))));
            await clients[0].publish(streamId, { encoding: relayEncoding });
            await clients[1].publish(streamId, { from: "the other" });
            await until(() => received.every((list) => list.length === 2), "both messages at both subscribers");
            expect(received[0]).to.deep.equal(received[1]);
            expect(received[0].map(([content]) => content)).to.deep.equal([{ encoding: relayEncoding }, { from: "the other" }]);
          } finally {
            clients.forEach((client) => client.destroy());
          }
        });
      }
    });
  });
});
