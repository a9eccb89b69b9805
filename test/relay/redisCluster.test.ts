import { expect } from "chai";
import { Redis } from "ioredis";
import { InvalidArgumentError, KeywayClient, StreamPermission } from "../../sdk";
import { createRelay } from "../../relay";
import { type LocalNode, startLocalNode } from "../../scripts/localNode";
import { deployLocalRegistry, devAccounts, type DevAccount } from "../../scripts/devChain";
import { type RelayProcess, startRedisCluster, startRelayProcess, type TestRedis, type TestRedisCluster } from "../../scripts/clusterProcesses";
import type { BrokerTraffic } from "../../relay/broker";
import { closeAllClients, connect, type Frame, type RawClient } from "./fixtures";
import { createTestStream, publisherOf, until } from "./helpers";

/** The stream's partitions the tests use: per master, one for each relay (disjoint), so every shard carries traffic. */
const PARTITIONS = 40;

describe("relay cluster on a Redis Cluster (3 masters, 3 replicas): sharded Pub/Sub", function () {
  this.timeout(600_000);
  let cluster: TestRedisCluster;
  let node: LocalNode;
  let registryAddress: `0x${string}`;
  let chainId: number;
  let accounts: DevAccount[];
  let owner: KeywayClient;
  let stream: string;
  const relays: RelayProcess[] = [];
  const clients: KeywayClient[] = [];
  /** `served[relay][master]`: the partition relay `relay` has a subscriber on, of those whose slot master `master` serves. */
  let served: number[][];
  /** A partition on each master that no relay has a subscriber on. */
  let unserved: number[];
  const address = (index: number) => accounts[index].account.address.toLowerCase();

  function startRelay(): Promise<RelayProcess> {
    return startRelayProcess({ rpcUrl: node.url, registryAddress, redisCluster: cluster.nodes, heartbeatIntervalMs: 1_500, historyCount: 20_000, publishRate: 1_000_000 });
  }

  function clientOf(index: number, relayUrl: string | string[]): KeywayClient {
    const client = new KeywayClient({ rpcUrl: node.url, registryAddress, privateKey: accounts[index].privateKey, relayUrl, pollingInterval: 200 });
    clients.push(client);
    return client;
  }

  async function trafficOf(relay: RelayProcess): Promise<BrokerTraffic> {
    const traffic = await relay.traffic();
    expect(traffic, "a cluster relay counts its broker's traffic").not.to.equal(undefined);
    return traffic!;
  }

  /** How many connections subscribe to the partition's sharded channel, on the master of its slot. */
  async function shardSubscribers(partition: number): Promise<number> {
    const channel = `keyway:{${stream}|${partition}}:m`;
    const admin = new Redis((await cluster.masterOf(channel)).port, "127.0.0.1");
    try {
      return ((await admin.call("PUBSUB", "SHARDNUMSUB", channel)) as [string, number])[1];
    } finally {
      admin.disconnect();
    }
  }

  /** A raw subscriber on `relay` to each of `partitions`. */
  async function subscriberOn(relay: RelayProcess, partitions: number[]): Promise<RawClient> {
    const client = await connect(relay.url);
    for (const partition of partitions) expect(await client.request({ type: "subscribe", streamId: stream, partition })).to.include({ type: "subscribed" });
    return client;
  }

  /** The `n` of each message the client received on the partition, in delivery order. */
  const numbersOn = (client: RawClient, partition: number) =>
    client.frames.filter((frame) => frame.type === "message" && frame.partition === partition).map((frame) => JSON.parse(Buffer.from((frame.message as Frame).content.slice(2), "hex").toString()).n as number);

  /**
   * Publishes `{ n }` for n in [first, first + count) on the partition through `relay`, one at a
   * time; a message the cluster could not take (UNAVAILABLE: a master failing over) is sent again,
   * the same signed message, until it is taken (or refused as a duplicate: taken before).
   */
  async function publishAll(relay: RelayProcess, partition: number, first: number, count: number, onTaken?: () => void): Promise<void> {
    const sign = publisherOf({ chainId, registryAddress } as never, stream, accounts[2], partition);
    const publisher = await connect(relay.url);
    for (let n = first; n < first + count; n++) {
      const message = await sign({ n });
      for (;;) {
        const reply = await publisher.request({ type: "publish", message });
        if (reply.type === "published" || reply.reason === "duplicate") break;
        expect(reply, `publish ${n} on partition ${partition}`).to.include({ type: "error", code: "UNAVAILABLE" });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      onTaken?.();
    }
  }

  before(async function () {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1_000 });
    node = await startLocalNode();
    const deployment = await deployLocalRegistry(node.url);
    registryAddress = deployment.registryAddress;
    chainId = deployment.chainId;
    accounts = devAccounts(8);
    owner = new KeywayClient({ rpcUrl: node.url, registryAddress, privateKey: accounts[0].privateKey, cache: false });
    stream = await createTestStream(owner, { publicSubscribe: true, partitions: PARTITIONS });
    await owner.grantPermissions(stream, { public: true, permissions: [StreamPermission.PUBLISH] });
    // Partitions by the master of their stream's slot (the broker's key of a partition: keyway:{<stream>|<partition>}:h).
    const byMaster = new Map<TestRedis, number[]>(cluster.masters.map((master) => [master, []]));
    for (let partition = 0; partition < PARTITIONS; partition++) byMaster.get(await cluster.masterOf(`keyway:{${stream}|${partition}}:h`))!.push(partition);
    const perMaster = cluster.masters.map((master) => byMaster.get(master)!);
    expect(perMaster.map((partitions) => partitions.length >= 4), "4 partitions on each master").to.deep.equal([true, true, true]);
    served = [0, 1, 2].map((relay) => perMaster.map((partitions) => partitions[relay]));
    unserved = perMaster.map((partitions) => partitions[3]);
    relays.push(...(await Promise.all([startRelay(), startRelay(), startRelay()])));
  });
  afterEach(async function () {
    clients.splice(0).forEach((client) => client.destroy());
    await closeAllClients();
  });
  after(async function () {
    owner?.destroy();
    await Promise.all(relays.map((relay) => relay.stop()));
    await node?.stop();
    await cluster?.stop();
  });

  it("createRelay refuses redisUrl and redisCluster together, and an empty redisCluster (InvalidArgumentError)", async function () {
    const both = await createRelay({ rpcUrl: node.url, registryAddress, port: 0, redisUrl: "redis://127.0.0.1:6379", redisCluster: cluster.nodes }).catch((error: unknown) => error);
    expect(both).to.be.instanceOf(InvalidArgumentError).and.to.have.property("message").that.matches(/not both/);
    const none = await createRelay({ rpcUrl: node.url, registryAddress, port: 0, redisCluster: [] }).catch((error: unknown) => error);
    expect(none).to.be.instanceOf(InvalidArgumentError).and.to.have.property("message").that.matches(/at least one host:port/);
  });

  it("delivers streams on every shard across 3 relays, and a relay receives only the channels it has subscribers for", async function () {
    const subscribers = await Promise.all(relays.map((relay, index) => subscriberOn(relay, served[index])));
    const before = await Promise.all(relays.map(trafficOf));
    // 10 messages on each served partition and on one unserved partition per shard, each through another relay than its subscriber's.
    const partitions = [...served.flat(), ...unserved];
    await Promise.all(partitions.map((partition, index) => publishAll(relays[index % 3], partition, 0, 10)));
    for (const [index, subscriber] of subscribers.entries()) {
      for (const partition of served[index]) {
        await until(() => numbersOn(subscriber, partition).length >= 10, `partition ${partition} on relay ${index}`);
        expect(numbersOn(subscriber, partition)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      }
      // Nothing of the partitions it did not subscribe to.
      expect(subscriber.frames.filter((frame) => frame.type === "message" && !served[index].includes(frame.partition as number))).to.deep.equal([]);
    }
    for (const [index, relay] of relays.entries()) {
      const after = await trafficOf(relay);
      expect({ received: after.received - before[index].received, unneeded: after.unneeded }, `relay ${index}: its 3 partitions' 30 messages, nothing else`).to.deep.equal({ received: 30, unneeded: 0 });
    }
    // With its subscribers gone, a relay receives nothing more: once it has unsubscribed (SUNSUBSCRIBE), Redis pushes it nothing.
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));
    await until(async () => (await shardSubscribers(served[1][0])) === 0, "the relays to unsubscribe");
    const idle = await Promise.all(relays.map(trafficOf));
    await publishAll(relays[0], served[1][0], 10, 5);
    // A message on a partition relay 0 serves again shows the earlier ones have passed every relay's connection to that shard.
    const marker = await subscriberOn(relays[0], [served[1][0]]);
    await publishAll(relays[1], served[1][0], 15, 1);
    await until(() => numbersOn(marker, served[1][0]).includes(15), "the marker message");
    expect((await Promise.all(relays.map(trafficOf))).map((traffic, index) => traffic.received - idle[index].received)).to.deep.equal([1, 0, 0]);
  });

  it("presence and join/leave, and key exchange (an encrypted stream's reader on another relay), across relays on the cluster", async function () {
    const streamId = await createTestStream(owner);
    for (const index of [1, 7]) await owner.grantPermissions(streamId, { userId: address(index), permissions: [StreamPermission.SUBSCRIBE] });
    const watcher = await connect(relays[0].url);
    expect(await watcher.signIn(accounts[7])).to.include({ type: "authenticated" });
    expect(await watcher.request({ type: "subscribe", streamId, joinLeave: true })).to.include({ type: "subscribed" });
    const reader = clientOf(1, relays[1].url);
    const contents: unknown[] = [];
    await reader.subscribe(streamId, (content) => void contents.push(content));
    await watcher.waitFor((frame) => frame.type === "join" && frame.address === address(1), "#1 joins, seen on another relay");
    const asker = await connect(relays[2].url);
    expect(await asker.signIn(accounts[7])).to.include({ type: "authenticated" });
    const reply = await asker.request({ type: "presence", streamId });
    expect(reply).to.include({ type: "presence", count: 2 });
    expect((reply.clients as Frame[]).map((client) => client.address).sort()).to.deep.equal([address(1), address(7)].sort());
    // The publisher on relay 2 hands the group key to the reader on relay 1 through the cluster's forward channel.
    const sent = await clientOf(0, relays[2].url).publish(streamId, { across: "shards" });
    expect(sent.groupKeyId).to.be.a("string");
    await until(() => contents.length === 1, "the message decrypted on the other relay");
    expect(contents).to.deep.equal([{ across: "shards" }]);
  });

  it("resumes a subscriber whose relay was killed (-9) on another relay: none lost, none twice", async function () {
    const victim = relays[1];
    const partition = served[0][1];
    const received: number[] = [];
    const subscriber = clientOf(1, [victim.url, relays[2].url]);
    await subscriber.subscribe({ streamId: stream, partition }, (content) => void received.push((content as { n: number }).n));
    let taken = 0;
    const publishing = publishAll(relays[0], partition, 1_000, 300, () => taken++);
    try {
      await until(() => taken >= 100, "100 taken");
      await victim.kill();
      await publishing;
      await until(() => received.filter((n) => n >= 1_000).length >= 300, "every message after the kill");
      expect(received.filter((n) => n >= 1_000)).to.deep.equal(Array.from({ length: 300 }, (_, i) => 1_000 + i));
    } finally {
      relays[1] = await startRelay();
    }
  });

  it("a shard master killed (-9) mid-stream: its replica takes over, every subscriber of its channels gets each message once, in order", async function () {
    const victim = cluster.masters[0];
    // Every relay's subscriber on its partition of the victim's shard, and on one of another shard.
    const subscribers = await Promise.all(relays.map((relay, index) => subscriberOn(relay, [served[index][0], served[index][1]])));
    let taken = 0;
    const publishing = Promise.all(relays.flatMap((relay, index) => [publishAll(relay, served[index][0], 2_000, 200, () => taken++), publishAll(relays[(index + 1) % 3], served[index][1], 2_000, 200)]));
    const downsBefore = relays.map((relay) => relay.lines.filter((line) => /Cluster broker down/.test(line)).length);
    await until(() => taken >= 150, "150 taken on the victim's shard");
    await cluster.failover(victim);
    await publishing;
    // Each relay saw its sharded subscriber of the victim replaced, caught up, and said so.
    for (const [index, relay] of relays.entries()) {
      await until(() => relay.lines.filter((line) => /Cluster broker down/.test(line)).length > downsBefore[index], `relay ${index} to log the loss`);
      await until(() => /Cluster broker up/.test(relay.lines.filter((line) => /Cluster broker (up|down)/.test(line)).at(-1) ?? ""), `relay ${index} to log the recovery`);
    }
    for (const [index, subscriber] of subscribers.entries()) {
      for (const partition of [served[index][0], served[index][1]]) {
        await until(() => numbersOn(subscriber, partition).filter((n) => n >= 2_000).length >= 200, `partition ${partition} on relay ${index}`, 120_000);
        expect(numbersOn(subscriber, partition).filter((n) => n >= 2_000), `partition ${partition} on relay ${index}`).to.deep.equal(Array.from({ length: 200 }, (_, i) => 2_000 + i));
      }
    }
  });
});
