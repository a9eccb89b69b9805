import { expect } from "chai";
import { createRelay, type Relay } from "../../relay";
import { connect, type Frame, type RawClient, type RelayOnChain, startRelayOnChain } from "./fixtures";
import { createTestStream, publisherOf, relayTestHooks, waitForContent } from "./helpers";

const BEFORE_ALL = { timestamp: 0, sequenceNumber: 0 };

/** The JSON contents of the `message` pushes a client received on a (stream, partition), in order. */
function contentsOn(client: RawClient, streamId: string, partition: number): Frame[] {
  return client.frames
    .filter((frame) => frame.type === "message" && frame.streamId === streamId && frame.partition === partition)
    .map((frame) => JSON.parse(Buffer.from(frame.message.content.slice(2), "hex").toString("utf8")));
}

describe("relay: history and from replays", function () {
  let chain: RelayOnChain;
  let streamId: string;
  const relayWith = relayTestHooks(async () => {
    chain = await startRelayOnChain();
    streamId = await createTestStream(chain.clientOf(0), { publicSubscribe: true, partitions: 3 });
    return chain;
  });

  it("keeps at most historyMaxBytes across partitions, dropping the oldest accepted first; from replays only what is kept", async function () {
    // Each message ~10 KB: a budget of 50,000 bytes holds four of them, whichever partitions they are on.
    const relay = await relayWith({ historyMaxBytes: 50_000 });
    const publisher = await connect(relay.url);
    const padding = "x".repeat(5_000); // twice that in the frame: content is hex
    const publishers = [0, 1, 2].map((partition) => publisherOf(chain, streamId, chain.accounts[0], partition));
    const sent = Array.from({ length: 12 }, (_, n) => ({ n, partition: n % 3 }));
    for (const { n, partition } of sent) {
      const reply = await publisher.request({ type: "publish", message: await publishers[partition]({ n, padding }) });
      expect(reply).to.include({ type: "published" });
    }
    const reader = await connect(relay.url);
    for (const partition of [0, 1, 2]) {
      expect(await reader.request({ type: "subscribe", streamId, partition, from: BEFORE_ALL })).to.include({ type: "subscribed" });
    }
    // A live message on each partition follows its replay.
    for (const partition of [0, 1, 2]) await publisher.request({ type: "publish", message: await publishers[partition]({ n: "live" }) });
    await reader.waitFor(() => [0, 1, 2].every((partition) => contentsOn(reader, streamId, partition).some(({ n }) => n === "live")), "the live messages");
    const kept = [0, 1, 2].map((partition) => contentsOn(reader, streamId, partition).map(({ n }) => n).slice(0, -1) as number[]);
    const all = kept.flat().sort((a, b) => a - b);
    // The newest ones, with no hole: nothing newer was dropped before something older.
    expect(all.length, JSON.stringify(kept)).to.be.within(3, 4);
    expect(all).to.deep.equal(sent.slice(sent.length - all.length).map(({ n }) => n));
    kept.forEach((ns, partition) => expect(ns, `partition ${partition} in order`).to.deep.equal(all.filter((n) => n % 3 === partition)));
  });

  describe("a from replay larger than maxBufferedBytes", function () {
    // 100 messages of ~200 KB: 20 MB, more than the limit and than the kernel's socket buffers on loopback.
    const maxBufferedBytes = 256 * 1024;
    const padding = "x".repeat(100_000);
    let relay: Relay;
    let replayStream: string;
    let publisher: RawClient;
    let publish: (value: unknown) => Promise<unknown>;
    const published: unknown[] = [];

    before(async function () {
      relay = await createRelay({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, port: 0, pollingInterval: 200, maxBufferedBytes, maxFrameBytes: 1024 * 1024 });
      replayStream = await createTestStream(chain.clientOf(0), { publicSubscribe: true });
      publish = publisherOf(chain, replayStream, chain.accounts[0]);
      publisher = await connect(relay.url);
      for (let n = 0; n < 100; n += 1) await publishOne({ n, padding });
    });
    // Each test's clients are closed after it.
    beforeEach(async function () {
      publisher = await connect(relay.url);
    });
    after(async function () {
      await relay?.close();
    });

    async function publishOne(value: { n: unknown; padding?: string }): Promise<void> {
      const reply = await publisher.request({ type: "publish", message: await publish(value) });
      expect(reply).to.include({ type: "published" });
      published.push(value.n);
    }

    it("reaches a reader that reads completely and in order, paced by its socket, then live messages with no gap and no repeat", async function () {
      const reader = await connect(relay.url);
      const subscribed = reader.request({ type: "subscribe", streamId: replayStream, from: BEFORE_ALL });
      // Live messages while the replay is under way: held, then sent after it.
      for (let n = 0; n < 5; n += 1) await publishOne({ n: `live ${n}` });
      expect(await subscribed).to.include({ type: "subscribed" });
      await publishOne({ n: "last" });
      await waitForContent(reader, replayStream, { n: "last" }); // one frame's content compared, not every frame decoded again per frame
      expect(contentsOn(reader, replayStream, 0).map(({ n }) => n)).to.deep.equal(published);
      expect(reader.socket.readyState).to.equal(reader.socket.OPEN);
    });

    it("closes a reader that stops reading with 1013 once what is held for it passes maxBufferedBytes", async function () {
      const reader = await connect(relay.url);
      (reader.socket as unknown as { _socket: { pause(): void } })._socket.pause();
      reader.sendRaw(JSON.stringify({ type: "subscribe", id: 1, streamId: replayStream, from: BEFORE_ALL }));
      // The replay stalls on the full socket; live messages wait for it, past the limit.
      for (let n = 0; n < 10; n += 1) await publishOne({ n: `held ${n}`, padding });
      (reader.socket as unknown as { _socket: { resume(): void } })._socket.resume();
      expect((await reader.closed).code).to.equal(1013);
      expect(contentsOn(reader, replayStream, 0).length).to.be.below(published.length);
    });
  });
});
