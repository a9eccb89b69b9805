import { expect } from "chai";
import { connect, type RelayOnChain, startRelayOnChain } from "./fixtures";
import { contentsOf, createTestStream, gatedPublicClient, messagesOf, publisherOf, until, waitForContent, relayTestHooks } from "./helpers";

describe("relay: a stream's partitions bound subscribe and publish", function () {
  let chain: RelayOnChain;
  let streamId: string;
  const relayWith = relayTestHooks(async () => {
    chain = await startRelayOnChain();
    streamId = await createTestStream(chain.clientOf(0), { publicSubscribe: true, partitions: 3 });
    return chain;
  });

  it("subscribe: partitions 0..n-1 are taken, n and beyond are INVALID_REQUEST saying the stream's count; a stream without partitions has one", async function () {
    const client = await connect(chain.url);
    for (const partition of [0, 1, 2]) expect(await client.request({ type: "subscribe", streamId, partition })).to.include({ type: "subscribed", partition });
    for (const partition of [3, 5, 4_294_967_295]) {
      const reply = await client.request({ type: "subscribe", streamId, partition });
      expect(reply).to.include({ type: "error", code: "INVALID_REQUEST", message: `partition ${partition} is beyond the stream's 3 partitions` });
    }
    const single = await createTestStream(chain.clientOf(0), { publicSubscribe: true });
    expect(await client.request({ type: "subscribe", streamId: single, partition: 1 })).to.include({ type: "error", code: "INVALID_REQUEST", message: "partition 1 is beyond the stream's 1 partition" });
    expect(await client.request({ type: "subscribe", streamId: single })).to.include({ type: "subscribed" });
    // A missing stream is still STREAM_NOT_FOUND, whatever the partition.
    const missing = `${chain.accounts[0].account.address.toLowerCase()}/missing-${Date.now()}`;
    expect(await client.request({ type: "subscribe", streamId: missing, partition: 7 })).to.include({ type: "error", code: "STREAM_NOT_FOUND" });
  });

  it("publish: a message for partition n or beyond is INVALID_MESSAGE, reaches nobody and leaves no trace in the validator", async function () {
    const owner = chain.clientOf(0);
    const stream = await createTestStream(owner, { publicSubscribe: true, partitions: 3 });
    const subscriber = await connect(chain.url);
    for (const partition of [0, 1, 2]) await subscriber.request({ type: "subscribe", streamId: stream, partition });
    const publisher = await connect(chain.url);
    const beyond = await publisherOf(chain, stream, chain.accounts[0], 3)({ n: "beyond" });
    expect(await publisher.request({ type: "publish", message: beyond })).to.include({ type: "error", code: "INVALID_MESSAGE", message: "partition 3 is beyond the stream's 3 partitions" });
    const within = await publisherOf(chain, stream, chain.accounts[0], 2)({ n: "within" });
    expect(await publisher.request({ type: "publish", message: within })).to.include({ type: "published" });
    await waitForContent(subscriber, stream, { n: "within" });
    expect(contentsOf(subscriber, stream)).to.deep.equal([{ n: "within" }]);
    // Once the stream has a fourth partition, the same message is taken: the refusal left no duplicate marker.
    await owner.updateStreamMetadata(stream, JSON.stringify({ partitions: 4 }));
    await until(async () => (await publisher.request({ type: "publish", message: beyond })).type === "published", "the same message to be taken");
  });

  it("reads the count through the SDK's cache: no node request per publish or subscribe once warm", async function () {
    const node = gatedPublicClient(chain.rpcUrl);
    const relay = await relayWith({ publicClient: node.publicClient });
    const subscriber = await connect(relay.url);
    expect(await subscriber.request({ type: "subscribe", streamId, partition: 2 })).to.include({ type: "subscribed" });
    const publisher = await connect(relay.url);
    const publish = publisherOf(chain, streamId, chain.accounts[0], 2);
    expect(await publisher.request({ type: "publish", message: await publish({ n: 0 }) })).to.include({ type: "published" }); // warms Publish
    const calls = () => node.requests.filter((request) => request.method === "eth_call").length;
    const before = calls();
    for (let n = 1; n <= 20; n += 1) expect(await publisher.request({ type: "publish", message: await publish({ n }) })).to.include({ type: "published" });
    expect(await publisher.request({ type: "publish", message: await publisherOf(chain, streamId, chain.accounts[0], 9)({ n: "beyond" }) })).to.include({ code: "INVALID_MESSAGE" });
    expect(await subscriber.request({ type: "subscribe", streamId, partition: 1 })).to.include({ type: "subscribed" });
    expect(await subscriber.request({ type: "subscribe", streamId, partition: 8 })).to.include({ code: "INVALID_REQUEST" });
    expect(calls() - before, "eth_calls once warm").to.equal(0);
    await until(() => messagesOf(subscriber, streamId).length === 21, "the 21 messages");
  });

  it("a lowered count is honoured for new subscribes and publishes within a poll; existing subscriptions stay", async function () {
    const owner = chain.clientOf(0);
    const lowered = await createTestStream(owner, { publicSubscribe: true, partitions: 4 });
    const existing = await connect(chain.url);
    expect(await existing.request({ type: "subscribe", streamId: lowered, partition: 3 })).to.include({ type: "subscribed" });
    await owner.updateStreamMetadata(lowered, JSON.stringify({ partitions: 2 }));
    const publisher = await connect(chain.url);
    const publish = publisherOf(chain, lowered, chain.accounts[0], 3);
    await until(async () => (await publisher.request({ type: "publish", message: await publish({ n: "late" }) })).code === "INVALID_MESSAGE", "publishes on partition 3 to be refused");
    const fresh = await connect(chain.url);
    expect(await fresh.request({ type: "subscribe", streamId: lowered, partition: 2 })).to.include({ type: "error", code: "INVALID_REQUEST", message: "partition 2 is beyond the stream's 2 partitions" });
    expect(await fresh.request({ type: "subscribe", streamId: lowered, partition: 1 })).to.include({ type: "subscribed" });
    expect(existing.frames.filter((frame) => frame.type === "unsubscribed"), "the existing subscription stays").to.deep.equal([]);
  });
});
