import { expect } from "chai";
import { generatePrivateKey } from "viem/accounts";
import { StreamPermission } from "../../sdk";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createRelay } from "../../relay";
import { connect, type RelayOnChain, startRelayOnChain } from "./fixtures";
import { createTestStream, gatedPublicClient, messagesOf, publisherOf, until, waitForContent, relayTestHooks } from "./helpers";

describe("relay: limits", function () {
  let chain: RelayOnChain;
  let streamId: string;
  const relayWith = relayTestHooks(async () => {
    chain = await startRelayOnChain();
    streamId = await createTestStream(chain.clientOf(0), { publicSubscribe: true, partitions: 16 });
    return chain;
  });

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

  it("refuses publishes from one connection beyond the default publishRate, 5,000 a second (10,000 was about what the whole relay validates, so it never triggered)", async function () {
    const relay = await relayWith({});
    const publisher = await connect(relay.url);
    // Two seconds' worth at once, each cheap to refuse (no stream partition): every one takes a token first.
    const count = 10_000;
    for (let id = 0; id < count; id += 1) publisher.sendRaw(JSON.stringify({ type: "publish", id, message: {} }));
    await until(() => publisher.frames.filter((frame) => typeof frame.id === "number").length === count, "every answer");
    const limited = publisher.frames.filter((frame) => frame.code === "RATE_LIMITED");
    expect(limited.length, "refused beyond the bucket").to.be.at.least(1);
    expect(count - limited.length, "a second's worth taken at once").to.be.at.least(5_000);
    expect(limited[0].message).to.equal("at most 5000 publishes per second per connection");
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

  it("past maxPendingRequestBytesTotal stops reading each connection whose request arrives, reads the others, and answers every publish once the node answers", async function () {
    const node = gatedPublicClient(chain.rpcUrl);
    const relay = await relayWith({ publicClient: node.publicClient, maxPendingRequestBytesTotal: 2_048 });
    const subscriber = await connect(relay.url);
    await subscriber.request({ type: "subscribe", streamId });
    const publishers = await Promise.all([0, 1, 2, 3].map(() => connect(relay.url)));
    const bystander = await connect(relay.url);
    const frames = await Promise.all(
      publishers.map(async (_, p) => {
        const publish = publisherOf(chain, streamId, chain.accounts[0]);
        const own: string[] = [];
        for (let n = 0; n < 8; n += 1) own.push(JSON.stringify({ type: "publish", id: n, message: await publish({ p, n }) }));
        return own;
      }),
    );
    expect(frames[0].join("").length, "the first connection's frames pass the total on their own").to.be.greaterThan(2_048);
    node.hold();
    frames[0].forEach((frame) => publishers[0].sendRaw(frame));
    await until(() => node.held() > 0, "a validation to wait on the node");
    // Each other connection's publishes find the total full: what was read with them is taken, then its connection is read no more.
    publishers.slice(1).forEach((publisher, p) => frames[p + 1].forEach((frame) => publisher.sendRaw(frame)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    publishers.forEach((publisher) => publisher.sendRaw(JSON.stringify({ type: "probe", id: "probe" })));
    // Nothing is refused: a connection with nothing pending is read and answered at once (an unknown type).
    expect(await bystander.request({ type: "probe" })).to.include({ type: "error", code: "INVALID_REQUEST" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const publisher of publishers) expect(publisher.frames.filter((frame) => frame.id !== undefined), "nothing answered while the node holds").to.deep.equal([]);
    node.release();
    for (const publisher of publishers) {
      await publisher.waitFor((frame) => frame.id === "probe", "the probe's answer");
      const answers = publisher.frames.filter((frame) => frame.id !== undefined);
      expect(answers.map((frame) => [frame.id, frame.type])).to.deep.equal([...Array.from({ length: 8 }, (_, n) => [n, "published"]), ["probe", "error"]]);
    }
    await until(() => messagesOf(subscriber, streamId).length === 32, "the 32 messages");
  });

  it("refuses a subscribe that needs the node beyond maxSubscribeReads in flight relay-wide (RATE_LIMITED); one the cache answers passes meanwhile", async function () {
    const node = gatedPublicClient(chain.rpcUrl);
    const relay = await relayWith({ publicClient: node.publicClient, maxSubscribeReads: 2 });
    const cold: string[] = [];
    for (let n = 0; n < 3; n += 1) cold.push(await createTestStream(chain.clientOf(0), { publicSubscribe: true }));
    const first = await connect(relay.url);
    await first.request({ type: "subscribe", streamId }); // its existence and the public's entry now cached
    node.hold();
    const client = await connect(relay.url);
    const reading = cold.slice(0, 2).map((id) => client.request({ type: "subscribe", streamId: id }));
    await until(() => node.waiting() >= 2, "two subscribes to read the node");
    expect(await client.request({ type: "subscribe", streamId: cold[2] })).to.include({ type: "error", code: "RATE_LIMITED" });
    expect(await client.request({ type: "subscribe", streamId }), "the cache answers it").to.include({ type: "subscribed" });
    node.release();
    expect((await Promise.all(reading)).map((reply) => reply.type)).to.deep.equal(["subscribed", "subscribed"]);
    expect(await client.request({ type: "subscribe", streamId: cold[2] }), "the refused one left nothing behind").to.include({ type: "subscribed" });
  });

  it("refuses a publish whose permission needs the node beyond maxPublishReads in flight relay-wide (RATE_LIMITED); a publisher the cache knows passes meanwhile", async function () {
    const node = gatedPublicClient(chain.rpcUrl);
    const relay = await relayWith({ publicClient: node.publicClient, maxPublishReads: 2 });
    const owner = publisherOf(chain, streamId, chain.accounts[0]);
    const ownerConnection = await connect(relay.url);
    expect(await ownerConnection.request({ type: "publish", message: await owner(0) })).to.include({ type: "published" }); // its entries now cached
    node.hold();
    // Keys made up on the spot: each is a publisher the cache has never seen. Publishing needs no sign-in.
    const fresh = Array.from({ length: 3 }, () => publisherOf(chain, streamId, { privateKey: generatePrivateKey() }));
    const connections = await Promise.all(fresh.map(() => connect(relay.url)));
    const reading = [0, 1].map(async (n) => connections[n].request({ type: "publish", message: await fresh[n](n) }));
    // Each reads its publisher's entry and the public's (Publish counts the public's): two calls.
    await until(() => node.waiting() >= 4, "both publishes to read the node");
    const third = await fresh[2](2);
    expect(await connections[2].request({ type: "publish", message: third })).to.include({ type: "error", code: "RATE_LIMITED" });
    expect(await ownerConnection.request({ type: "publish", message: await owner(1) }), "the cache answers it").to.include({ type: "published" });
    node.release();
    for (const reply of await Promise.all(reading)) expect(reply).to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "no-permission" });
    const again = await connections[2].request({ type: "publish", message: third });
    expect(again, "the refused one left nothing behind: judged afresh").to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "no-permission" });
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

  it("closes readers that stopped reading once all connections' unsent bytes pass maxBufferedBytesTotal, each under its own maxBufferedBytes; a reader that reads gets everything", async function () {
    // Each slow one alone stays under its own (large) limit: only the relay-wide total can close them.
    const relay = await relayWith({ maxBufferedBytes: 64 * 1024 * 1024, maxBufferedBytesTotal: 1024 * 1024, historyCount: 1, maxFrameBytes: 1024 * 1024 });
    const slow = await Promise.all([0, 1, 2].map(() => connect(relay.url)));
    const fast = await connect(relay.url);
    for (const client of [...slow, fast]) await client.request({ type: "subscribe", streamId });
    for (const client of slow) (client.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const publish = publisherOf(chain, streamId, chain.accounts[0]);
    const padding = "x".repeat(100_000);
    const publisher = await connect(relay.url);
    const count = 100; // ~20 MB for each slow one: beyond what the kernel's buffers take
    for (let n = 0; n < count; n += 1) expect(await publisher.request({ type: "publish", message: await publish({ n, padding }) })).to.include({ type: "published" });
    await waitForContent(fast, streamId, { n: count - 1, padding });
    expect(messagesOf(fast, streamId)).to.have.length(count);
    expect(fast.socket.readyState).to.equal(fast.socket.OPEN);
    for (const client of slow) (client.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    for (const client of slow) expect((await client.closed).code).to.equal(1013);
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
