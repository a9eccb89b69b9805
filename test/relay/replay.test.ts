import { expect } from "chai";
import { createRelay, type Relay, type RelayOptions } from "../../relay";
import { closeAllClients, connect, type Frame, type RawClient, type RelayOnChain, startRelayOnChain } from "./fixtures";
import { createTestStream, publisherOf } from "./helpers";

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
  const relays: Relay[] = [];

  before(async function () {
    chain = await startRelayOnChain();
    streamId = await createTestStream(chain.clientOf(0), { publicSubscribe: true });
  });
  afterEach(async function () {
    await closeAllClients();
    await Promise.all(relays.splice(0).map((relay) => relay.close()));
  });
  after(async function () {
    await chain?.stop();
  });

  async function relayWith(options: Partial<RelayOptions>): Promise<Relay> {
    const relay = await createRelay({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, port: 0, pollingInterval: 200, ...options });
    relays.push(relay);
    return relay;
  }

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
});
