import { expect } from "chai";
import { InvalidArgumentError, KeywayClient, type MessageMetadata, RelayUnreachableError, StreamPermission, type Subscription, type SubscriptionEndReason } from "../../sdk";
import { findFreePort, type LocalNode, startLocalNode } from "../../scripts/localNode";
import { deployLocalRegistry, devAccounts, type DevAccount } from "../../scripts/devChain";
import { type RelayProcess, startRedis, startRelayProcess, type TestRedis } from "../../scripts/clusterProcesses";
import { closeAllClients, connect, type RelayOnChain } from "./fixtures";
import { createTestStream, publisherOf } from "./helpers";

/** Polls `condition` until it holds (generous: the machine is shared), else fails saying what was awaited. */
async function until(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What one application subscription received: contents in delivery order. */
interface Received {
  contents: unknown[];
  /** `publisher|msgChainId` -> positions delivered, in delivery order. */
  positions: Map<string, [number, number][]>;
  ended: SubscriptionEndReason[];
  subscription: Subscription;
}

describe("relay cluster on Redis", function () {
  this.timeout(600_000); // the kill tests move thousands of signed messages through child processes on a shared machine
  let redis: TestRedis;
  let node: LocalNode;
  let registryAddress: `0x${string}`;
  let accounts: DevAccount[];
  const relays: RelayProcess[] = [];
  const clients: KeywayClient[] = [];
  let owner: KeywayClient;
  let stream: string;

  function clientOf(index: number, relayUrl: string | string[]): KeywayClient {
    const client = new KeywayClient({ rpcUrl: node.url, registryAddress, privateKey: accounts[index].privateKey, relayUrl });
    clients.push(client);
    return client;
  }

  function startRelay(): Promise<RelayProcess> {
    return startRelayProcess({ rpcUrl: node.url, registryAddress, redisUrl: redis.url, historyCount: 20_000, publishRate: 1_000_000 });
  }

  async function subscribe(client: KeywayClient, streamId = stream): Promise<Received> {
    const received: Received = { contents: [], positions: new Map(), ended: [], subscription: undefined as unknown as Subscription };
    received.subscription = await client.subscribe(streamId, (content, { publisherId, msgChainId, timestamp, sequenceNumber }: MessageMetadata) => {
      received.contents.push(content);
      const chain = `${publisherId}|${msgChainId}`;
      if (!received.positions.has(chain)) received.positions.set(chain, []);
      received.positions.get(chain)!.push([timestamp, sequenceNumber]);
    });
    received.subscription.on("unsubscribed", (reason) => received.ended.push(reason));
    return received;
  }

  /** Publishes `count` messages `{ n }` (from `first`), at most `window` unacknowledged at once. */
  async function publishMany(client: KeywayClient, first: number, count: number, window = 200, onAcknowledged?: (n: number) => void): Promise<void> {
    let next = first;
    let acknowledged = 0;
    const worker = async () => {
      while (next < first + count) {
        const n = next++;
        await client.publish(stream, { n });
        onAcknowledged?.(++acknowledged);
      }
    };
    // Each worker signs its next message after the previous one's answer: the chain's order is the publish order.
    await Promise.all(Array.from({ length: window }, worker));
  }

  const numbersOf = (received: Received) => received.contents.map((content) => (content as { n: number }).n);

  /** Every number of [first, first + count) once, and every chain's messages in the chain's order. */
  function expectAllOnceInOrder(received: Received, first: number, count: number): void {
    const numbers = numbersOf(received).filter((n) => n >= first && n < first + count);
    expect(new Set(numbers).size, "none twice").to.equal(numbers.length);
    expect(numbers.length, "none missing").to.equal(count);
    for (const positions of received.positions.values()) {
      const outOfOrder = positions.findIndex(([t, s], i) => i > 0 && (t < positions[i - 1][0] || (t === positions[i - 1][0] && s <= positions[i - 1][1])));
      expect(outOfOrder, "each chain in order, none twice").to.equal(-1);
    }
  }

  before(async function () {
    redis = await startRedis();
    node = await startLocalNode();
    const deployment = await deployLocalRegistry(node.url);
    registryAddress = deployment.registryAddress;
    accounts = devAccounts(6);
    owner = new KeywayClient({ rpcUrl: node.url, registryAddress, privateKey: accounts[0].privateKey, cache: false });
    clients.push(owner);
    stream = await createTestStream(owner, { publicSubscribe: true });
    await owner.grantPermissions(stream, { public: true, permissions: [StreamPermission.PUBLISH] });
    relays.push(...(await Promise.all([startRelay(), startRelay(), startRelay()])));
  });

  afterEach(closeAllClients);
  after(async function () {
    clients.forEach((client) => client.destroy());
    await Promise.all(relays.map((relay) => relay.stop()));
    await node?.stop();
    await redis?.stop();
  });

  it("delivers what a publisher on any relay sends to a subscriber on each, once and in order", async function () {
    const subscribers = await Promise.all(relays.map((relay) => subscribe(clientOf(1, relay.url))));
    // One publisher per relay, each its own chain: 30 messages each, numbered apart.
    await Promise.all(relays.map((relay, index) => publishMany(clientOf(2 + index, relay.url), 1_000 * (index + 1), 30, 1)));
    for (const received of subscribers) {
      await until(() => received.contents.length >= 90, "90 messages on every subscriber");
      for (const index of [0, 1, 2]) {
        const own = numbersOf(received).filter((n) => Math.floor(n / 1_000) === index + 1);
        expect(own).to.deep.equal(Array.from({ length: 30 }, (_, i) => 1_000 * (index + 1) + i));
      }
      expect(received.contents).to.have.length(90);
    }
  });

  it("SDK: the first connection tries the next URL when one is down; an empty list or a non-WebSocket URL is refused", async function () {
    const dead = `ws://127.0.0.1:${await findFreePort()}`;
    const received = await subscribe(clientOf(1, [dead, relays[0].url]));
    await clientOf(2, [dead, relays[1].url]).publish(stream, { n: 900 });
    await until(() => numbersOf(received).includes(900), "the message through the second URLs");
    expect(() => clientOf(1, []).publish(stream, {})).to.throw(InvalidArgumentError, /at least one URL/);
    expect(() => clientOf(1, [relays[0].url, "http://127.0.0.1:1"]).publish(stream, {})).to.throw(InvalidArgumentError, /ws:\/\/ or wss:\/\//);
    const unreachable = await clientOf(1, [dead]).publish(stream, {}).then(() => undefined, (error: unknown) => error);
    expect(unreachable).to.be.instanceOf(RelayUnreachableError);
  });

  it("refuses on every relay a message any relay accepted: MESSAGE_REJECTED duplicate, delivered once", async function () {
    const subscriber = await connect(relays[2].url);
    expect(await subscriber.request({ type: "subscribe", streamId: stream })).to.include({ type: "subscribed" });
    const domained = { chainId: 31337, registryAddress } as unknown as RelayOnChain;
    const message = await publisherOf(domained, stream, accounts[3])({ duplicate: true });
    const first = await connect(relays[0].url);
    const second = await connect(relays[1].url);
    expect(await first.request({ type: "publish", message })).to.include({ type: "published" });
    const refused = await second.request({ type: "publish", message });
    expect(refused).to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "duplicate" });
    expect(await first.request({ type: "publish", message })).to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "duplicate" });
    await subscriber.waitFor((frame) => frame.type === "message" && frame.message.signature === message.signature, "the message");
    // A later message proves the relay has passed the refused copies: none of them came through.
    const marker = await publisherOf(domained, stream, accounts[3])({ after: true });
    expect(await second.request({ type: "publish", message: marker })).to.include({ type: "published" });
    await subscriber.waitFor((frame) => frame.type === "message" && frame.message.signature === marker.signature, "the later message");
    expect(subscriber.frames.filter((frame) => frame.type === "message" && frame.message.signature === message.signature)).to.have.length(1);
  });

  it("resumes `from` on another relay, from the cluster's history", async function () {
    const publisher = clientOf(3, relays[0].url);
    const before = await publisher.publish(stream, { n: 4_999 });
    await publishMany(publisher, 5_000, 5, 1);
    const contents: unknown[] = [];
    await clientOf(1, relays[2].url).subscribe({ streamId: stream, resend: { from: { timestamp: before.timestamp, sequenceNumber: before.sequenceNumber } } }, (content) => {
      contents.push(content);
    });
    await until(() => contents.length >= 5, "the 5 kept messages");
    expect(contents).to.deep.equal([5_000, 5_001, 5_002, 5_003, 5_004].map((n) => ({ n })));
  });

  it("ends a subscription on every relay when the chain revokes it", async function () {
    const privateStream = await createTestStream(owner);
    const subscriberAddress = accounts[1].account.address.toLowerCase();
    await owner.grantPermissions(privateStream, { userId: subscriberAddress, permissions: [StreamPermission.SUBSCRIBE] });
    const subscribers = await Promise.all(relays.map((relay) => subscribe(clientOf(1, relay.url), privateStream)));
    await owner.revokePermissions(privateStream, { userId: subscriberAddress, permissions: [StreamPermission.SUBSCRIBE] });
    for (const received of subscribers) await until(() => received.ended.length > 0, "the subscription to end");
    for (const received of subscribers) expect(received.ended).to.deep.equal(["PERMISSION_REVOKED"]);
  });

  it("recovers when Redis restarts mid-stream, says so, and tells subscribers", async function () {
    const subscriber = await subscribe(clientOf(1, relays[2].url));
    const raw = await connect(relays[1].url);
    expect(await raw.request({ type: "subscribe", streamId: stream })).to.include({ type: "subscribed" });
    const publisher = clientOf(4, relays[0].url);
    await publishMany(publisher, 10_000, 20, 1);
    const downsBefore = relays.map((relay) => relay.lines.filter((line) => /Cluster broker down/.test(line)).length);
    await redis.restart();
    for (const [index, relay] of relays.entries()) {
      await until(() => relay.lines.filter((line) => /Cluster broker down/.test(line)).length > downsBefore[index], `relay ${index} to log the loss`);
    }
    await raw.waitFor((frame) => frame.type === "error" && frame.id === null && frame.code === "UNAVAILABLE", "an error frame about Redis");
    for (const [index, relay] of relays.entries()) {
      await until(() => relay.lines.filter((line) => /Cluster broker up/.test(line)).length > downsBefore[index] + 1, `relay ${index} to log the recovery`);
    }
    await publishMany(publisher, 10_020, 20, 1);
    await until(() => numbersOf(subscriber).filter((n) => n >= 10_000 && n < 10_040).length >= 40, "the messages after the restart");
    expectAllOnceInOrder(subscriber, 10_000, 40);
    expect(numbersOf(subscriber).filter((n) => n >= 10_000)).to.deep.equal(Array.from({ length: 40 }, (_, i) => 10_000 + i));
  });

  it("while Redis is down, refuses a subscribe `from` a position and a publish with UNAVAILABLE (no silent gap, nothing lost); takes both once Redis is back", async function () {
    const publisher = clientOf(3, relays[0].url);
    const before = await publisher.publish(stream, { n: 6_000 });
    await publishMany(publisher, 6_001, 3, 1);
    const from = { timestamp: before.timestamp, sequenceNumber: before.sequenceNumber };
    const downsBefore = relays[2].lines.filter((line) => /Cluster broker down/.test(line)).length;
    const upsBefore = relays.map((relay) => relay.lines.filter((line) => /Cluster broker up/.test(line)).length);
    await redis.stop();
    await until(() => relays[2].lines.filter((line) => /Cluster broker down/.test(line)).length > downsBefore, "the relay to log the loss");
    const raw = await connect(relays[2].url);
    const refused = await raw.request({ type: "subscribe", streamId: stream, from });
    expect(refused).to.include({ type: "error", code: "UNAVAILABLE" });
    // A publish Redis could not take is refused UNAVAILABLE; the same message is taken once Redis is back.
    const domained = { chainId: 31337, registryAddress } as unknown as RelayOnChain;
    const retried = await publisherOf(domained, stream, accounts[3])({ retried: true });
    const publisherSocket = await connect(relays[2].url);
    expect(await publisherSocket.request({ type: "publish", message: retried })).to.include({ type: "error", code: "UNAVAILABLE" });
    // Not subscribed: the same subscribe is not ALREADY_SUBSCRIBED once Redis is back, and nothing was delivered meanwhile.
    expect(raw.frames.filter((frame) => frame.type === "message" || frame.type === "subscribed")).to.deep.equal([]);
    await redis.restart();
    // Every relay, not only this one: the tests after this one publish through the others.
    for (const [index, relay] of relays.entries()) {
      await until(() => relay.lines.filter((line) => /Cluster broker up/.test(line)).length > upsBefore[index], `relay ${index} to log the recovery`);
    }
    // Redis came back empty: the history is gone, but the subscribe is taken and live messages flow.
    expect(await raw.request({ type: "subscribe", streamId: stream, from })).to.include({ type: "subscribed" });
    expect(await publisherSocket.request({ type: "publish", message: retried }), "the same message, published again").to.include({ type: "published" });
    await raw.waitFor((frame) => frame.type === "message" && frame.message.signature === retried.signature, "the message published again");
    expect(await publisherSocket.request({ type: "publish", message: retried }), "and only once").to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "duplicate" });
  });

  it("resumes a subscriber whose relay was killed (-9) on another relay with no gap", async function () {
    const victim = relays[1];
    const subscriber = await subscribe(clientOf(1, [victim.url, relays[2].url]));
    const publisher = clientOf(3, relays[0].url);
    let acknowledged = 0;
    const publishing = publishMany(publisher, 20_000, 1_000, 50, (n) => (acknowledged = n));
    try {
      await until(() => acknowledged >= 300, "300 acknowledged");
      await victim.kill();
      await publishing;
      await until(() => numbersOf(subscriber).filter((n) => n >= 20_000).length >= 1_000, "every message after the kill");
      expectAllOnceInOrder(subscriber, 20_000, 1_000);
    } finally {
      // A failure here must not leave the tests after it a dead relay.
      relays[1] = await startRelay();
    }
  });

  it("fails a publisher over when its relay is killed (-9) in the middle of 5,000 messages: every subscriber gets all, none twice", async function () {
    const victim = relays[0];
    const subscribers = await Promise.all([relays[1], relays[2]].map((relay) => subscribe(clientOf(1, relay.url))));
    const publisher = clientOf(5, [victim.url, relays[1].url, relays[2].url]);
    let acknowledged = 0;
    const publishing = publishMany(publisher, 100_000, 5_000, 100, (n) => (acknowledged = n));
    try {
      await until(() => acknowledged >= 1_500, "1,500 acknowledged", 300_000);
      await victim.kill();
      await publishing;
      for (const received of subscribers) {
        await until(() => numbersOf(received).filter((n) => n >= 100_000).length >= 5_000, "all 5,000 on every subscriber", 300_000);
        expectAllOnceInOrder(received, 100_000, 5_000);
      }
    } finally {
      relays[0] = await startRelay();
    }
  });
});
