import { expect } from "chai";
import { KeywayClient, StreamPermission } from "../../sdk";
import { type LocalNode, startLocalNode } from "../../scripts/localNode";
import { deployLocalRegistry, devAccounts, type DevAccount } from "../../scripts/devChain";
import { type RelayProcess, startRedis, startRelayProcess, type TestRedis } from "../../scripts/clusterProcesses";
import { closeAllClients, connect, type Frame, type RawClient } from "./fixtures";
import { createTestStream, publisherOf, until } from "./helpers";

/** The join and leave pushes a client received for one address, as `join`/`leave`. */
const changesFor = (client: RawClient, address: string) => client.frames.filter((frame) => (frame.type === "join" || frame.type === "leave") && frame.address === address).map((frame) => frame.type as string);

describe("relay cluster on Redis: presence, join/leave and history across relays", function () {
  this.timeout(300_000);
  /** Short, so that a killed relay's subscribers leave soon: its entries live two thirds of it. */
  const HEARTBEAT_MS = 1_500;
  let redis: TestRedis;
  let node: LocalNode;
  let registryAddress: `0x${string}`;
  let chainId: number;
  let accounts: DevAccount[];
  let owner: KeywayClient;
  const relays: RelayProcess[] = [];
  const address = (index: number) => accounts[index].account.address.toLowerCase();

  function startRelay(): Promise<RelayProcess> {
    return startRelayProcess({ rpcUrl: node.url, registryAddress, redisUrl: redis.url, heartbeatIntervalMs: HEARTBEAT_MS });
  }

  /** A connection to `relay`, signed in as account `index` (anonymous with undefined), subscribed to the stream. */
  async function subscriber(relay: RelayProcess, streamId: string, index?: number, fields: Frame = {}): Promise<RawClient> {
    const client = await connect(relay.url);
    if (index !== undefined) expect(await client.signIn(accounts[index])).to.include({ type: "authenticated" });
    expect(await client.request({ type: "subscribe", streamId, ...fields })).to.include({ type: "subscribed" });
    return client;
  }

  async function presenceAt(relay: RelayProcess, streamId: string): Promise<{ count: number; clients: Record<string, number> }> {
    const client = await connect(relay.url);
    expect(await client.signIn(accounts[7])).to.include({ type: "authenticated" });
    const reply = await client.request({ type: "presence", streamId });
    expect(reply).to.include({ type: "presence" });
    const clients = (reply.clients as Frame[]).map(({ address, connections }): [string, number] => [address, connections]).sort(([x], [y]) => x.localeCompare(y));
    return { count: reply.count, clients: Object.fromEntries(clients) };
  }

  before(async function () {
    redis = await startRedis();
    node = await startLocalNode();
    const deployment = await deployLocalRegistry(node.url);
    registryAddress = deployment.registryAddress;
    chainId = deployment.chainId;
    accounts = devAccounts(8);
    owner = new KeywayClient({ rpcUrl: node.url, registryAddress, privateKey: accounts[0].privateKey, cache: false });
    relays.push(...(await Promise.all([startRelay(), startRelay(), startRelay()])));
  });
  afterEach(closeAllClients);
  after(async function () {
    owner?.destroy();
    await Promise.all(relays.map((relay) => relay.stop()));
    await node?.stop();
    await redis?.stop();
  });

  it("presence on any relay lists the subscribers of every relay; join and leave reach each joinLeave subscriber once, whichever relay", async function () {
    const streamId = await createTestStream(owner, { publicSubscribe: true });
    const watchers = await Promise.all(relays.map((relay) => subscriber(relay, streamId, 7, { joinLeave: true })));
    const [a, b, c] = relays;
    const first = await subscriber(a, streamId, 1);
    const second = await subscriber(b, streamId, 1);
    await subscriber(c, streamId, 2);
    await subscriber(a, streamId);
    const clients = Object.fromEntries(([[address(1), 2], [address(2), 1], [address(7), 3]] as [string, number][]).sort(([x], [y]) => x.localeCompare(y)));
    const expected = { count: 7, clients };
    for (const relay of relays) await until(async () => JSON.stringify(await presenceAt(relay, streamId)) === JSON.stringify(expected), "the cluster's presence on every relay");
    for (const relay of relays) expect(await presenceAt(relay, streamId)).to.deep.equal(expected);

    await first.close();
    await second.close();
    // A later change on another relay: once every watcher has it, the earlier ones have arrived too (one Redis, one order).
    await subscriber(c, streamId, 3);
    for (const watcher of watchers) {
      await watcher.waitFor((frame) => frame.type === "join" && frame.address === address(3), "#3 joins");
      expect(changesFor(watcher, address(1))).to.deep.equal(["join", "leave"]);
      expect(changesFor(watcher, address(2))).to.deep.equal(["join"]);
    }
  });

  it("a killed relay's subscribers leave, once, and drop out of presence; a revoked subscriber leaves", async function () {
    const streamId = await createTestStream(owner);
    for (const index of [4, 5, 7]) await owner.grantPermissions(streamId, { userId: address(index), permissions: [StreamPermission.SUBSCRIBE] });
    const doomed = await startRelay();
    const [a, b] = relays;
    const watchers = [await subscriber(a, streamId, 7, { joinLeave: true }), await subscriber(b, streamId, 7, { joinLeave: true })];
    await subscriber(doomed, streamId, 5);
    await subscriber(a, streamId, 4);
    for (const watcher of watchers) await watcher.waitFor((frame) => frame.type === "join" && frame.address === address(5), "#5 joins");

    await doomed.kill();
    for (const watcher of watchers) await watcher.waitFor((frame) => frame.type === "leave" && frame.address === address(5), "#5 leaves with its relay", 60_000);
    expect((await presenceAt(b, streamId)).clients).to.deep.equal({ [address(4)]: 1, [address(7)]: 2 });

    await owner.revokePermissions(streamId, { userId: address(4), permissions: [StreamPermission.SUBSCRIBE] });
    for (const watcher of watchers) await watcher.waitFor((frame) => frame.type === "leave" && frame.address === address(4), "#4 leaves when revoked");
    // Each once: the reaper's leave and the revocation's, nothing twice.
    await subscriber(b, streamId, 5);
    for (const watcher of watchers) {
      await watcher.waitFor((frame) => frame.type === "join" && changesFor(watcher, address(5)).length === 3, "#5 joins again");
      expect(changesFor(watcher, address(5))).to.deep.equal(["join", "leave", "join"]);
      expect(changesFor(watcher, address(4))).to.deep.equal(["join", "leave"]);
    }
    expect((await presenceAt(a, streamId)).clients).to.deep.equal({ [address(5)]: 1, [address(7)]: 2 });
  });

  it("after Redis restarts empty, each relay sends its counts again: presence lists every subscriber once more, none twice", async function () {
    const streamId = await createTestStream(owner, { publicSubscribe: true });
    const [a, b, c] = relays;
    await subscriber(a, streamId, 1);
    await subscriber(b, streamId, 1);
    await subscriber(c, streamId, 2);
    const clients = Object.fromEntries(([[address(1), 2], [address(2), 1], [address(7), 1]] as [string, number][]).sort(([x], [y]) => x.localeCompare(y)));
    const expected = JSON.stringify({ count: 4, clients });
    await subscriber(a, streamId, 7);
    await until(async () => JSON.stringify(await presenceAt(c, streamId)) === expected, "the cluster's presence");
    await redis.restart();
    await until(async () => JSON.stringify(await presenceAt(b, streamId).catch(() => undefined)) === expected, "the presence sent again", 60_000);
    for (const relay of relays) expect(JSON.stringify(await presenceAt(relay, streamId))).to.equal(expected);
  });

  it("history on one relay answers what another relay accepted", async function () {
    const streamId = await createTestStream(owner, { publicSubscribe: true });
    await owner.grantPermissions(streamId, { public: true, permissions: [StreamPermission.PUBLISH] });
    const sign = publisherOf({ chainId, registryAddress } as never, streamId, accounts[1]);
    const publisher = await connect(relays[0].url);
    for (let n = 0; n < 3; n++) expect(await publisher.request({ type: "publish", message: await sign({ n }) })).to.include({ type: "published" });
    const reply = await (await connect(relays[2].url)).request({ type: "history", streamId, limit: 2, reverse: true });
    expect(reply.messages.map((message: Frame) => JSON.parse(Buffer.from(message.content.slice(2), "hex").toString()).n)).to.deep.equal([2, 1]);
  });
});
