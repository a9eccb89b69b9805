import { expect } from "chai";
import { type KeywayClient, StreamPermission } from "../../sdk";
import { closeAllClients, connect, type RawClient, type RelayOnChain, startRelayOnChain } from "./fixtures";
import { createRelay, type Relay } from "../../relay";
import { contentsOf, createTestStream, gatedPublicClient, publisherOf, until, waitForContent } from "./helpers";

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  return ((await response.json()) as { result: unknown }).result;
}

describe("relay: enforcement, history and resume", function () {
  let chain: RelayOnChain;

  before(async function () {
    chain = await startRelayOnChain();
  });
  afterEach(closeAllClients);
  after(async function () {
    await chain?.stop();
  });

  /** A private stream, account #1 holding Subscribe (until `expiresAt` when given), #1 signed in and subscribed. */
  async function subscribedHolder(expiresAt?: Date) {
    const owner = chain.clientOf(0);
    const streamId = await createTestStream(owner, { partitions: 3 });
    const userId = chain.accounts[1].account.address.toLowerCase();
    await owner.grantPermissions(streamId, { userId, permissions: [StreamPermission.SUBSCRIBE], ...(expiresAt && { expiresAt: { subscribe: expiresAt } }) });
    const subscriber = await connect(chain.url);
    await subscriber.signIn(chain.accounts[1]);
    expect(await subscriber.request({ type: "subscribe", streamId })).to.include({ type: "subscribed" });
    return { owner, streamId, userId, subscriber };
  }

  /** Publishes `value` and waits for a witness subscriber (the stream's owner) to get it: everything accepted before has been fanned out. */
  async function publishAndWitness(streamId: string, value: unknown) {
    const witness = await connect(chain.url);
    await witness.signIn(chain.accounts[0]);
    await witness.request({ type: "subscribe", streamId });
    const publisher = await connect(chain.url);
    expect(await publisher.request({ type: "publish", message: await publisherOf(chain, streamId, chain.accounts[0])(value) })).to.include({ type: "published" });
    await waitForContent(witness, streamId, value);
  }

  /**
   * Runs `test` against a relay of its own whose node reads wait while `node` holds them, with
   * a private stream where account #1 holds Subscribe and #1 signed in (not subscribed).
   */
  async function withSlowNode(test: (setup: { node: ReturnType<typeof gatedPublicClient>; relay: Relay; owner: KeywayClient; streamId: string; userId: string; subscriber: RawClient }) => Promise<void>) {
    const node = gatedPublicClient(chain.rpcUrl);
    const relay = await createRelay({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, port: 0, pollingInterval: 200, publicClient: node.publicClient });
    try {
      const owner = chain.clientOf(0);
      const streamId = await createTestStream(owner);
      const userId = chain.accounts[1].account.address.toLowerCase();
      await owner.grantPermissions(streamId, { userId, permissions: [StreamPermission.SUBSCRIBE] });
      const subscriber = await connect(relay.url);
      await subscriber.signIn(chain.accounts[1]);
      await test({ node, relay, owner, streamId, userId, subscriber });
    } finally {
      node.release();
      await closeAllClients();
      await relay.close();
    }
  }

  it("ends a subscription whose Subscribe is revoked with PERMISSION_REVOKED, and sends nothing of the stream after", async function () {
    const { owner, streamId, userId, subscriber } = await subscribedHolder();
    await owner.revokePermissions(streamId, { userId, permissions: [StreamPermission.SUBSCRIBE] });
    const ended = await subscriber.waitFor((frame) => frame.type === "unsubscribed", "unsubscribed");
    expect(ended).to.deep.equal({ type: "unsubscribed", streamId, partition: 0, reason: "PERMISSION_REVOKED" });
    await publishAndWitness(streamId, { after: "revocation" });
    expect(contentsOf(subscriber, streamId)).to.deep.equal([]);
    // And it is refused when it subscribes again.
    expect(await subscriber.request({ type: "subscribe", streamId })).to.include({ type: "error", code: "UNAUTHORIZED" });
  });

  it("ends a subscription admitted by a read from before a revocation the relay saw while it waited (PERMISSION_REVOKED), and sends nothing after", async function () {
    await withSlowNode(async ({ node, relay, owner, streamId, userId, subscriber }) => {
      // The relay learns that the stream exists (an anonymous subscribe, refused), so the read that waits is the permission's.
      expect(await (await connect(relay.url)).request({ type: "subscribe", streamId })).to.include({ code: "UNAUTHORIZED" });
      node.hold();
      subscriber.sendRaw(JSON.stringify({ type: "subscribe", id: "s", streamId }));
      await until(() => node.held() > 0, "the admission's read to wait on the node");
      await owner.revokePermissions(streamId, { userId, permissions: [StreamPermission.SUBSCRIBE] });
      const revokedIn = Number(await rpc(chain.rpcUrl, "eth_blockNumber"));
      const polledPast = () => node.requests.some(({ method, params }) => method === "eth_getLogs" && Number((params as [{ toBlock: string }])[0].toBlock) >= revokedIn);
      await until(polledPast, "the relay to poll the revocation's block");
      // The read was pinned to a block before the revocation: it answers "held".
      node.release();
      expect(await subscriber.waitFor((frame) => frame.id === "s", "the subscribe's answer")).to.include({ type: "subscribed" });
      const ended = await subscriber.waitFor((frame) => frame.type === "unsubscribed", "unsubscribed", 10_000);
      expect(ended).to.deep.equal({ type: "unsubscribed", streamId, partition: 0, reason: "PERMISSION_REVOKED" });
      const witness = await connect(relay.url);
      await witness.signIn(chain.accounts[0]);
      await witness.request({ type: "subscribe", streamId });
      const publisher = await connect(relay.url);
      expect(await publisher.request({ type: "publish", message: await publisherOf(chain, streamId, chain.accounts[0])({ after: "revocation" }) })).to.include({ type: "published" });
      await waitForContent(witness, streamId, { after: "revocation" });
      expect(contentsOf(subscriber, streamId)).to.deep.equal([]);
    });
  });

  it("holds a subscription's messages until every pending re-check is decided: a re-check for an earlier change does not let through what came after a revocation", async function () {
    await withSlowNode(async ({ node, relay, owner, streamId, userId, subscriber }) => {
      expect(await subscriber.request({ type: "subscribe", streamId })).to.include({ type: "subscribed" });
      const witness = await connect(relay.url);
      await witness.signIn(chain.accounts[0]);
      expect(await witness.request({ type: "subscribe", streamId })).to.include({ type: "subscribed" });
      const publisher = await connect(relay.url);
      const publish = publisherOf(chain, streamId, chain.accounts[0]);
      // The relay knows the publisher's right before the node is held: publishes need no read later.
      expect(await publisher.request({ type: "publish", message: await publish("before") })).to.include({ type: "published" });
      await waitForContent(subscriber, streamId, "before");
      node.hold();
      const settled = async (what: string) => {
        let count = -1;
        await until(async () => {
          const before = node.waiting();
          await new Promise((resolve) => setTimeout(resolve, 400));
          if (before > count && node.waiting() === before) count = before;
          return before > 0 && node.waiting() === count;
        }, what);
        return count;
      };
      // A first change for the subscriber (a new expiry), then its revocation: two re-checks, both waiting on the node.
      await owner.grantPermissions(streamId, { userId, permissions: [StreamPermission.SUBSCRIBE], expiresAt: { subscribe: new Date(Date.now() + 86_400_000) } });
      const firstReads = await settled("the first re-check's reads to wait");
      await owner.revokePermissions(streamId, { userId, permissions: [StreamPermission.SUBSCRIBE] });
      await until(() => node.waiting() > firstReads, "the second re-check's reads to wait");
      expect(await publisher.request({ type: "publish", message: await publish("after the revocation") })).to.include({ type: "published" });
      await waitForContent(witness, streamId, "after the revocation");
      // The first re-check reads the state of its own change: Subscribe held. It must not release what came after the revocation.
      node.releaseFirst(firstReads);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(contentsOf(subscriber, streamId)).to.deep.equal(["before"]);
      node.release();
      const ended = await subscriber.waitFor((frame) => frame.type === "unsubscribed", "unsubscribed");
      expect(ended).to.include({ reason: "PERMISSION_REVOKED" });
      expect(contentsOf(subscriber, streamId)).to.deep.equal(["before"]);
    });
  });

  it("ends an anonymous subscription when the public loses Subscribe", async function () {
    const owner = chain.clientOf(0);
    const streamId = await createTestStream(owner, { publicSubscribe: true });
    const subscriber = await connect(chain.url);
    await subscriber.request({ type: "subscribe", streamId });
    await owner.revokePermissions(streamId, { public: true, permissions: [StreamPermission.SUBSCRIBE] });
    expect(await subscriber.waitFor((frame) => frame.type === "unsubscribed", "unsubscribed")).to.include({ reason: "PERMISSION_REVOKED" });
  });

  it("ends a subscription whose Subscribe expires on the chain's clock with PERMISSION_EXPIRED", async function () {
    const now = Number(((await rpc(chain.rpcUrl, "eth_getBlockByNumber", ["latest", false])) as { timestamp: string }).timestamp);
    const { streamId, subscriber } = await subscribedHolder(new Date((now + 3600) * 1000));
    // The chain's clock, not the relay's: an hour passes on the chain only.
    await rpc(chain.rpcUrl, "evm_increaseTime", [7200]);
    await rpc(chain.rpcUrl, "evm_mine");
    const ended = await subscriber.waitFor((frame) => frame.type === "unsubscribed", "unsubscribed");
    expect(ended).to.deep.equal({ type: "unsubscribed", streamId, partition: 0, reason: "PERMISSION_EXPIRED" });
  });

  it("ends every subscription of a deleted stream with STREAM_DELETED", async function () {
    const { owner, streamId, subscriber } = await subscribedHolder();
    const owners = await connect(chain.url);
    await owners.signIn(chain.accounts[0]);
    await owners.request({ type: "subscribe", streamId, partition: 2 });
    await owner.deleteStream(streamId);
    for (const [client, partition] of [[subscriber, 0], [owners, 2]] as const) {
      const ended = await client.waitFor((frame) => frame.type === "unsubscribed", "unsubscribed");
      expect(ended).to.deep.equal({ type: "unsubscribed", streamId, partition, reason: "STREAM_DELETED" });
    }
  });

  it("ends subscriptions the session admitted with SESSION_EXPIRED when its expirationTime passes; public ones stay", async function () {
    const owner = chain.clientOf(0);
    const publicStream = await createTestStream(owner, { publicSubscribe: true });
    const privateStream = await createTestStream(owner);
    await owner.grantPermissions(privateStream, { userId: chain.accounts[1].account.address.toLowerCase(), permissions: [StreamPermission.SUBSCRIBE] });
    const subscriber = await connect(chain.url);
    const expirationTime = new Date(Date.now() + 2_000);
    await subscriber.signIn(chain.accounts[1], { expirationTime });
    expect(await subscriber.request({ type: "subscribe", streamId: privateStream })).to.include({ type: "subscribed" });
    expect(await subscriber.request({ type: "subscribe", streamId: publicStream })).to.include({ type: "subscribed" });
    const ended = await subscriber.waitFor((frame) => frame.type === "unsubscribed", "unsubscribed");
    expect(ended).to.deep.equal({ type: "unsubscribed", streamId: privateStream, partition: 0, reason: "SESSION_EXPIRED" });
    expect(Date.now()).to.be.at.least(expirationTime.getTime());
    // Anonymous now: the public stream still delivers, the private one is refused.
    await publishAndWitness(publicStream, { still: "here" });
    await waitForContent(subscriber, publicStream, { still: "here" });
    expect(await subscriber.request({ type: "subscribe", streamId: privateStream })).to.include({ type: "error", code: "UNAUTHORIZED" });
  });

  it("honours a grant for a new subscribe within a polling interval", async function () {
    const owner = chain.clientOf(0);
    const streamId = await createTestStream(owner);
    const subscriber = await connect(chain.url);
    await subscriber.signIn(chain.accounts[2]);
    expect(await subscriber.request({ type: "subscribe", streamId })).to.include({ code: "UNAUTHORIZED" });
    await owner.grantPermissions(streamId, { userId: chain.accounts[2].account.address.toLowerCase(), permissions: [StreamPermission.SUBSCRIBE] });
    await until(async () => (await subscriber.request({ type: "subscribe", streamId })).type === "subscribed", "the grant to be honoured");
  });

  describe("from: replay, then live", function () {
    it("replays what came strictly after the position, then goes live: nothing missing, nothing twice", async function () {
      const owner = chain.clientOf(0);
      const streamId = await createTestStream(owner, { publicSubscribe: true });
      const publish = publisherOf(chain, streamId, chain.accounts[0]);
      const publisher = await connect(chain.url);
      const earlier = [];
      for (let n = 0; n < 5; n += 1) {
        const message = await publish({ n });
        earlier.push(message);
        expect(await publisher.request({ type: "publish", message })).to.include({ type: "published" });
      }
      const from = { timestamp: earlier[1].timestamp, sequenceNumber: earlier[1].sequenceNumber };
      const subscriber = await connect(chain.url);
      expect(await subscriber.request({ type: "subscribe", streamId, from })).to.include({ type: "subscribed" });
      for (let n = 5; n < 8; n += 1) await publisher.request({ type: "publish", message: await publish({ n }) });
      await waitForContent(subscriber, streamId, { n: 7 });
      expect(contentsOf(subscriber, streamId)).to.deep.equal([2, 3, 4, 5, 6, 7].map((n) => ({ n })));
    });

    it("has no gap and no repeat at the seam while messages keep coming", async function () {
      const owner = chain.clientOf(0);
      const streamId = await createTestStream(owner, { publicSubscribe: true });
      const publish = publisherOf(chain, streamId, chain.accounts[0]);
      const publisher = await connect(chain.url);
      const signed = [];
      for (let n = 0; n < 200; n += 1) signed.push(await publish({ n }));
      for (const message of signed.slice(0, 20)) await publisher.request({ type: "publish", message });
      // Publish the rest without waiting while a subscriber resumes after message 9.
      signed.slice(20).forEach((message, i) => publisher.socket.send(JSON.stringify({ type: "publish", id: 1000 + i, message })));
      const subscriber = await connect(chain.url);
      await subscriber.request({ type: "subscribe", streamId, from: { timestamp: signed[9].timestamp, sequenceNumber: signed[9].sequenceNumber } });
      await waitForContent(subscriber, streamId, { n: 199 });
      expect(contentsOf(subscriber, streamId)).to.deep.equal(Array.from({ length: 190 }, (_, i) => ({ n: i + 10 })));
    });

    it("refuses a from that is not a position", async function () {
      const client = await connect(chain.url);
      const streamId = await createTestStream(chain.clientOf(0), { publicSubscribe: true });
      expect(await client.request({ type: "subscribe", streamId, from: { timestamp: -1, sequenceNumber: 0 } })).to.include({ code: "INVALID_REQUEST" });
    });
  });
});
