import { StreamPermission } from "../../sdk";
import { expect } from "chai";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createRelay, type Relay, type RelayOptions } from "../../relay";
import { closeAllClients, connect, type RelayOnChain, startRelayOnChain } from "./fixtures";
import { createTestStream, gatedPublicClient, messagesOf, publisherOf, until, waitForContent } from "./helpers";

describe("relay: limits", function () {
  let chain: RelayOnChain;
  let streamId: string;
  const relays: Relay[] = [];

  before(async function () {
    chain = await startRelayOnChain();
    streamId = await createTestStream(chain.clientOf(0), { publicSubscribe: true, partitions: 16 });
  });
  afterEach(async function () {
    await closeAllClients();
    await Promise.all(relays.splice(0).map((relay) => relay.close()));
  });
  after(async function () {
    await chain?.stop();
  });

  /** Another relay on the same chain with other limits. */
  async function relayWith(options: Partial<RelayOptions>): Promise<Relay> {
    const relay = await createRelay({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, port: 0, pollingInterval: 200, ...options });
    relays.push(relay);
    return relay;
  }

  it("closes a connection that neither authenticates, subscribes nor publishes with 1008 after idleTimeoutMs", async function () {
    const relay = await relayWith({ idleTimeoutMs: 300 });
    const idle = await connect(relay.url);
    const busy = await connect(relay.url);
    await busy.request({ type: "subscribe", streamId });
    expect(await idle.closed).to.include({ code: 1008 });
    // The one that subscribed stays (heartbeat pongs keep it alive).
    expect(busy.socket.readyState).to.equal(busy.socket.OPEN);
  });

  it("drops a peer that stops answering pings (heartbeat)", async function () {
    const relay = await relayWith({ heartbeatIntervalMs: 200 });
    const dead = await connect(relay.url);
    await dead.signIn(chain.accounts[1]);
    const alive = await connect(relay.url);
    await alive.signIn(chain.accounts[2]);
    expect(relay.connectionCount()).to.equal(2);
    // Its process no longer reads the socket: no pong comes back.
    (dead.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    await until(() => relay.connectionCount() === 1, "the dead peer to be dropped");
    expect(alive.socket.readyState).to.equal(alive.socket.OPEN);
  });

  it("refuses publishes beyond publishRate with RATE_LIMITED and delivers only the accepted ones", async function () {
    const relay = await relayWith({ publishRate: 3 });
    const subscriber = await connect(relay.url);
    await subscriber.request({ type: "subscribe", streamId });
    const publisher = await connect(relay.url);
    const publish = publisherOf(chain, streamId, chain.accounts[0]);
    const messages = [];
    for (let n = 0; n < 6; n += 1) messages.push(await publish({ rate: n }));
    const replies = await Promise.all(messages.map((message) => publisher.request({ type: "publish", message })));
    const accepted = replies.filter((reply) => reply.type === "published").length;
    expect(replies.filter((reply) => reply.code === "RATE_LIMITED").length).to.be.at.least(1);
    expect(accepted).to.be.at.least(3);
    await until(() => messagesOf(subscriber, streamId).length === accepted, "the accepted messages");
  });

  it("answers a subscribe to a missing stream with one node request, and a repeated one with none; a stream created later is honoured", async function () {
    const node = gatedPublicClient(chain.rpcUrl);
    const relay = await relayWith({ publicClient: node.publicClient });
    const client = await connect(relay.url);
    await client.request({ type: "subscribe", streamId }); // warms the chain check and the watcher
    const owner = chain.accounts[0].account.address.toLowerCase();
    const requestsOf = async (frame: Record<string, unknown>) => {
      const before = node.requests.length;
      const reply = await client.request(frame);
      return { reply, requests: node.requests.slice(before).filter((request) => request.method !== "eth_getLogs" && request.method !== "eth_blockNumber") };
    };
    for (let n = 0; n < 3; n += 1) {
      const missing = `${owner}/missing-${n}-${Date.now()}`;
      const first = await requestsOf({ type: "subscribe", streamId: missing });
      expect(first.reply).to.include({ type: "error", code: "STREAM_NOT_FOUND" });
      expect(first.requests.map((request) => request.method), "a first subscribe to a missing stream").to.have.length(1);
      const again = await requestsOf({ type: "subscribe", streamId: missing });
      expect(again.reply).to.include({ type: "error", code: "STREAM_NOT_FOUND" });
      expect(again.requests.map((request) => request.method), "the same subscribe again").to.deep.equal([]);
    }
    // Created after it was found missing: honoured once the watcher saw StreamCreated.
    const path = `/created-later-${Date.now()}`;
    const later = `${owner}${path}`;
    expect(await client.request({ type: "subscribe", streamId: later })).to.include({ code: "STREAM_NOT_FOUND" });
    await chain.clientOf(0).createStream(path);
    await chain.clientOf(0).grantPermissions(later, { public: true, permissions: [StreamPermission.SUBSCRIBE] });
    await until(async () => (await client.request({ type: "subscribe", streamId: later })).type === "subscribed", "the new stream to be honoured");
  });

  it("refuses subscribes beyond subscribeRate with RATE_LIMITED, changing nothing; its burst lets subscribeLimit subscribes through at once", async function () {
    const relay = await relayWith({ subscribeRate: 1, subscribeLimit: 4 });
    const client = await connect(relay.url);
    const all = (partitions: number[], type: string) => Promise.all(partitions.map((partition) => client.request({ type, streamId, partition })));
    // What the SDK does after a reconnect: every subscription at once.
    expect((await all([0, 1, 2, 3], "subscribe")).map((reply) => reply.type)).to.deep.equal(["subscribed", "subscribed", "subscribed", "subscribed"]);
    await all([0, 1, 2, 3], "unsubscribe");
    const replies = await all([10, 11, 12, 13], "subscribe");
    const limited = replies.flatMap((reply, i) => (reply.code === "RATE_LIMITED" ? [10 + i] : []));
    expect(limited.length, "the bucket, emptied, refills one a second").to.be.at.least(1);
    // A refused subscribe left nothing behind: the same one is taken once the bucket refills.
    for (const partition of limited) {
      await until(async () => (await client.request({ type: "subscribe", streamId, partition })).type === "subscribed", `partition ${partition} to be taken`);
    }
  });

  it("stops reading a connection whose requests wait beyond maxPendingRequestBytes, and reads on, in order, once they are answered", async function () {
    // The relay's node answers reads only once the gate opens: validations wait on it.
    const node = gatedPublicClient(chain.rpcUrl);
    const relay = await relayWith({ publicClient: node.publicClient, maxPendingRequestBytes: 2_048 });
    const subscriber = await connect(relay.url);
    await subscriber.request({ type: "subscribe", streamId });
    const publisher = await connect(relay.url);
    const publish = publisherOf(chain, streamId, chain.accounts[0]);
    const frames: string[] = [];
    for (let n = 0; n < 8; n += 1) frames.push(JSON.stringify({ type: "publish", id: n, message: await publish({ pending: n }) }));
    expect(frames.slice(0, 5).join("").length, "five frames pass the limit").to.be.greaterThan(2_048);
    node.hold();
    frames.forEach((frame) => publisher.sendRaw(frame));
    await until(() => node.held() > 0, "a validation to wait on the node");
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Answered at once by a relay that reads it: an unknown type.
    publisher.sendRaw(JSON.stringify({ type: "probe", id: "probe" }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(publisher.frames.filter((frame) => frame.id !== undefined), "nothing answered while the node holds").to.deep.equal([]);
    node.release();
    await publisher.waitFor((frame) => frame.id === "probe", "the probe's answer");
    const answers = publisher.frames.filter((frame) => frame.id !== undefined);
    expect(answers.map((frame) => [frame.id, frame.type])).to.deep.equal([...Array.from({ length: 8 }, (_, n) => [n, "published"]), ["probe", "error"]]);
    await until(() => messagesOf(subscriber, streamId).length === 8, "the eight messages");
  });

  it("refuses subscriptions beyond subscribeLimit with TOO_MANY_SUBSCRIPTIONS", async function () {
    const relay = await relayWith({ subscribeLimit: 2 });
    const client = await connect(relay.url);
    expect(await client.request({ type: "subscribe", streamId, partition: 0 })).to.include({ type: "subscribed" });
    expect(await client.request({ type: "subscribe", streamId, partition: 1 })).to.include({ type: "subscribed" });
    expect(await client.request({ type: "subscribe", streamId, partition: 2 })).to.include({ type: "error", code: "TOO_MANY_SUBSCRIPTIONS" });
    await client.request({ type: "unsubscribe", streamId, partition: 0 });
    expect(await client.request({ type: "subscribe", streamId, partition: 2 })).to.include({ type: "subscribed" });
  });

  it("rejects a limit that is not a positive integer", async function () {
    for (const bad of [{ maxFrameBytes: 0 }, { publishRate: -1 }, { heartbeatIntervalMs: 1.5 }]) {
      let error: unknown;
      await createRelay({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, port: 0, ...bad }).catch((e: unknown) => (error = e));
      expect(error, JSON.stringify(bad)).to.have.property("code", "INVALID_ARGUMENT");
    }
  });

  it("closes a slow consumer with 1013 while others get everything, and the relay's memory stays flat", async function () {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    // Twice, with a turn of the event loop between: what the first one found dead is gone by the second.
    const fullGc = async () => {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    };
    const relay = await relayWith({ maxBufferedBytes: 256 * 1024, historyCount: 1, maxFrameBytes: 1024 * 1024 });
    const slow = await connect(relay.url);
    const fast = await connect(relay.url);
    await slow.request({ type: "subscribe", streamId });
    await fast.request({ type: "subscribe", streamId });
    const publish = publisherOf(chain, streamId, chain.accounts[0]);
    const padding = "x".repeat(100_000);
    // The slow one stops reading: the kernel's buffers fill, then the relay's.
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const publisher = await connect(relay.url);
    await fullGc();
    const before = process.memoryUsage();
    const count = 200; // ~40 MB of frames for the slow one: far more than the kernel and the limit hold
    for (let n = 0; n < count; n += 1) {
      const reply = await publisher.request({ type: "publish", message: await publish({ n, padding }) });
      expect(reply).to.include({ type: "published" });
    }
    await waitForContent(fast, streamId, { n: count - 1, padding });
    expect(messagesOf(fast, streamId)).to.have.length(count);
    fast.frames.length = 0; // the test's own copies, not the relay's
    await fullGc();
    const after = process.memoryUsage();
    const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    // Everything sent to the slow one (~40 MB) would show here if the relay queued it.
    expect(grown, `grew ${grown} bytes`).to.be.below(4 * 1024 * 1024);
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await slow.closed).code).to.equal(1013);
    expect(messagesOf(slow, streamId).length).to.be.below(count);
  });
});
